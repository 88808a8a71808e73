/** Blocks of addresses and principals set by an administrator. */

import type { SqlDb } from "./sql.ts";
import type { Block, BlockKind } from "./types.ts";

/** Block queries. */
export interface BlockQueries {
  /** Set (or replace) a block. */
  put(block: Block): Promise<void>;
  /** Lift a block; false when there was none. */
  remove(kind: BlockKind, value: string): Promise<boolean>;
  /** Blocks still in force at `now`. */
  active(now: number): Promise<Block[]>;
}

/** Block queries over a database. */
export function blockQueries(db: SqlDb): BlockQueries {
  return {
    async put(b: Block): Promise<void> {
      await db.run(
        `INSERT INTO blocks (kind, value, until, reason, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (kind, value) DO UPDATE SET until = excluded.until,
           reason = excluded.reason, created_at = excluded.created_at`,
        [b.kind, b.value, b.until, b.reason, b.createdAt],
      );
    },
    async remove(kind: BlockKind, value: string): Promise<boolean> {
      return (await db.run("DELETE FROM blocks WHERE kind = ? AND value = ?", [kind, value])) > 0;
    },
    async active(now: number): Promise<Block[]> {
      const rows = await db.all(
        "SELECT * FROM blocks WHERE until > ? ORDER BY created_at, kind, value",
        [now],
      );
      return rows.map((r) => ({
        kind: r.kind === "principal" ? "principal" : "address",
        value: String(r.value),
        until: Number(r.until),
        reason: String(r.reason),
        createdAt: Number(r.created_at),
      }));
    },
  };
}
