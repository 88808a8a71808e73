/**
 * Test helpers for `src/jose` tests only: run openssl, temp dirs, assert error codes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";

/** Run a command; fail the test with its stderr when it exits non-zero. */
export async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return out.stdout;
}

/** Run openssl. */
export function openssl(...args: string[]): Promise<Uint8Array> {
  return run("openssl", args);
}

/** A temp dir removed after `fn`. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "keypebble_jose_test_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Assert that `p` rejects with a KeypebbleError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKeypebbleError(e), `expected a KeypebbleError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code "${code}", got "${e.code}": ${e.message}`);
    return true;
  });
}

/** Assert that `fn` throws a KeypebbleError of `code`. */
export function throwsWith(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isKeypebbleError(e), `expected a KeypebbleError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code "${code}", got "${e.code}": ${e.message}`);
    return true;
  });
}

/** Bytes to hex. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
