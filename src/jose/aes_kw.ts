/**
 * AES Key Wrap (RFC 3394), as JWA uses it to wrap a content encryption key (RFC 7518 §4.4) and
 * for `ECDH-ES+A256KW` (§4.6). Web Crypto's `AES-KW` does the wrapping; the key being wrapped
 * travels as raw bytes through an extractable HMAC key (Web Crypto wraps keys, not bytes, and
 * HMAC accepts any length).
 *
 * @module
 */

const CARRIER: HmacImportParams = { name: "HMAC", hash: "SHA-256" };

async function _kek(kek: Uint8Array, usage: "wrapKey" | "unwrapKey"): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", new Uint8Array(kek), "AES-KW", false, [usage]);
}

/**
 * Wrap `key` (a multiple of 8 bytes, at least 16) under `kek` (16, 24 or 32 bytes): the result
 * is 8 bytes longer (RFC 3394 §2.2.1).
 */
export async function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
  const carrier = await crypto.subtle.importKey("raw", new Uint8Array(key), CARRIER, true, [
    "sign",
  ]);
  const wrapped = await crypto.subtle.wrapKey("raw", carrier, await _kek(kek, "wrapKey"), "AES-KW");
  return new Uint8Array(wrapped);
}

/**
 * Unwrap `wrapped` under `kek`. Rejects when the integrity check of RFC 3394 §2.2.3 fails (a
 * wrong key or a changed value); callers turn that into the same answer as any other
 * decryption failure.
 */
export async function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Promise<Uint8Array> {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new RangeError("A wrapped key is a multiple of 8 bytes, at least 24");
  }
  const carrier = await crypto.subtle.unwrapKey(
    "raw",
    new Uint8Array(wrapped),
    await _kek(kek, "unwrapKey"),
    "AES-KW",
    { ...CARRIER, length: (wrapped.length - 8) * 8 } as HmacImportParams,
    true,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.exportKey("raw", carrier));
}
