/**
 * Files the store commands write and read (`store backup`, `export`, `import`, `restore`):
 * created new with mode 0600 (never overwriting one), written in large chunks and synced, read
 * back line by line without holding the whole file in memory. `node:fs/promises`, which Deno
 * and Bun share.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";

type NodeFs = typeof import("node:fs/promises");
let _fsModule: Promise<NodeFs> | undefined;
const _fs = () => _fsModule ??= import("node:fs/promises");

function _code(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? (e as { code?: string }).code : undefined;
}

function _fail(path: string, e: unknown): KeypebbleError {
  if (e instanceof KeypebbleError) return e;
  if (_code(e) === "EEXIST") {
    return new KeypebbleError(
      "conflict",
      `"${path}" already exists; Keypebble never overwrites a file: name a new one`,
    );
  }
  if (_code(e) === "ENOENT") return new KeypebbleError("not_found", `"${path}" does not exist`);
  return new KeypebbleError(
    "store_error",
    `"${path}": ${e instanceof Error ? e.message : String(e)}`,
  );
}

/** Create `path` empty, mode 0600; refuses an existing file. */
export async function createPrivateEmpty(path: string): Promise<void> {
  const fs = await _fs();
  try {
    const fh = await fs.open(path, "wx", 0o600);
    await fh.chmod(0o600);
    await fh.close();
  } catch (e) {
    throw _fail(path, e);
  }
}

/**
 * Create `path` (mode 0600, refusing an existing file) and write the lines `produce` gives, each
 * followed by a newline, then sync. A failure removes the partial file. Resolves to the bytes
 * written.
 */
export async function writePrivateLines(
  path: string,
  produce: (line: (text: string) => Promise<void>) => Promise<void>,
): Promise<number> {
  const fs = await _fs();
  let fh;
  try {
    fh = await fs.open(path, "wx", 0o600);
    await fh.chmod(0o600);
  } catch (e) {
    throw _fail(path, e);
  }
  const enc = new TextEncoder();
  let buf: string[] = [];
  let size = 0;
  let bytes = 0;
  const flush = async () => {
    if (buf.length === 0) return;
    const chunk = enc.encode(buf.join(""));
    buf = [];
    size = 0;
    await fh!.write(chunk);
    bytes += chunk.length;
  };
  try {
    await produce(async (text) => {
      buf.push(text, "\n");
      size += text.length + 1;
      if (size >= 1 << 16) await flush();
    });
    await flush();
    await fh.sync();
    await fh.close();
    return bytes;
  } catch (e) {
    await fh.close().catch(() => {});
    await fs.rm(path, { force: true }).catch(() => {});
    throw e instanceof KeypebbleError ? e : _fail(path, e);
  }
}

/** The lines of a UTF-8 file, read in chunks (a final line without a newline included). */
export async function* readLines(path: string): AsyncGenerator<string> {
  const fs = await _fs();
  let fh;
  try {
    fh = await fs.open(path, "r");
  } catch (e) {
    throw _fail(path, e);
  }
  try {
    const dec = new TextDecoder("utf-8", { fatal: true });
    const chunk = new Uint8Array(1 << 16);
    let rest = "";
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      rest += dec.decode(chunk.subarray(0, bytesRead), { stream: true });
      let nl: number;
      while ((nl = rest.indexOf("\n")) !== -1) {
        yield rest.slice(0, nl);
        rest = rest.slice(nl + 1);
      }
    }
    rest += dec.decode();
    if (rest !== "") yield rest;
  } catch (e) {
    throw e instanceof KeypebbleError ? e : _fail(path, e);
  } finally {
    await fh.close();
  }
}

/** The first `n` bytes of a file (fewer when it is shorter). */
export async function fileHead(path: string, n: number): Promise<Uint8Array> {
  const fs = await _fs();
  try {
    const fh = await fs.open(path, "r");
    try {
      const buf = new Uint8Array(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw _fail(path, e);
  }
}

/** A file's size in bytes. */
export async function fileSize(path: string): Promise<number> {
  const fs = await _fs();
  try {
    return (await fs.stat(path)).size;
  } catch (e) {
    throw _fail(path, e);
  }
}

/** Remove a file (no error when it is gone already). */
export async function removeFile(path: string): Promise<void> {
  const fs = await _fs();
  await fs.rm(path, { force: true });
}
