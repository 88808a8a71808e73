/**
 * The file operations a spiffile root needs, as an interface the platform offers: the
 * provisioning commands, the server and the services' module all go through it.
 * `node_fs.ts` implements it with `node:fs`, which Deno, Bun and Node all provide.
 *
 * @module
 */

/** What a stat tells us. */
export interface FileStat {
  /** A regular file. */
  readonly isFile: boolean;
  /** A directory. */
  readonly isDirectory: boolean;
  /** Last modification, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Size in bytes. */
  readonly size: number;
  /** Inode number: a write-and-rename always changes it, even within one mtime tick. */
  readonly ino: number;
}

/** File access for spiffile roots. Paths are absolute or relative to the process's cwd. */
export interface SpiffeFiles {
  /** A UTF-8 file's text, or `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /**
   * Replace `path` atomically: write a temporary file beside it with `mode`, flush it, rename it
   * over `path`. A reader sees the old file or the new one, never half of one.
   */
  writeAtomic(path: string, text: string, mode: number): Promise<void>;
  /** Create a file only if it does not exist; `false` when it does. */
  createExclusive(path: string, text: string): Promise<boolean>;
  /** `mkdir -p` with `mode` for the directories it creates. */
  mkdirp(path: string, mode: number): Promise<void>;
  /** What `path` is, or `undefined` when it does not exist. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Entry names of a directory (empty when it does not exist). */
  list(path: string): Promise<string[]>;
  /** Rename (atomic within one file system). */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or empty directory; no error when it is already gone. */
  remove(path: string): Promise<void>;
  /** An absolute form of `path`. */
  absolute(path: string): string;
  /** This process's id (lock ownership). */
  pid(): number;
  /** Set a file's modification time to now (a lock holder's heartbeat); no error if gone. */
  touch(path: string): Promise<void>;
}
