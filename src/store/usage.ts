/** Per-key usage counters, one row per key and minute, added to in batches. */

import type { SqlDb } from "./sql.ts";
import type { KeyUsage, UsageDelta, UsageTotals } from "./types.ts";

/** Usage queries. */
export interface UsageQueries {
  /** Add a batch of per-minute deltas and move `last_used_at` forward, in one transaction. */
  add(deltas: readonly UsageDelta[]): Promise<void>;
  /** Totals since a time (seconds). */
  totals(since: number): Promise<UsageTotals>;
  /** Requests per key since a time, most first. */
  perKey(since: number, limit: number): Promise<KeyUsage[]>;
  /** Requests of one key since a time (monthly quotas on a restart). */
  forKey(keyId: string, since: number): Promise<number>;
}

/** Usage queries over a database. */
export function usageQueries(db: SqlDb): UsageQueries {
  return {
    async add(deltas: readonly UsageDelta[]): Promise<void> {
      if (deltas.length === 0) return;
      await db.transaction(async (tx) => {
        for (const d of deltas) {
          await tx.run(
            `INSERT INTO usage_minutes (key_id, minute, requests, errors) VALUES (?, ?, ?, ?)
             ON CONFLICT (key_id, minute) DO UPDATE SET
               requests = usage_minutes.requests + excluded.requests,
               errors = usage_minutes.errors + excluded.errors`,
            [d.keyId, d.minute, d.requests, d.errors],
          );
          await tx.run(
            `UPDATE api_keys SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
            [d.lastUsedAt, d.keyId, d.lastUsedAt],
          );
        }
      });
    },
    async totals(since: number): Promise<UsageTotals> {
      const rows = await db.all(
        `SELECT COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors
         FROM usage_minutes WHERE minute >= ?`,
        [since],
      );
      return { requests: Number(rows[0]?.requests ?? 0), errors: Number(rows[0]?.errors ?? 0) };
    },
    async perKey(since: number, limit: number): Promise<KeyUsage[]> {
      const rows = await db.all(
        `SELECT key_id, SUM(requests) AS requests, SUM(errors) AS errors FROM usage_minutes
         WHERE minute >= ? GROUP BY key_id ORDER BY SUM(requests) DESC, key_id LIMIT ?`,
        [since, limit],
      );
      return rows.map((r) => ({
        keyId: String(r.key_id),
        requests: Number(r.requests),
        errors: Number(r.errors),
      }));
    },
    async forKey(keyId: string, since: number): Promise<number> {
      const rows = await db.all(
        "SELECT COALESCE(SUM(requests), 0) AS n FROM usage_minutes WHERE key_id = ? AND minute >= ?",
        [keyId, since],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
