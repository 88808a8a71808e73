/**
 * Sealing a refresh token's successor under its predecessor, for the retry window
 * (`accounts.refresh_reuse_seconds`): a client whose refresh answer was lost presents the used
 * token again and must get the same successor, but the store keeps tokens as hashes only.
 *
 * The successor is encrypted with AES-256-GCM under a key derived with HKDF-SHA-256 (RFC 5869)
 * from the used token itself (256 random bits). Only a caller holding the used token can derive
 * the key; the store's rows (the token's SHA-256, never the token) do not give it, so a copy of
 * the database does not yield live refresh tokens.
 */

import { b64uDecode, b64uEncode } from "../jose/mod.ts";
import { HmacSha256 } from "../jose/hmac_sha256.ts";

const INFO = new TextEncoder().encode("keypebble refresh successor v1");
const AAD = new TextEncoder().encode("kprt-successor");
/** RFC 5869 §2.2: with no salt, the salt is a string of HashLen zeros. */
const ZERO_SALT = new HmacSha256(new Uint8Array(32));
/** `info || 0x01`: the only block of the expansion (RFC 5869 §2.3, L = 32 = HashLen). */
const INFO_1 = new Uint8Array([...INFO, 1]);

/**
 * HKDF-SHA-256 (RFC 5869) of the used token, no salt (§3.1: the input is already uniform),
 * 32 bytes: the AES-256 key. Computed synchronously (src/jose/hmac_sha256.ts), the same bytes as
 * Web Crypto's HKDF (a test compares), which cost two more round trips to the crypto threads.
 */
export function sealKeyBytes(used: string): Uint8Array {
  const prk = ZERO_SALT.sign(new TextEncoder().encode(used)); // §2.2 extract
  return new HmacSha256(prk).sign(INFO_1); // §2.3 expand, T(1)
}

function _key(used: string): Promise<CryptoKey> {
  const raw = sealKeyBytes(used);
  return crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]).finally(() => raw.fill(0));
}

/** Seal `successor` under the token it replaces: `v1.IV.CIPHERTEXT` (base64url). */
export async function sealSuccessor(used: string, successor: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: AAD },
    await _key(used),
    new TextEncoder().encode(successor),
  );
  return `v1.${b64uEncode(iv)}.${b64uEncode(new Uint8Array(ct))}`;
}

/** Open a sealed successor with the token it replaced; undefined when it does not open. */
export async function openSuccessor(used: string, sealed: string): Promise<string | undefined> {
  const m = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{20,400})$/.exec(sealed);
  if (m === null) return undefined;
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: b64uDecode(m[1]) as Uint8Array<ArrayBuffer>, additionalData: AAD },
      await _key(used),
      b64uDecode(m[2]) as Uint8Array<ArrayBuffer>,
    );
    return new TextDecoder().decode(pt);
  } catch {
    return undefined;
  }
}
