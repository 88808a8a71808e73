/**
 * {@link SpiffeFiles} over `node:fs/promises`: the one implementation Deno, Bun and Node share,
 * so the provisioning commands work the same in the source, the Deno binary and the Bun binary,
 * and the services' TypeScript module needs no dependency.
 *
 * @module
 */

import * as nodePath from "node:path";
import process from "node:process";
import type { FileStat, SpiffeFiles } from "./files.ts";

function _code(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? (e as { code?: string }).code : undefined;
}

let _counter = 0;

type NodeFs = typeof import("node:fs/promises");
let _fsModule: Promise<NodeFs> | undefined;

/**
 * `node:fs/promises`, loaded on first use: evaluating it costs a few milliseconds on Bun, and
 * `serve` without SPIFFE never needs it (cold start).
 */
function _fs(): Promise<NodeFs> {
  return _fsModule ??= import("node:fs/promises");
}

/** The node:fs implementation of {@link SpiffeFiles}. */
export const nodeFiles: SpiffeFiles = {
  async readText(path: string): Promise<string | undefined> {
    const fs = await _fs();
    try {
      return await fs.readFile(path, "utf8");
    } catch (e) {
      if (_code(e) === "ENOENT") return undefined;
      throw e;
    }
  },
  async writeAtomic(path: string, text: string, mode: number): Promise<void> {
    const fs = await _fs();
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}-${_counter++}`;
    const fh = await fs.open(tmp, "wx", mode);
    try {
      await fh.writeFile(text, "utf8");
      await fh.chmod(mode); // the umask may have narrowed or widened nothing; be exact
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  },
  async createExclusive(path: string, text: string): Promise<boolean> {
    const fs = await _fs();
    try {
      await fs.writeFile(path, text, { flag: "wx", mode: 0o600 });
      return true;
    } catch (e) {
      if (_code(e) === "EEXIST") return false;
      throw e;
    }
  },
  async mkdirp(path: string, mode: number): Promise<void> {
    const fs = await _fs();
    await fs.mkdir(path, { recursive: true, mode });
  },
  async stat(path: string): Promise<FileStat | undefined> {
    const fs = await _fs();
    try {
      const s = await fs.stat(path);
      return {
        isFile: s.isFile(),
        isDirectory: s.isDirectory(),
        mtimeMs: s.mtimeMs,
        size: s.size,
        ino: s.ino,
      };
    } catch (e) {
      if (_code(e) === "ENOENT" || _code(e) === "ENOTDIR") return undefined;
      throw e;
    }
  },
  async list(path: string): Promise<string[]> {
    const fs = await _fs();
    try {
      return await fs.readdir(path);
    } catch (e) {
      if (_code(e) === "ENOENT") return [];
      throw e;
    }
  },
  async rename(from: string, to: string): Promise<void> {
    const fs = await _fs();
    await fs.rename(from, to);
  },
  async remove(path: string): Promise<void> {
    const fs = await _fs();
    try {
      await fs.rm(path);
    } catch (e) {
      if (_code(e) === "ENOENT") return;
      if (_code(e) === "EISDIR" || _code(e) === "ERR_FS_EISDIR") {
        await fs.rmdir(path).catch((e2) => {
          if (_code(e2) !== "ENOENT") throw e2;
        });
        return;
      }
      throw e;
    }
  },
  absolute(path: string): string {
    return nodePath.resolve(path);
  },
  pid(): number {
    return process.pid;
  },
  async touch(path: string): Promise<void> {
    const fs = await _fs();
    const now = new Date();
    await fs.utimes(path, now, now).catch(() => {});
  },
};
