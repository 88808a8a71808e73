/**
 * The API key format: `<prefix><43 base64url characters>` (32 random bytes), e.g.
 * `kp_live_3q2-…`. Stored only as HMAC-SHA-256 under the pepper; shown once at creation; listed
 * by a short display prefix (the prefix and 4 characters).
 */

import { b64uEncode } from "../jose/mod.ts";
import { HmacSha256 } from "../jose/hmac_sha256.ts";

/** Characters of the random part of a generated key. */
export const KEY_BODY_LENGTH = 43;

/** Bounds of the random part accepted (migrated keys may be shorter or longer). */
const BODY = /^[A-Za-z0-9_-]{32,64}$/;

/** Make a new raw key with `prefix`. */
export function generateRawKey(prefix: string): string {
  return prefix + b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** What is shown of a key in listings: its prefix and the first 4 characters after it. */
export function displayPrefix(raw: string, prefix: string): string {
  return raw.slice(0, prefix.length + 4);
}

/** Why a presented string is not a key (before any lookup). */
export type KeyShapeProblem = "malformed" | "wrong_prefix";

/**
 * Check a presented key's shape: one of the accepted prefixes followed by base64url characters,
 * nothing else (no whitespace, no padding). Returns the prefix, or the problem.
 */
export function checkKeyShape(
  raw: string,
  accepted: readonly string[],
): { prefix: string } | { problem: KeyShapeProblem } {
  if (raw.length > 128) return { problem: "malformed" };
  for (const prefix of accepted) {
    if (raw.startsWith(prefix)) {
      return BODY.test(raw.slice(prefix.length)) ? { prefix } : { problem: "malformed" };
    }
  }
  return { problem: /^[a-z][a-z0-9]*_/.test(raw) ? "wrong_prefix" : "malformed" };
}

/** Hashes keys with the pepper: hex HMAC-SHA-256 (synchronous, no allocation of a CryptoKey). */
export class KeyHasher {
  readonly #mac: HmacSha256;

  constructor(pepper: Uint8Array) {
    this.#mac = new HmacSha256(pepper);
  }

  /** The stored form of `raw`: the hex HMAC of its UTF-8. */
  hash(raw: string): string {
    return this.#mac.signHex(raw);
  }
}

/**
 * The key a request presents: `X-API-Key`, or `Authorization: Bearer <key>` when it carries a key
 * prefix (or any Bearer value with `anyBearer`, where only keys are expected).
 */
export function presentedKey(
  headers: Headers,
  accepted: readonly string[],
  options: { anyBearer?: boolean } = {},
): string | undefined {
  const x = headers.get("x-api-key");
  if (x !== null) return x;
  const auth = headers.get("authorization");
  if (auth === null || !/^bearer /i.test(auth)) return undefined;
  const token = auth.slice(7);
  if (options.anyBearer) return token;
  // A Bearer JWT (or anything not shaped like our keys) is not an API key.
  return accepted.some((p) => token.startsWith(p)) ? token : undefined;
}
