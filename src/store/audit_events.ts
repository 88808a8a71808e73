/** The audit trail's rows: added in batches, read newest first with filters, purged by age. */

import type { SqlDb, SqlValue } from "./sql.ts";
import type { AuditRecord, AuditSelection } from "./types.ts";

/** Audit queries. */
export interface AuditQueries {
  /** Add a batch of events in one transaction (an event already stored is not added twice). */
  add(events: readonly AuditRecord[]): Promise<void>;
  /** Events matching `selection`, newest first. */
  list(selection: AuditSelection): Promise<AuditRecord[]>;
  /**
   * Delete events older than `beforeMs`, at most `batch` rows per statement (each statement a
   * short write), until none is left; resolves to the number deleted.
   */
  purge(beforeMs: number, batch?: number): Promise<number>;
}

const COLUMNS = [
  "id",
  "at",
  "action",
  "outcome",
  "actor_kind",
  "actor",
  "target",
  "org",
  "client",
  "kind",
  "jti",
  "details",
];
/** Rows per INSERT statement (12 parameters each: far below both engines' limits). */
const ROWS_PER_INSERT = 100;
const ONE_ROW = `(${COLUMNS.map(() => "?").join(", ")})`;

function _values(e: AuditRecord): SqlValue[] {
  return [
    e.id,
    e.at,
    e.action,
    e.outcome,
    e.actorKind,
    e.actor,
    e.target,
    e.org,
    e.client,
    e.kind,
    e.jti,
    JSON.stringify(e.details),
  ];
}

function _record(r: Record<string, unknown>): AuditRecord {
  let details: Record<string, unknown> = {};
  try {
    const v = JSON.parse(String(r.details));
    if (v !== null && typeof v === "object" && !Array.isArray(v)) details = v;
  } catch { /* a row written by hand: no details */ }
  const opt = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    at: Number(r.at),
    action: String(r.action),
    outcome: String(r.outcome),
    actorKind: String(r.actor_kind),
    actor: String(r.actor),
    target: String(r.target),
    org: opt(r.org),
    client: opt(r.client),
    kind: opt(r.kind),
    jti: opt(r.jti),
    details,
  };
}

/** `LIKE` pattern for a prefix, with `\` escaping the wildcards the prefix may hold. */
function _prefix(p: string): string {
  return p.replace(/[\\%_]/g, (c) => `\\${c}`) + "%";
}

/** Audit queries over a database. */
export function auditQueries(db: SqlDb): AuditQueries {
  return {
    async add(events: readonly AuditRecord[]): Promise<void> {
      if (events.length === 0) return;
      await db.transaction(async (tx) => {
        for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
          const chunk = events.slice(i, i + ROWS_PER_INSERT);
          await tx.run(
            `INSERT INTO audit_events (${COLUMNS.join(", ")}) VALUES ${
              chunk.map(() => ONE_ROW).join(", ")
            } ON CONFLICT (id) DO NOTHING`,
            chunk.flatMap(_values),
          );
        }
      });
    },
    async list(s: AuditSelection): Promise<AuditRecord[]> {
      const where: string[] = [];
      const params: SqlValue[] = [];
      const eq = (column: string, v: string | undefined) => {
        if (v === undefined) return;
        where.push(`${column} = ?`);
        params.push(v);
      };
      if (s.since !== undefined) {
        where.push("at >= ?");
        params.push(s.since);
      }
      if (s.until !== undefined) {
        where.push("at < ?");
        params.push(s.until);
      }
      eq("actor", s.actor);
      eq("target", s.target);
      eq("org", s.org);
      eq("jti", s.jti);
      eq("outcome", s.outcome);
      if (s.action !== undefined) {
        if (s.action.endsWith("*")) {
          where.push("action LIKE ? ESCAPE '\\'");
          params.push(_prefix(s.action.slice(0, -1)));
        } else eq("action", s.action);
      }
      if (s.before !== undefined) {
        where.push("(at < ? OR (at = ? AND id < ?))");
        params.push(s.before.at, s.before.at, s.before.id);
      }
      const rows = await db.all(
        `SELECT ${COLUMNS.join(", ")} FROM audit_events${
          where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`
        } ORDER BY at DESC, id DESC LIMIT ?`,
        [...params, Math.max(1, Math.min(1000, Math.floor(s.limit)))],
      );
      return rows.map(_record);
    },
    async purge(beforeMs: number, batch = 5000): Promise<number> {
      let total = 0;
      for (;;) {
        // A bounded DELETE (both engines: no DELETE … LIMIT on PostgreSQL): each statement holds
        // the write lock briefly, so a large backlog never stalls the writers of tokens.
        const n = await db.run(
          `DELETE FROM audit_events WHERE id IN (
             SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)`,
          [beforeMs, batch],
        );
        total += n;
        if (n < batch) return total;
      }
    },
  };
}
