/**
 * Password hashes: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) via Web Crypto, stored as PHC-style strings.
 *
 * Written format (ours):
 *
 * ```
 * $pbkdf2-sha256$i=<iterations>$<salt>$<hash>
 * ```
 *
 * where salt and hash are standard base64 (RFC 4648 §4) without padding, the salt is 16 random
 * bytes and the hash 32 bytes. Also accepted, so Python users can keep their hashes, is passlib's
 * `pbkdf2_sha256` format:
 *
 * ```
 * $pbkdf2-sha256$<iterations>$<salt>$<hash>
 * ```
 *
 * where salt and hash use passlib's "adapted base64": `.` instead of `+`, no padding.
 *
 * @example
 * ```ts
 * const phc = await hashPassword("s3cret");
 * await verifyPassword("s3cret", phc); // true
 * ```
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";

/** OWASP Password Storage Cheat Sheet (2023) figure for PBKDF2-HMAC-SHA256. */
export const DEFAULT_ITERATIONS = 600_000;
/** Fewest iterations a stored hash may use. */
export const MIN_ITERATIONS = 1_000;
/** Most iterations a stored hash may use (bounds the cost of one verification). */
export const MAX_ITERATIONS = 10_000_000;
const MIN_SALT_BYTES = 8;
const HASH_BYTES = 32;
const PREFIX = "$pbkdf2-sha256$";

/** A parsed password hash. */
export interface ParsedHash {
  readonly algorithm: "pbkdf2-sha256";
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
  /** Which encoding the string used. */
  readonly format: "phc" | "passlib";
}

function _malformed(problem: string): KeypebbleError {
  // Never echo the hash itself: it is a secret-equivalent.
  return new KeypebbleError("policy_invalid", `Password hash is malformed: ${problem}`);
}

/** Strict unpadded base64 decoding (RFC 4648 §4, §3.2), `.` read as `+` for passlib. */
function _decodeB64(s: string, passlib: boolean): Uint8Array | null {
  const std = passlib ? s.replaceAll(".", "+") : s;
  if (!/^[A-Za-z0-9+/]*$/.test(std) || std.length % 4 === 1) return null;
  const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Refuse non-canonical encodings (stray low bits), so one hash has one spelling.
  if (_encodeB64(out) !== std) return null;
  return out;
}

function _encodeB64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/=+$/, "");
}

/**
 * Parses and validates a stored hash: iterations within [1000, 10 000 000], salt of at least 8
 * bytes, hash of exactly 32 bytes. Used when loading a policy so a bad hash fails at start.
 *
 * @throws {KeypebbleError} `policy_invalid` naming the problem (never the hash)
 */
export function parsePasswordHash(phc: string): ParsedHash {
  if (!phc.startsWith(PREFIX)) {
    throw _malformed(`expected it to start with "${PREFIX}"`);
  }
  const parts = phc.slice(PREFIX.length).split("$");
  if (parts.length !== 3) throw _malformed("expected iterations, salt and hash");
  const [rounds, saltText, hashText] = parts;
  let format: "phc" | "passlib";
  let digits: string;
  if (rounds.startsWith("i=")) {
    format = "phc";
    digits = rounds.slice(2);
  } else {
    format = "passlib";
    digits = rounds;
  }
  if (!/^[1-9][0-9]{0,9}$/.test(digits)) throw _malformed("iterations are not a number");
  const iterations = Number(digits);
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw _malformed(`iterations must be between "${MIN_ITERATIONS}" and "${MAX_ITERATIONS}"`);
  }
  const salt = _decodeB64(saltText, format === "passlib");
  if (salt === null) throw _malformed("salt is not valid base64");
  if (salt.length < MIN_SALT_BYTES) {
    throw _malformed(`salt must be at least "${MIN_SALT_BYTES}" bytes`);
  }
  const hash = _decodeB64(hashText, format === "passlib");
  if (hash === null) throw _malformed("hash is not valid base64");
  if (hash.length !== HASH_BYTES) throw _malformed(`hash must be "${HASH_BYTES}" bytes`);
  return { algorithm: "pbkdf2-sha256", iterations, salt, hash, format };
}

/** PBKDF2 iterations run by this process, so tests can prove equal work without timing. */
export const derivationStats: { iterations: number } = { iterations: 0 };

async function _derive(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  derivationStats.iterations += iterations;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    HASH_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Hashes a password into our PHC-style string (see the module docs).
 *
 * @param options.iterations defaults to 600 000; must be within [1000, 10 000 000]
 * @param options.salt defaults to 16 random bytes; at least 8 bytes
 */
export async function hashPassword(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (
    !Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS
  ) {
    throw new KeypebbleError(
      "invalid_request",
      `Iterations must be an integer between "${MIN_ITERATIONS}" and "${MAX_ITERATIONS}"`,
    );
  }
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  if (salt.length < MIN_SALT_BYTES) {
    throw new KeypebbleError("invalid_request", `Salt must be at least "${MIN_SALT_BYTES}" bytes`);
  }
  const hash = await _derive(password, salt, iterations);
  return `${PREFIX}i=${iterations}$${_encodeB64(salt)}$${_encodeB64(hash)}`;
}

/**
 * Verifies a password against a stored hash (ours or passlib's) with a constant-time compare.
 * A malformed stored hash verifies as false.
 */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  let parsed: ParsedHash;
  try {
    parsed = parsePasswordHash(phc);
  } catch {
    return false;
  }
  const derived = await _derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqual(derived, parsed.hash);
}

/**
 * A well-formed hash with the given iteration count that no password is known to match (the
 * "hash" bytes are fixed, not derived from any password). Verify an unknown user's password
 * against it so that unknown users cost the same time as known ones and cannot be told apart.
 */
export function dummyHashFor(iterations: number = DEFAULT_ITERATIONS): string {
  const n = Math.min(MAX_ITERATIONS, Math.max(MIN_ITERATIONS, Math.trunc(iterations)));
  return `${PREFIX}i=${n}$a2V5cGViYmxlLWR1bW15$${"A".repeat(42)}w`;
}

/** {@link dummyHashFor} at the default iteration count. */
export const DUMMY_HASH: string = dummyHashFor(DEFAULT_ITERATIONS);
