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

const INFO = new TextEncoder().encode("keypebble refresh successor v1");
const AAD = new TextEncoder().encode("kprt-successor");

async function _key(used: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(used),
    "HKDF",
    false,
    ["deriveKey"],
  );
  // RFC 5869 §3.1: no salt is needed for input keying material that is already uniform.
  return await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: INFO },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
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
