/**
 * Fernet tokens (the Fernet spec, version 0x80: github.com/fernet/spec, Spec.md): the message is
 * encrypted with AES-128-CBC (PKCS #7 padding) and authenticated with HMAC-SHA256 over
 * `Version ‖ Timestamp ‖ IV ‖ Ciphertext`; the token is that, then the HMAC, in base64url with
 * padding.
 *
 * Verifying follows the spec's order: decode, version, timestamp (TTL, and a limit on tokens
 * from the future), then the HMAC, compared in constant time, and only then decryption. A token
 * whose HMAC does not match is never decrypted, so a changed ciphertext cannot probe the CBC
 * padding.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { b64uDecodePadded, b64uEncodePadded } from "../jose/base64url.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import { HmacSha256 } from "../jose/hmac_sha256.ts";

/** The only version the spec defines. */
export const FERNET_VERSION = 0x80;
/** Seconds a token's timestamp may be ahead of our clock (as Python's `cryptography` allows). */
export const MAX_CLOCK_SKEW_SECONDS = 60;
/** The longest token accepted, in characters. */
export const MAX_FERNET_LENGTH = 32 * 1024;

// Version (1) + Timestamp (8) + IV (16) + at least one block (16) + HMAC (32)
const MIN_BYTES = 1 + 8 + 16 + 16 + 32;

/** One Fernet key: a 128-bit signing key and a 128-bit encryption key. */
export interface FernetKey {
  /** Where the key came from (a repository file name), for `check` and logs; never the key. */
  readonly id: string;
  readonly mac: HmacSha256;
  readonly encryptKey: CryptoKey;
}

function _invalid(message: string): KeypebbleError {
  return new KeypebbleError("invalid_token", message);
}

/**
 * Import a key written as the spec has it: 32 bytes, base64url with padding (44 characters),
 * `Signing-key ‖ Encryption-key`.
 *
 * @throws {KeypebbleError} `invalid_key`
 */
export async function importFernetKey(text: string, id: string): Promise<FernetKey> {
  let raw: Uint8Array;
  try {
    raw = b64uDecodePadded(text.trim());
  } catch {
    throw new KeypebbleError("invalid_key", `Fernet key "${id}" is not base64url`);
  }
  if (raw.length !== 32) {
    throw new KeypebbleError("invalid_key", `Fernet key "${id}" must be 32 bytes`);
  }
  const encryptKey = await crypto.subtle.importKey("raw", raw.slice(16), "AES-CBC", false, [
    "encrypt",
    "decrypt",
  ]);
  const mac = new HmacSha256(raw.subarray(0, 16));
  raw.fill(0);
  return Object.freeze({ id, mac, encryptKey });
}

/** A new random key, as the spec writes keys (base64url with padding). */
export function newFernetKeyText(): string {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const text = b64uEncodePadded(raw);
  raw.fill(0);
  return text;
}

/**
 * Make a token of `message` at `now` (seconds since the epoch). `iv` is random unless given
 * (the spec's generate vectors only).
 */
export async function fernetEncrypt(
  key: FernetKey,
  message: Uint8Array,
  now: number,
  iv: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): Promise<string> {
  if (iv.length !== 16) throw new RangeError("A Fernet IV is 16 bytes");
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-CBC", iv: new Uint8Array(iv) },
      key.encryptKey,
      new Uint8Array(message),
    ),
  );
  const body = new Uint8Array(25 + ciphertext.length + 32);
  body[0] = FERNET_VERSION;
  _writeTimestamp(body, Math.floor(now));
  body.set(iv, 9);
  body.set(ciphertext, 25);
  body.set(key.mac.sign(body.subarray(0, 25 + ciphertext.length)), 25 + ciphertext.length);
  return b64uEncodePadded(body);
}

function _writeTimestamp(out: Uint8Array, t: number): void {
  // 64-bit unsigned big-endian; JavaScript numbers are exact up to 2^53
  const high = Math.floor(t / 0x1_0000_0000);
  const low = t >>> 0;
  out.set([high >>> 24, high >>> 16, high >>> 8, high, low >>> 24, low >>> 16, low >>> 8, low], 1);
}

function _readTimestamp(b: Uint8Array): number {
  const high = ((b[1] << 24) | (b[2] << 16) | (b[3] << 8) | b[4]) >>> 0;
  const low = ((b[5] << 24) | (b[6] << 16) | (b[7] << 8) | b[8]) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** Options of {@link fernetDecrypt}. */
export interface FernetVerifyOptions {
  /** The current time, seconds since the epoch. */
  readonly now: number;
  /** Refuse tokens older than this many seconds (spec step 3); none when absent. */
  readonly ttlSeconds?: number;
  /** How far in the future a timestamp may be; default {@link MAX_CLOCK_SKEW_SECONDS}. */
  readonly maxClockSkew?: number;
}

/**
 * Verify a token with any of `keys` and return its message and timestamp (the spec's
 * "Verifying", steps 1–7).
 *
 * @throws {KeypebbleError} `invalid_token` (malformed, another version, no key's HMAC matches,
 *   bad padding), `token_expired` (older than the TTL), `token_not_yet_valid` (further in the
 *   future than the clock skew allows)
 */
export async function fernetDecrypt(
  token: string,
  keys: readonly FernetKey[],
  options: FernetVerifyOptions,
): Promise<{ message: Uint8Array; timestamp: number; key: FernetKey }> {
  if (typeof token !== "string" || token.length === 0) throw _invalid("Token is empty");
  if (token.length > MAX_FERNET_LENGTH) {
    throw _invalid(`Token is longer than ${MAX_FERNET_LENGTH} characters`);
  }
  // 1. base64url decode
  let b: Uint8Array;
  try {
    b = b64uDecodePadded(token);
  } catch {
    throw _invalid("Token is not padded base64url");
  }
  if (b.length < MIN_BYTES || (b.length - 57) % 16 !== 0) {
    throw _invalid("Token has the wrong length for a Fernet token");
  }
  // 2. the version
  if (b[0] !== FERNET_VERSION) throw _invalid("Token is not a Fernet version 0x80 token");
  // 3. the timestamp: not too old (TTL), not from the future beyond the allowed skew
  const timestamp = _readTimestamp(b);
  const skew = options.maxClockSkew ?? MAX_CLOCK_SKEW_SECONDS;
  if (timestamp > options.now + skew) {
    throw new KeypebbleError("token_not_yet_valid", "Token was issued in the future");
  }
  if (options.ttlSeconds !== undefined && timestamp + options.ttlSeconds < options.now) {
    throw new KeypebbleError("token_expired", "Token has expired");
  }
  // 4–5. the HMAC, in constant time, against each key
  const signed = b.subarray(0, b.length - 32);
  const hmac = b.subarray(b.length - 32);
  const key = keys.find((k) => timingSafeEqual(k.mac.sign(signed), hmac));
  if (key === undefined) throw _invalid("Token signature is invalid");
  // 6–7. decrypt and unpad (Web Crypto checks the PKCS #7 padding)
  try {
    const message = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-CBC", iv: b.slice(9, 25) },
        key.encryptKey,
        b.slice(25, b.length - 32),
      ),
    );
    return { message, timestamp, key };
  } catch {
    throw _invalid("Token could not be decrypted");
  }
}
