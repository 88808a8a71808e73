/**
 * The file operations a Fernet key repository needs ({@link FernetFiles}, defined here in the
 * platform layer as the spiffile root's are) and their implementation over `node:fs/promises`,
 * which Deno and Bun both provide, so `keypebble fernet setup|rotate` and the server read and
 * write a key repository the same way on both.
 *
 * @module
 */

/** File access for a key repository (src/fernet/repository.ts). */
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

function _code(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? (e as { code?: string }).code : undefined;
}

type NodeFs = typeof import("node:fs/promises");
let _fsModule: Promise<NodeFs> | undefined;

/** Loaded on first use: a server without a Fernet repository never needs it. */
function _fs(): Promise<NodeFs> {
  return _fsModule ??= import("node:fs/promises");
}

/** The node:fs implementation of {@link FernetFiles}. */
export const nodeFernetFiles: FernetFiles = {
  async list(dir: string): Promise<string[] | undefined> {
    try {
      return await (await _fs()).readdir(dir);
    } catch (e) {
      if (_code(e) === "ENOENT") return undefined;
      throw e;
    }
  },
  async readText(path: string): Promise<string | undefined> {
    try {
      return await (await _fs()).readFile(path, "utf8");
    } catch (e) {
      if (_code(e) === "ENOENT") return undefined;
      throw e;
    }
  },
  async writeNew(path: string, text: string, mode: number): Promise<void> {
    const fh = await (await _fs()).open(path, "wx", mode);
    try {
      await fh.writeFile(text, "utf8");
      await fh.chmod(mode); // whatever the umask, exactly this mode
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async rename(from: string, to: string): Promise<void> {
    await (await _fs()).rename(from, to);
  },
  async remove(path: string): Promise<void> {
    try {
      await (await _fs()).rm(path);
    } catch (e) {
      if (_code(e) !== "ENOENT") throw e;
    }
  },
  async mkdir(path: string, mode: number): Promise<void> {
    await (await _fs()).mkdir(path, { recursive: true, mode });
  },
  async chmod(path: string, mode: number): Promise<void> {
    await (await _fs()).chmod(path, mode);
  },
  async mode(path: string): Promise<number | undefined> {
    try {
      return (await (await _fs()).stat(path)).mode & 0o7777;
    } catch (e) {
      if (_code(e) === "ENOENT") return undefined;
      throw e;
    }
  },
};
