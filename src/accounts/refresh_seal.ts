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

/** AES-256-GCM's tag length (NIST SP 800-38D; Web Crypto's default, appended to the text). */
const TAG = 16;

type NodeCrypto = typeof import("node:crypto");
let _node: Promise<NodeCrypto> | undefined;

/**
 * The runtime's synchronous AES-GCM (`node:crypto`: BoringSSL in Bun, Rust in Deno), loaded on
 * the first refresh only, not at start. Web Crypto's round trip to the runtime's crypto threads
 * costs about twenty times the cipher for a 69-byte token. The bytes are Web Crypto's
 * (ciphertext, then the 16-byte tag), so either opens what the other sealed (tested).
 */
function _aes(): Promise<NodeCrypto> {
  return _node ??= import("node:crypto");
}

/** Seal `successor` under the token it replaces: `v1.IV.CIPHERTEXT` (base64url). */
export async function sealSuccessor(used: string, successor: string): Promise<string> {
  const { createCipheriv } = await _aes();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = sealKeyBytes(used);
  try {
    const c = createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(AAD);
    const head = c.update(new TextEncoder().encode(successor));
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(head.length + tail.length + tag.length);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(tag, head.length + tail.length);
    return `v1.${b64uEncode(iv)}.${b64uEncode(out)}`;
  } finally {
    key.fill(0);
  }
}

/** Open a sealed successor with the token it replaced; undefined when it does not open. */
export async function openSuccessor(used: string, sealed: string): Promise<string | undefined> {
  const m = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{20,400})$/.exec(sealed);
  if (m === null) return undefined;
  const { createDecipheriv } = await _aes();
  const key = sealKeyBytes(used);
  try {
    const all = b64uDecode(m[2]);
    if (all.length <= TAG) return undefined;
    const d = createDecipheriv("aes-256-gcm", key, b64uDecode(m[1]));
    d.setAAD(AAD);
    d.setAuthTag(all.subarray(all.length - TAG));
    const head = d.update(all.subarray(0, all.length - TAG));
    const tail = d.final(); // throws when the tag does not verify
    const pt = new Uint8Array(head.length + tail.length);
    pt.set(head, 0);
    pt.set(tail, head.length);
    return new TextDecoder("utf-8", { fatal: true }).decode(pt);
  } catch {
    return undefined;
  } finally {
    key.fill(0);
  }
}
