/**
 * SQLite on Deno through `node:sqlite` (`DatabaseSync`). The file is created with mode 0600
 * before SQLite opens it, so the umask never widens it; SQLite gives its `-wal` and `-shm`
 * files the same mode as the database.
 */

import { backup, DatabaseSync } from "node:sqlite";
import type { SqliteDatabase, SqliteOpenOptions, SqliteValue } from "./sqlite.ts";

/** Open a database file on Deno. */
export function openDenoSqlite(
  path: string,
  options: SqliteOpenOptions = {},
): Promise<SqliteDatabase> {
  try {
    return Promise.resolve(_open(path, options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function _open(path: string, options: SqliteOpenOptions): SqliteDatabase {
  if (options.readOnly) return _wrap(new DatabaseSync(path, { readOnly: true }));
  if (path !== ":memory:") _createPrivate(path);
  return _wrap(new DatabaseSync(path));
}

function _createPrivate(path: string): void {
  try {
    const f = Deno.openSync(path, { createNew: true, write: true, mode: 0o600 });
    f.close();
    Deno.chmodSync(path, 0o600);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
}

function _wrap(db: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      if (statements.size < 256) statements.set(sql, s);
    }
    return s;
  };
  return {
    exec: (sql) => db.exec(sql),
    all: (sql, params) =>
      prepared(sql).all(...(params as SqliteValue[])) as Record<string, unknown>[],
    run: (sql, params) => Number(prepared(sql).run(...(params as SqliteValue[])).changes),
    async backupTo(path: string): Promise<void> {
      await backup(db, path);
      // The copy carries the source's WAL flag: make it one file that opens anywhere.
      const copy = new DatabaseSync(path);
      try {
        copy.exec("PRAGMA journal_mode = DELETE");
      } finally {
        copy.close();
      }
    },
    close: () => db.close(),
  };
}
