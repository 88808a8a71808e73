/**
 * Opening another program's database for `keypebble import`, read-only: a SQLite file (a plain
 * path, `sqlite:PATH`, or SQLAlchemy's `sqlite:///PATH` and `sqlite+aiosqlite:///PATH`, as
 * keyguard and pico-auth write their `database_url`: three slashes then the path, so
 * `sqlite:////var/lib/kg.db` is absolute) or PostgreSQL (`postgres://`, `postgresql://`, or
 * SQLAlchemy's `postgresql+asyncpg://`). Relative paths are taken from the current directory.
 * Nothing is ever written to the source.
 */

import { KeypebbleError } from "../../errors.ts";
import type { SqliteOpener } from "../../platform/sqlite.ts";
import { postgresDb, type SqlDb, sqliteDb } from "../sql.ts";
import { postgresClient, redactStoreUrl } from "../store.ts";

/** Where a source database is, parsed from what the user gave. */
export type SourceLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly url: string };

/**
 * Parse `--from`: a SQLite path or URL, or a PostgreSQL URL (SQLAlchemy driver suffixes such as
 * `+aiosqlite` and `+asyncpg` are accepted and dropped).
 *
 * @throws {KeypebbleError} `store_error` for an empty value or an unknown scheme
 */
export function parseSourceUrl(from: string): SourceLocation {
  const v = from.trim();
  if (v === "") throw new KeypebbleError("store_error", "The source (--from) is empty");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(v)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "sqlite", path: v };
  const base = scheme.split("+")[0];
  if (base === "sqlite") {
    let rest = v.slice(scheme.length + 1);
    // SQLAlchemy's form: three slashes then the path (sqlite:///rel.db, sqlite:////abs.db).
    if (rest.startsWith("///")) rest = rest.slice(3);
    else if (rest.startsWith("//")) {
      throw new KeypebbleError(
        "store_error",
        `The source ${redactStoreUrl(v)} must be sqlite:PATH or sqlite:///PATH`,
      );
    }
    rest = rest.split("?")[0];
    if (rest === "" || rest === ":memory:") {
      throw new KeypebbleError("store_error", `The source ${redactStoreUrl(v)} names no file`);
    }
    return { kind: "sqlite", path: rest };
  }
  if (base === "postgres" || base === "postgresql") {
    return { kind: "postgres", url: `postgres:${v.slice(scheme.length + 1)}` };
  }
  throw new KeypebbleError(
    "store_error",
    `The source must be a SQLite file or a postgres:// URL, not "${scheme.slice(0, 20)}:"`,
  );
}

/**
 * Open a source database read-only and check that it answers.
 *
 * @throws {KeypebbleError} `store_error` naming the source (never its password) and the reason
 */
export async function openSourceDb(
  from: string,
  options: { sqlite?: SqliteOpener },
): Promise<{ db: SqlDb; source: string }> {
  const loc = parseSourceUrl(from);
  if (loc.kind === "sqlite") {
    const path = loc.path;
    const source = `sqlite:${path}`;
    if (options.sqlite === undefined) {
      throw new KeypebbleError("store_error", "SQLite is not available on this runtime");
    }
    let db: SqlDb;
    try {
      db = sqliteDb(await options.sqlite(path, { readOnly: true }), source, { readOnly: true });
      await db.all("SELECT name FROM sqlite_master LIMIT 1");
    } catch (e) {
      throw _unreadable(source, e);
    }
    return { db, source };
  }
  const source = redactStoreUrl(loc.url);
  let db: SqlDb | undefined;
  try {
    db = postgresDb(
      await postgresClient(loc.url, { default_transaction_read_only: "on" }),
      source,
    );
    await db.all("SELECT 1 AS one");
  } catch (e) {
    await db?.close().catch(() => {});
    throw _unreadable(source, e);
  }
  return { db, source };
}

function _unreadable(source: string, e: unknown): KeypebbleError {
  const cause = e instanceof KeypebbleError && e.cause !== undefined ? e.cause : e;
  const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  return new KeypebbleError("store_error", `Cannot read the source ${source}: ${why}`, {
    cause: e,
  });
}
