/**
 * Test helpers for `src/jose` tests only: run openssl, temp dirs, assert error codes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import { type Alg, algSpec } from "./algorithms.ts";
import type { KeyEntry } from "./keys.ts";

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

/**
 * A verify-only key entry from a public JWK or an SPKI PEM, for tests that check signatures made
 * elsewhere (RFC 7515 vectors, openssl). The product never imports bare public keys.
 */
export async function verifyOnlyKey(
  alg: Alg,
  key: { jwk: JsonWebKey } | { spkiPem: string },
): Promise<KeyEntry> {
  const params = algSpec(alg).importParams;
  const verifyKey = "jwk" in key
    ? await crypto.subtle.importKey("jwk", key.jwk, params, true, ["verify"])
    : await crypto.subtle.importKey("spki", _pemDer(key.spkiPem), params, true, ["verify"]);
  return { alg, verifyKey };
}

function _pemDer(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
