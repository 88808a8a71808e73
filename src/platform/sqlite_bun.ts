/**
 * SQLite on Bun through `bun:sqlite`. The module is loaded by name at run time so that
 * `deno check` (which has no Bun types) never resolves it.
 */

import type { SqliteDatabase, SqliteOpenOptions, SqliteValue } from "./sqlite.ts";

interface BunStatement {
  all(...params: SqliteValue[]): Record<string, unknown>[];
  run(...params: SqliteValue[]): { changes: number };
}
interface BunDatabase {
  exec(sql: string): void;
  query(sql: string): BunStatement;
  close(): void;
}
type BunDatabaseClass = new (
  path: string,
  options?: { create?: boolean; readonly?: boolean },
) => BunDatabase;

let _Database: BunDatabaseClass | undefined;

/** Open a database file on Bun, creating it with mode 0600 when missing. */
export async function openBunSqlite(
  path: string,
  options: SqliteOpenOptions = {},
): Promise<SqliteDatabase> {
  if (_Database === undefined) {
    const name = "bun:sqlite";
    _Database = ((await import(name)) as { Database: BunDatabaseClass }).Database;
  }
  if (path !== ":memory:" && !options.readOnly) await _createPrivateFile(path);
  const db = options.readOnly
    ? new _Database(path, { readonly: true })
    : new _Database(path, { create: true });
  return {
    exec: (sql) => db.exec(sql),
    all: (sql, params) => db.query(sql).all(...(params as SqliteValue[])),
    run: (sql, params) => db.query(sql).run(...(params as SqliteValue[])).changes,
    backupTo(target: string): Promise<void> {
      try {
        // A read transaction on this database: writers go on. The copy is in rollback mode.
        db.query("VACUUM INTO ?").run(target);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close: () => db.close(),
  };
}

async function _createPrivateFile(path: string): Promise<void> {
  const { chmod, open } = await import("node:fs/promises");
  try {
    const f = await open(path, "wx", 0o600);
    await f.close();
    await chmod(path, 0o600);
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
  }
}
