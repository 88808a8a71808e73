/**
 * The one SQL seam: a tiny async interface that both engines implement, so every query in the
 * store is written once. Queries use `?` placeholders; the Postgres driver numbers them (`$1`).
 * Integers are JavaScript numbers on both engines (seconds since the epoch fit easily).
 *
 * Failures are sorted here, once, for both engines (issue 20):
 * - the store cannot serve right now (down, locked, disk full, read-only, an I/O error):
 *   `store_unavailable` (503) with a generic message for clients, the engine's reason reported
 *   through `onFault` for the log;
 * - a unique violation: `conflict`;
 * - a NUL character in a text parameter (PostgreSQL refuses it; SQLite would keep it and an
 *   export could not move it): `invalid_request` (400), refused before the query is sent;
 * - anything else: `store_error` (500, a bug or a schema problem), naming the store.
 *
 * SQLite's lock waits never block the event loop: the runtime's SQLite is synchronous, so its
 * `busy_timeout` would freeze every request of the process (health checks included) while
 * another connection holds the write lock. The timeout is 0 here and a busy statement is tried
 * again on a timer, with backoff, until `busyTimeoutMs`; then `store_unavailable`.
 */

import { KeypebbleError } from "../errors.ts";
import type { SqliteDatabase } from "../platform/sqlite.ts";

/** A value bound to a query. */
export type SqlValue = string | number | null;

/** The SQL dialect, for the few statements that differ. */
export type Dialect = "sqlite" | "postgres";

/** Options of {@link SqlDb.transaction}. */
export interface TransactionOptions {
  /**
   * On Postgres, take this transaction-scoped advisory lock first (migrations use it so two
   * instances starting together do not race).
   */
  readonly lockId?: number;
  /**
   * A read-only snapshot (exports, backups): on SQLite a deferred transaction that never takes
   * the write lock, on Postgres `REPEATABLE READ READ ONLY`.
   */
  readonly readOnly?: boolean;
}

/** An open database connection (or pool). */
export interface SqlDb {
  readonly dialect: Dialect;
  /** Rows of a query as plain objects. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Run a statement; resolves to the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Run `fn` in one transaction: committed when it resolves, rolled back when it throws. Inside
   * `fn`, `tx.transaction` runs its function in the same transaction.
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** SQLite only: a consistent copy of the database file into `path` (see SqliteDatabase). */
  backup?(path: string): Promise<void>;
  close(): Promise<void>;
}

/** Why the store could not serve a query, for the log (never for a client). */
export interface StoreFault {
  /** The store's redacted URL. */
  readonly source: string;
  /** The engine's reason, first line (e.g. "database or disk is full"). */
  readonly reason: string;
}

/** Options of {@link sqliteDb} and {@link postgresDb}. */
export interface SqlDbOptions {
  /**
   * The longest a statement waits for a lock held by another connection, in milliseconds
   * (`store.busy_timeout_ms`, default {@link DEFAULT_BUSY_TIMEOUT_MS}); then 503.
   */
  readonly busyTimeoutMs?: number;
  /**
   * Open for reading only (`keypebble check`, a backup being restored from, another program's
   * database read by `keypebble import`): nothing is changed.
   */
  readonly readOnly?: boolean;
  /** Told about every `store_unavailable` failure, with the engine's reason. */
  readonly onFault?: (fault: StoreFault) => void;
}

/** Default of {@link SqlDbOptions.busyTimeoutMs}. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** The client-facing message of a store that cannot serve (the reason goes to the log). */
export const UNAVAILABLE_MESSAGE = "The key store is unavailable; try again later";

/** Wrap an opened SQLite database (WAL mode, foreign keys, lock waits on a timer). */
export function sqliteDb(db: SqliteDatabase, source: string, options: SqlDbOptions = {}): SqlDb {
  const busyMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const fail = (e: unknown) => _storeError(source, e, options.onFault);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    // Read-only (`check`, a backup, another program's database read by `keypebble import`):
    // nothing about the file is changed.
    if (!options.readOnly) {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA synchronous = NORMAL");
    }
  } catch (e) {
    db.close();
    throw fail(e);
  }

  // One connection: every statement and transaction runs in turn, so an `await` inside a
  // transaction never lets another caller's statement into it. While nothing is queued, a
  // statement runs at once (the common case: no promise chain on the hot path).
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const inTurn = <T>(task: () => Promise<T>): Promise<T> => {
    queued++;
    const out = tail.then(task).finally(() => queued--);
    tail = out.catch(() => {});
    return out;
  };
  /** Run `op`, trying again on a timer while another connection holds the lock. */
  const patiently = async <T>(op: () => T): Promise<T> => {
    const deadline = Date.now() + busyMs;
    for (let wait = 2;; wait = Math.min(wait * 2, 100)) {
      try {
        return op();
      } catch (e) {
        if (!_isBusy(e) || Date.now() >= deadline) throw fail(e);
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(wait, deadline - Date.now()))));
    }
  };
  const statement = <T>(op: () => T): Promise<T> => {
    if (queued === 0) {
      try {
        return Promise.resolve(op());
      } catch (e) {
        if (!_isBusy(e)) return Promise.reject(fail(e));
      }
    }
    return inTurn(() => patiently(op));
  };

  // The connection as seen inside a transaction: statements run at once, nesting joins.
  const inside: SqlDb = {
    dialect: "sqlite",
    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        _refuseNul(params);
        return Promise.resolve(db.all(sql, params) as T[]);
      } catch (e) {
        return Promise.reject(fail(e));
      }
    },
    run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      try {
        _refuseNul(params);
        return Promise.resolve(db.run(sql, params));
      } catch (e) {
        return Promise.reject(fail(e));
      }
    },
    transaction: (fn) => fn(inside),
    close: () => Promise.reject(new Error("close() inside a transaction")),
  };

  return {
    dialect: "sqlite",
    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        _refuseNul(params);
      } catch (e) {
        return Promise.reject(e);
      }
      return statement(() => db.all(sql, params) as T[]);
    },
    run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      try {
        _refuseNul(params);
      } catch (e) {
        return Promise.reject(e);
      }
      return statement(() => db.run(sql, params));
    },
    transaction<T>(fn: (tx: SqlDb) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
      return inTurn(async () => {
        // BEGIN IMMEDIATE takes the write lock first, so a read-then-write transaction never
        // fails half-way with SQLITE_BUSY; a snapshot takes no lock at all.
        await patiently(() => db.exec(o.readOnly ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE"));
        let out: T;
        try {
          out = await fn(inside);
        } catch (e) {
          try {
            db.exec("ROLLBACK");
          } catch { /* already rolled back */ }
          throw e;
        }
        try {
          await patiently(() => db.exec("COMMIT"));
        } catch (e) {
          try {
            db.exec("ROLLBACK");
          } catch { /* already rolled back */ }
          throw e;
        }
        return out;
      });
    },
    backup(path: string): Promise<void> {
      return inTurn(async () => {
        try {
          await db.backupTo(path);
        } catch (e) {
          throw fail(e);
        }
      });
    },
    close(): Promise<void> {
      return inTurn(() => {
        db.close();
        return Promise.resolve();
      });
    },
  };
}

/** The part of an npm `postgres` client (or its transaction) this driver uses. */
export interface PgLike {
  unsafe(sql: string, params?: SqlValue[]): Promise<Record<string, unknown>[] & { count: number }>;
  begin<T>(fn: (tx: PgLike) => Promise<T>): Promise<T>;
  begin<T>(options: string, fn: (tx: PgLike) => Promise<T>): Promise<T>;
  end(options?: { timeout?: number }): Promise<void>;
}

/** Wrap an npm `postgres` client. */
export function postgresDb(pg: PgLike, source: string, options: SqlDbOptions = {}): SqlDb {
  const fail = (e: unknown) => _storeError(source, e, options.onFault);
  const make = (c: PgLike, top: boolean): SqlDb => ({
    dialect: "postgres",
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      _refuseNul(params);
      try {
        return [...await c.unsafe(_numbered(sql), [...params])] as T[];
      } catch (e) {
        throw fail(e);
      }
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      _refuseNul(params);
      try {
        return (await c.unsafe(_numbered(sql), [...params])).count;
      } catch (e) {
        throw fail(e);
      }
    },
    async transaction<T>(fn: (tx: SqlDb) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
      if (!top) return await fn(make(c, false));
      const body = async (tx: PgLike) => {
        if (o.lockId !== undefined) {
          await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [o.lockId]);
        }
        return await fn(make(tx, false));
      };
      try {
        return o.readOnly
          ? await c.begin("isolation level repeatable read read only", body)
          : await c.begin(body);
      } catch (e) {
        throw e instanceof KeypebbleError ? e : fail(e);
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

/**
 * Refuse a NUL character in a text parameter: PostgreSQL cannot store one (it answered a
 * login with NUL in the e-mail with an encoding error, a 500), and a value SQLite kept could
 * not move to PostgreSQL. No identifier, name, hash or JSON text Keypebble stores has one.
 */
function _refuseNul(params: readonly SqlValue[]): void {
  for (const p of params) {
    if (typeof p === "string" && p.includes("\u0000")) {
      throw new KeypebbleError("invalid_request", "Text must not contain a NUL character");
    }
  }
}

/** SQLite: another connection holds the lock (SQLITE_BUSY, SQLITE_LOCKED). */
function _isBusy(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  const code = String((e as { code?: unknown })?.code ?? "");
  return /database (?:table )?is locked|SQLITE_BUSY|SQLITE_LOCKED/i.test(msg + " " + code);
}

/**
 * Engine failures that mean "the store cannot serve right now" rather than "this query is
 * wrong": connection trouble, locks, a full disk, a read-only file or mount, I/O errors.
 * SQLite by message (both runtimes' bindings keep SQLite's own text), PostgreSQL by SQLSTATE
 * class: 08 connection, 53 insufficient resources (53100 disk full), 57P0x shutdown, 58 system
 * I/O, 25006 read-only transaction, 55P03 lock timeout, 40001/40P01 serialisation and deadlock.
 */
const UNAVAILABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|CONNECT_TIMEOUT|CONNECTION_|Connection refused|terminating connection|the database system is|connection (?:ended|closed)|database is not open|database (?:table )?is locked|SQLITE_(?:BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)|readonly database|read-only|disk I\/O error|database or disk is full|unable to open database file|database disk image is malformed|file is not a database|No space left/i;

function _unavailable(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  const code = String((e as { code?: unknown })?.code ?? "");
  if (/^(?:08|53|58)...$|^57P0.$|^25006$|^55P03$|^40001$|^40P01$/.test(code)) return true;
  return UNAVAILABLE_TEXT.test(msg) || UNAVAILABLE_TEXT.test(code);
}

/** The first line of an engine's reason (never a password: the URL is not part of it). */
export function faultReason(e: unknown): string {
  const cause = e instanceof KeypebbleError && e.cause !== undefined ? e.cause : e;
  const msg = cause instanceof Error ? cause.message : String(cause);
  const code = String((cause as { code?: unknown })?.code ?? "");
  const line = msg.split("\n")[0].slice(0, 200);
  return code !== "" && !line.includes(code) ? `${line} (${code})` : line;
}

/**
 * An engine error as a {@link KeypebbleError}: `store_unavailable` (503) when the store is down,
 * locked, full or read-only, `conflict` for a unique violation, `store_error` otherwise.
 * Messages a client may see never name the store; `store_error` ones (500, never shown to
 * clients) name it and the engine's reason.
 */
function _storeError(
  source: string,
  e: unknown,
  onFault?: (fault: StoreFault) => void,
): KeypebbleError {
  if (e instanceof KeypebbleError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = String((e as { code?: unknown })?.code ?? "");
  if (code === "23505" || /UNIQUE constraint failed/i.test(msg)) {
    return new KeypebbleError("conflict", "Already exists", { cause: e });
  }
  if (_unavailable(e)) {
    try {
      onFault?.({ source, reason: faultReason(e) });
    } catch { /* a logger's failure must not change the answer */ }
    return new KeypebbleError("store_unavailable", UNAVAILABLE_MESSAGE, { cause: e });
  }
  return new KeypebbleError("store_error", `Store ${source}: ${msg.split("\n")[0]}`, { cause: e });
}
