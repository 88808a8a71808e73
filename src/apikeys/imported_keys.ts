/**
 * Keys imported from keyguard and pico-auth (issue 22), at check time. Their rows keep the hash
 * their source made until the key is first presented here; then the row moves to our scheme
 * (HMAC-SHA-256 under the pepper), as bcrypt passwords move to PBKDF2 at the next login.
 *
 * - keyguard: `hex(SHA-256(key ‖ secret_key))` (keyguard's `AuthService.hash_key`), keys
 *   `<prefix><secrets.token_urlsafe(32)>`: any prefix, 43 base64url characters. Found only with
 *   keyguard's `secret_key` (`store.keyguard_secret_key_path`), read once at start.
 * - pico-auth service tokens: `hex(SHA-256(token))`, tokens `pico_svc_` + 64 hex characters.
 *
 * A hash of an imported scheme only ever matches a row of that scheme (the lookup says which),
 * so nothing Keypebble made can be found by it. Imported keys keep their own prefix whatever
 * `store.accepted_prefixes` says, within the safe shape below.
 */

import { sha256 } from "../jose/hmac_sha256.ts";
import type { HashCandidate } from "../store/mod.ts";

/** Characters of `secrets.token_urlsafe(32)`, the random part of every keyguard key. */
export const KEYGUARD_BODY_LENGTH = 43;

/**
 * The shape accepted for an imported keyguard key: a prefix of 1 to 32 letters, digits, `_`, `.`
 * or `-` starting with a letter or digit, then 43 base64url characters.
 */
export const KEYGUARD_KEY_SHAPE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}[A-Za-z0-9_-]{43}$/;

/** A pico-auth service token: `pico_svc_` + `secrets.token_hex(32)`. */
export const PICO_SERVICE_TOKEN_SHAPE = /^pico_svc_[0-9a-f]{64}$/;

/** The prefix of pico-auth service tokens. */
export const PICO_SERVICE_TOKEN_PREFIX = "pico_svc_";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const enc = new TextEncoder();

function _hex(b: Uint8Array): string {
  let out = "";
  for (const x of b) out += HEX[x];
  return out;
}

/** keyguard's stored hash of `raw`: hex SHA-256 of the key's UTF-8 followed by the secret's. */
export function keyguardHash(raw: string, secret: Uint8Array): string {
  const k = enc.encode(raw);
  const buf = new Uint8Array(k.length + secret.length);
  buf.set(k);
  buf.set(secret, k.length);
  return _hex(sha256(buf));
}

/** pico-auth's stored hash of a service token: hex SHA-256 of its UTF-8. */
export function sha256Hex(raw: string): string {
  return _hex(sha256(enc.encode(raw)));
}

/** True when `raw` has the shape of a key some import may have brought (no hashing). */
export function hasImportedShape(raw: string): boolean {
  return KEYGUARD_KEY_SHAPE.test(raw) || PICO_SERVICE_TOKEN_SHAPE.test(raw);
}

/** The prefix a presented imported key carries (for the row once it has moved to our scheme). */
export function importedPrefix(raw: string): string {
  if (PICO_SERVICE_TOKEN_SHAPE.test(raw)) return PICO_SERVICE_TOKEN_PREFIX;
  if (KEYGUARD_KEY_SHAPE.test(raw)) return raw.slice(0, raw.length - KEYGUARD_BODY_LENGTH);
  return "";
}

/**
 * The hashes of imported schemes to look `raw` up by, besides ours: keyguard's when its secret is
 * known and `raw` has a keyguard key's shape, pico-auth's when it has a service token's.
 */
export function importedCandidates(
  raw: string,
  keyguardSecret: Uint8Array | undefined,
): HashCandidate[] {
  const out: HashCandidate[] = [];
  if (keyguardSecret !== undefined && KEYGUARD_KEY_SHAPE.test(raw)) {
    out.push({ scheme: "keyguard", hash: keyguardHash(raw, keyguardSecret) });
  }
  if (PICO_SERVICE_TOKEN_SHAPE.test(raw)) out.push({ scheme: "sha256", hash: sha256Hex(raw) });
  return out;
}
