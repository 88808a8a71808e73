/**
 * The files of a SQLite store as the operating system sees them: the database, its `-wal` and
 * `-shm` companions and their directory, each with its mode and whether this process may write
 * it. Read with `node:fs/promises`, which Deno and Bun share, so the store's start-up checks
 * (src/apikeys/state.ts) are the same on both runtimes.
 *
 * Never call it while this process has the database open (a worker thread of `serve
 * --workers N`, say): closing any descriptor of a file drops every POSIX lock the process holds
 * on it, SQLite's included, and the other connections would read stale snapshots or worse.
 *
 * @module
 */

/** One file of a SQLite store. */
export interface SqliteFileState {
  readonly path: string;
  readonly exists: boolean;
  /** Permission bits, when the file exists. */
  readonly mode?: number;
  /** This process may open it for writing (a read-only mount counts as not writable). */
  readonly writable: boolean;
}

/**
 * The database, `-wal`, `-shm` and the directory that holds them (whether the directory is
 * writable is not probed: that would mean creating a file in it; `writable` is true).
 */
export interface SqliteFiles {
  readonly db: SqliteFileState;
  readonly wal: SqliteFileState;
  readonly shm: SqliteFileState;
  readonly dir: SqliteFileState;
}

type NodeFs = typeof import("node:fs/promises");
let _fs: Promise<NodeFs> | undefined;

async function _state(fs: NodeFs, path: string, isDir = false): Promise<SqliteFileState> {
  let mode: number | undefined;
  try {
    mode = (await fs.stat(path)).mode & 0o7777;
  } catch {
    return { path, exists: false, writable: false };
  }
  if (isDir) return { path, exists: true, mode, writable: true };
  // Opened for writing and closed at once: nothing changes, and no permission beyond the file
  // access the store needs anyway (access(2) would need the uid, a separate permission on Deno).
  let writable = true;
  try {
    await (await fs.open(path, "r+")).close();
  } catch {
    writable = false;
  }
  return { path, exists: true, mode, writable };
}

/** Look at the files of the SQLite database at `path` (nothing is created or changed). */
export async function sqliteFiles(path: string): Promise<SqliteFiles> {
  const fs = await (_fs ??= import("node:fs/promises"));
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  const [db, wal, shm, d] = await Promise.all([
    _state(fs, path),
    _state(fs, `${path}-wal`),
    _state(fs, `${path}-shm`),
    _state(fs, dir, true),
  ]);
  return { db, wal, shm, dir: d };
}
