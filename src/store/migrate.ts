/**
 * Applying migrations and reading the schema version. The `schema_migrations` table records each
 * applied version; a store whose newest version is above what this binary knows is refused with
 * a clear error rather than read with the wrong assumptions.
 */

import { KeypebbleError } from "../errors.ts";
import { LATEST_VERSION, type Migration, MIGRATIONS, statementsFor } from "./migrations.ts";
import type { SqlDb } from "./sql.ts";

/** Where a store's schema stands. */
export interface SchemaStatus {
  /** Newest applied version (0 for an empty store). */
  readonly current: number;
  /** Newest version this binary knows. */
  readonly latest: number;
  /** Versions known here and not yet applied. */
  readonly pending: readonly { version: number; name: string }[];
  readonly applied: readonly { version: number; name: string; appliedAt: number }[];
}

/** Advisory lock id for migrations on Postgres ("kp" + 12). */
const MIGRATION_LOCK = 0x6b70_0012;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** The tables of the store's schema (in the connection's schema on Postgres), sorted. */
export async function storeTables(db: SqlDb): Promise<string[]> {
  const rows = db.dialect === "sqlite"
    ? await db.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    : await db.all<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
  return rows.map((r) => String(r.name)).sort();
}

/** Read the schema status. Nothing is written: an empty store reports version 0. */
export async function schemaStatus(
  db: SqlDb,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<SchemaStatus> {
  const exists = (await storeTables(db)).includes("schema_migrations");
  const rows = exists
    ? await db.all<{ version: number; name: string; applied_at: number }>(
      "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
    )
    : [];
  const applied = rows.map((r) => ({
    version: Number(r.version),
    name: r.name,
    appliedAt: Number(r.applied_at),
  }));
  const done = new Set(applied.map((a) => a.version));
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  return {
    current: applied.length === 0 ? 0 : applied[applied.length - 1].version,
    latest,
    pending: migrations.filter((m) => !done.has(m.version)).map((m) => ({
      version: m.version,
      name: m.name,
    })),
    applied,
  };
}

/** Refuse a store whose schema is newer than this binary. */
export function assertNotNewer(status: SchemaStatus, source: string): void {
  if (status.current > status.latest) {
    throw new KeypebbleError(
      "store_error",
      `Store ${source} has schema version ${status.current}, newer than this Keypebble knows ` +
        `(${status.latest}); upgrade Keypebble or point it at another store`,
    );
  }
}

/**
 * Apply every pending migration, each in its own transaction (on Postgres under an advisory lock,
 * so instances starting together apply each step once). Resolves to the versions applied.
 */
export async function migrate(
  db: SqlDb,
  options: { source: string; now: number; migrations?: readonly Migration[] },
): Promise<number[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  // Under the migration lock: two instances running CREATE TABLE IF NOT EXISTS at the same time
  // can still collide on Postgres (a unique violation in pg_type).
  await db.transaction((tx) => tx.run(CREATE_TABLE), { lockId: MIGRATION_LOCK });
  const before = await schemaStatus(db, migrations);
  assertNotNewer(before, options.source);
  const appliedNow: number[] = [];
  for (const m of migrations) {
    if (before.applied.some((a) => a.version === m.version)) continue;
    const applied = await db.transaction(async (tx) => {
      const again = await tx.all("SELECT version FROM schema_migrations WHERE version = ?", [
        m.version,
      ]);
      if (again.length > 0) return false; // another instance got there first
      for (const sql of statementsFor(m, tx.dialect)) await tx.run(sql);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        options.now,
      ]);
      return true;
    }, { lockId: MIGRATION_LOCK });
    if (applied) appliedNow.push(m.version);
  }
  return appliedNow;
}

export { LATEST_VERSION };
