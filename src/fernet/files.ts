/**
 * The file operations a Fernet key repository needs, as an interface, so the repository logic
 * is tested in memory and runs the same on Deno and Bun (`src/platform/fernet_files.ts`
 * implements it with `node:fs`).
 *
 * @module
 */

/** File access for a key repository. */
export interface FernetFiles {
  /** Entry names of a directory, or `undefined` when it does not exist. */
  list(dir: string): Promise<string[] | undefined>;
  /** A UTF-8 file's text, or `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Create a new file with `mode` and flush it; rejects when it already exists. */
  writeNew(path: string, text: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Remove a file; no error when it is already gone. */
  remove(path: string): Promise<void>;
  /** `mkdir -p` with `mode` for what it creates. */
  mkdir(path: string, mode: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** Permission bits, or `undefined` when the file does not exist. */
  mode(path: string): Promise<number | undefined>;
}
