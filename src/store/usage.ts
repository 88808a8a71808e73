/** Per-key usage counters, one row per key and minute, added to in batches. */

import type { SqlDb, SqlValue } from "./sql.ts";
import type { KeyUsage, UsageBucket, UsageDelta, UsageFilter, UsageTotals } from "./types.ts";

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
  /**
   * Requests and errors since a time in buckets of `bucketSeconds` (aligned on the epoch), for
   * one key, one organisation's keys, or every key; only buckets with traffic, oldest first.
   */
  series(since: number, bucketSeconds: number, filter: UsageFilter): Promise<UsageBucket[]>;
  /** Requests per key since a time within a filter, most first. */
  perKeyWithin(since: number, limit: number, filter: UsageFilter): Promise<KeyUsage[]>;
}

/** Bucket sizes the series query accepts (inlined in the SQL, so never a caller's value). */
const BUCKETS: ReadonlySet<number> = new Set([60, 300, 900, 3600, 86_400]);

/** The `FROM … WHERE` of a filtered usage query, with its parameters after `since`. */
function _within(filter: UsageFilter): { from: string; where: string; params: SqlValue[] } {
  if (filter.keyId !== undefined) {
    return { from: "usage_minutes u", where: "u.key_id = ?", params: [filter.keyId] };
  }
  if (filter.orgName !== undefined) {
    return {
      from: "usage_minutes u JOIN api_keys a ON a.id = u.key_id JOIN orgs o ON o.id = a.org_id",
      where: "o.name = ?",
      params: [filter.orgName],
    };
  }
  return { from: "usage_minutes u", where: "1 = 1", params: [] };
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
    async series(
      since: number,
      bucketSeconds: number,
      filter: UsageFilter,
    ): Promise<UsageBucket[]> {
      if (!BUCKETS.has(bucketSeconds)) throw new RangeError(`Bucket ${bucketSeconds} s`);
      const w = _within(filter);
      // Integer division on both engines (BIGINT / integer literal).
      const b = `(u.minute / ${bucketSeconds}) * ${bucketSeconds}`;
      const rows = await db.all(
        `SELECT ${b} AS start, SUM(u.requests) AS requests, SUM(u.errors) AS errors
         FROM ${w.from} WHERE u.minute >= ? AND ${w.where} GROUP BY ${b} ORDER BY ${b}`,
        [since, ...w.params],
      );
      return rows.map((r) => ({
        start: Number(r.start),
        requests: Number(r.requests),
        errors: Number(r.errors),
      }));
    },
    async perKeyWithin(since: number, limit: number, filter: UsageFilter): Promise<KeyUsage[]> {
      const w = _within(filter);
      const rows = await db.all(
        `SELECT u.key_id AS key_id, SUM(u.requests) AS requests, SUM(u.errors) AS errors
         FROM ${w.from} WHERE u.minute >= ? AND ${w.where}
         GROUP BY u.key_id ORDER BY SUM(u.requests) DESC, u.key_id LIMIT ?`,
        [since, ...w.params, limit],
      );
      return rows.map((r) => ({
        keyId: String(r.key_id),
        requests: Number(r.requests),
        errors: Number(r.errors),
      }));
    },
  };
}
