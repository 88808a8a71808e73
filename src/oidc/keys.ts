/**
 * The secrets of the sign-in feature, all derived from the store's pepper (the 32+ byte secret
 * file of `store.pepper_path`) with HKDF-SHA-256 (RFC 5869), one `info` per purpose, so no key
 * serves two purposes and no new secret file is needed:
 *
 * - `totp`: AES-256-GCM key sealing TOTP secrets at rest ({@link sealTotpSecret}). A TOTP secret
 *   must be recoverable to compute codes, so it cannot be hashed; sealed, a copy of the database
 *   without the pepper file yields no working second factor.
 * - `recovery`: HMAC-SHA-256 key of recovery-code hashes (see `recovery_codes.ts`).
 * - `csrf`: HMAC-SHA-256 key of CSRF tokens (see `csrf.ts`).
 *
 * Derived once at start (or reload), never per request.
 *
 * @module
 */

import { b64uDecode, b64uEncode } from "../jose/base64url.ts";
import { HmacSha256 } from "../jose/hmac_sha256.ts";

/** The derived keys. */
export interface OidcKeys {
  /** AES-256-GCM, for TOTP secrets. */
  readonly totp: CryptoKey;
  /** HMAC-SHA-256, for recovery-code hashes. */
  readonly recovery: HmacSha256;
  /** HMAC-SHA-256, for CSRF tokens. */
  readonly csrf: HmacSha256;
}

const _enc = new TextEncoder();
/** Fixed salt (RFC 5869 §3.1: optional; a constant one still separates us from other uses). */
const SALT = _enc.encode("keypebble/oidc/v1");

async function _hkdf(ikm: CryptoKey, info: string, bytes: number): Promise<Uint8Array> {
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: _enc.encode(info) },
    ikm,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Derive the sign-in keys from the pepper (at least 32 bytes).
 *
 * @example
 * ```ts
 * const keys = await deriveOidcKeys(await readPepper(io, config.store.pepperPath));
 * ```
 */
export async function deriveOidcKeys(pepper: Uint8Array): Promise<OidcKeys> {
  if (pepper.length < 32) throw new RangeError("The pepper must have at least 32 bytes");
  const ikm = await crypto.subtle.importKey(
    "raw",
    pepper as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveBits"],
  );
  const totpRaw = await _hkdf(ikm, "totp secret sealing", 32);
  const totp = await crypto.subtle.importKey(
    "raw",
    totpRaw as Uint8Array<ArrayBuffer>,
    { name: "AES-GCM" },
    false,
    ["encrypt", "decrypt"],
  );
  totpRaw.fill(0);
  const recoveryRaw = await _hkdf(ikm, "recovery code hashing", 32);
  const csrfRaw = await _hkdf(ikm, "csrf tokens", 32);
  const out = { totp, recovery: new HmacSha256(recoveryRaw), csrf: new HmacSha256(csrfRaw) };
  recoveryRaw.fill(0);
  csrfRaw.fill(0);
  return out;
}

const SEALED_PREFIX = "v1.";

/**
 * Seal a TOTP secret for the store: `v1.` + base64url(96-bit random IV ‖ AES-GCM ciphertext and
 * tag). The account id is the additional authenticated data, so a sealed secret copied onto
 * another account's row does not open there.
 */
export async function sealTotpSecret(
  keys: OidcKeys,
  userId: string,
  secret: Uint8Array,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: _enc.encode(userId) },
      keys.totp,
      secret as Uint8Array<ArrayBuffer>,
    ),
  );
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return SEALED_PREFIX + b64uEncode(out);
}

/**
 * Open a sealed TOTP secret. Throws a `TypeError` when it was not sealed for `userId` under
 * these keys (another pepper, another account, or altered bytes).
 */
export async function openTotpSecret(
  keys: OidcKeys,
  userId: string,
  sealed: string,
): Promise<Uint8Array> {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new TypeError("Unknown sealed secret format");
  let raw: Uint8Array;
  try {
    raw = b64uDecode(sealed.slice(SEALED_PREFIX.length));
  } catch {
    throw new TypeError("Malformed sealed secret");
  }
  if (raw.length < 12 + 16) throw new TypeError("Malformed sealed secret");
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: raw.slice(0, 12), additionalData: _enc.encode(userId) },
        keys.totp,
        raw.slice(12),
      ),
    );
  } catch {
    throw new TypeError("The sealed secret does not open with this pepper for this account");
  }
}
