/**
 * The runtime's own SQLite, seen through one small interface. Deno implements it with
 * `node:sqlite` (`sqlite_deno.ts`), Bun with `bun:sqlite` (`sqlite_bun.ts`); the server adapters
 * hand the right opener to the store, so nothing in `src/store/` knows the runtime.
 */

/** A value bound to, or read from, a SQLite statement. */
export type SqliteValue = string | number | null;

/** An open SQLite database (synchronous, one connection). */
export interface SqliteDatabase {
  /** Run one or more statements without results (DDL, pragmas). */
  exec(sql: string): void;
  /** Run a query and return every row as an object. */
  all(sql: string, params: readonly SqliteValue[]): Record<string, unknown>[];
  /** Run a statement; returns the number of rows changed. */
  run(sql: string, params: readonly SqliteValue[]): number;
  /**
   * Copy the database, consistently, into `path` (an empty or missing file) while it stays in
   * use, leaving a self-contained file (rollback journal, no -wal or -shm). Deno: SQLite's
   * online backup API (`VACUUM INTO` needs ATTACH, which Deno's SQLite refuses unless every
   * permission is granted); Bun: `VACUUM INTO`.
   */
  backupTo(path: string): Promise<void>;
  close(): void;
}

/** Options of a {@link SqliteOpener}. */
export interface SqliteOpenOptions {
  /**
   * Open an existing file for reading only; never create or write it (`keypebble check`, a
   * backup being restored, another program's database read by `keypebble import`).
   */
  readonly readOnly?: boolean;
}

/** Open (creating when missing, mode 0600, unless read-only) a SQLite database file. */
export type SqliteOpener = (path: string, options?: SqliteOpenOptions) => Promise<SqliteDatabase>;
