/**
 * The one SQL seam: a tiny async interface that both engines implement, so every query in the
 * store is written once. Queries use `?` placeholders; the Postgres driver numbers them (`$1`).
 * Integers are JavaScript numbers on both engines (seconds since the epoch fit easily).
 */

import { KeypebbleError } from "../errors.ts";
import type { SqliteDatabase } from "../platform/sqlite.ts";

/** A value bound to a query. */
export type SqlValue = string | number | null;

/** The SQL dialect, for the few statements that differ. */
export type Dialect = "sqlite" | "postgres";

/** An open database connection (or pool). */
export interface SqlDb {
  readonly dialect: Dialect;
  /** Rows of a query as plain objects. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Run a statement; resolves to the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Run `fn` in one transaction: committed when it resolves, rolled back when it throws. On
   * Postgres `lockId` takes a transaction-scoped advisory lock first (migrations use it so two
   * instances starting together do not race).
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>, options?: { lockId?: number }): Promise<T>;
  close(): Promise<void>;
}

/**
 * Wrap an opened SQLite database (WAL mode, busy timeout, foreign keys). `readOnly`: another
 * program's database, opened read-only: only the busy timeout is set, nothing is changed.
 */
export function sqliteDb(
  db: SqliteDatabase,
  source: string,
  options: { readOnly?: boolean } = {},
): SqlDb {
  try {
    db.exec("PRAGMA busy_timeout = 3000");
    if (options.readOnly !== true) {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA synchronous = NORMAL");
    }
  } catch (e) {
    db.close();
    throw _storeError(source, e);
  }
  // One connection: transactions are serialised by a promise chain so that an `await` inside one
  // never lets another statement slip in between.
  let queue: Promise<unknown> = Promise.resolve();
  let inTx = false;
  const direct: SqlDb = {
    dialect: "sqlite",
    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        return Promise.resolve(db.all(sql, params) as T[]);
      } catch (e) {
        return Promise.reject(_storeError(source, e));
      }
    },
    run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      try {
        return Promise.resolve(db.run(sql, params));
      } catch (e) {
        return Promise.reject(_storeError(source, e));
      }
    },
    transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
      if (inTx) return fn(direct);
      const next = queue.then(async () => {
        try {
          db.exec("BEGIN IMMEDIATE");
        } catch (e) {
          throw _storeError(source, e);
        }
        inTx = true;
        try {
          const out = await fn(direct);
          db.exec("COMMIT");
          return out;
        } catch (e) {
          try {
            db.exec("ROLLBACK");
          } catch { /* already rolled back */ }
          throw e;
        } finally {
          inTx = false;
        }
      });
      queue = next.catch(() => {});
      return next;
    },
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
  return direct;
}

/** The part of an npm `postgres` client (or its transaction) this driver uses. */
export interface PgLike {
  unsafe(sql: string, params?: SqlValue[]): Promise<Record<string, unknown>[] & { count: number }>;
  begin<T>(fn: (tx: PgLike) => Promise<T>): Promise<T>;
  end(options?: { timeout?: number }): Promise<void>;
}

/** Wrap an npm `postgres` client. */
export function postgresDb(pg: PgLike, source: string): SqlDb {
  const make = (c: PgLike, top: boolean): SqlDb => ({
    dialect: "postgres",
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        return [...await c.unsafe(_numbered(sql), [...params])] as T[];
      } catch (e) {
        throw _storeError(source, e);
      }
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      try {
        return (await c.unsafe(_numbered(sql), [...params])).count;
      } catch (e) {
        throw _storeError(source, e);
      }
    },
    async transaction<T>(
      fn: (tx: SqlDb) => Promise<T>,
      options: { lockId?: number } = {},
    ): Promise<T> {
      if (!top) return await fn(make(c, false));
      try {
        return await c.begin(async (tx) => {
          if (options.lockId !== undefined) {
            await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [options.lockId]);
          }
          return await fn(make(tx, false));
        });
      } catch (e) {
        throw e instanceof KeypebbleError ? e : _storeError(source, e);
      }
    },
    async close(): Promise<void> {
      await c.end({ timeout: 2 });
    },
  });
  return make(pg, true);
}

const _placeholders = new Map<string, string>();

/** `?` → `$1, $2, …` (our queries never put `?` inside string literals). */
function _numbered(sql: string): string {
  let out = _placeholders.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (_placeholders.size < 512) _placeholders.set(sql, out);
  }
  return out;
}

/** Errors an engine raises that mean "the store cannot be reached right now". */
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|CONNECT_TIMEOUT|CONNECTION_|database is locked|SQLITE_BUSY|Connection refused|terminating connection|the database system is|connection (?:ended|closed)|database is not open/i;

/**
 * An engine error as a {@link KeypebbleError}: `store_unavailable` (503) when the store is down
 * or locked, `conflict` for a unique violation, `store_error` otherwise. Messages name the store
 * (never its password) and the engine's reason.
 */
function _storeError(source: string, e: unknown): KeypebbleError {
  if (e instanceof KeypebbleError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code ?? "";
  if (code === "23505" || /UNIQUE constraint failed/i.test(msg)) {
    return new KeypebbleError("conflict", "Already exists", { cause: e });
  }
  if (UNAVAILABLE.test(msg) || UNAVAILABLE.test(code)) {
    return new KeypebbleError(
      "store_unavailable",
      "The key store is unavailable; try again later",
      { cause: e },
    );
  }
  return new KeypebbleError("store_error", `Store ${source}: ${msg.split("\n")[0]}`, { cause: e });
}
