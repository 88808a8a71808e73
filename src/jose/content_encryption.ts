/**
 * JWE content encryption (RFC 7518 §5): AES-GCM (§5.3) and AES-CBC with HMAC-SHA-2 (§5.2).
 *
 * For `A128CBC-HS256` the authentication tag is checked, in constant time, before anything is
 * decrypted (RFC 7518 §5.2.2.2): a changed ciphertext or IV never reaches the CBC padding check,
 * so there is no padding oracle. AES-GCM checks its tag inside Web Crypto before it returns any
 * plaintext.
 *
 * Every failure of {@link decryptContent} is the same `ContentDecryptionError`, whatever the
 * cause, so the answer never says which check failed.
 *
 * @module
 */

import { ENC_TABLE, type JweEnc } from "./jwe_algorithms.ts";
import { timingSafeEqual } from "./constant_time.ts";
import { HmacSha256 } from "./hmac_sha256.ts";

/** Decryption failed (tag, key, length or padding); the cause is deliberately not told apart. */
export class ContentDecryptionError extends Error {
  constructor() {
    super("Content decryption failed");
    this.name = "ContentDecryptionError";
  }
}

/** An encrypted content: IV, ciphertext and authentication tag (RFC 7516 §5.1 steps 11–14). */
export interface SealedContent {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/**
 * Encrypt `plaintext` with `cek` under `enc`; `aad` is the ASCII of the encoded protected header
 * (RFC 7516 §5.1 step 14). `iv` is random unless given (known-answer tests only).
 */
export async function encryptContent(
  enc: JweEnc,
  cek: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  iv: Uint8Array = crypto.getRandomValues(new Uint8Array(ENC_TABLE[enc].ivBytes)),
): Promise<SealedContent> {
  const spec = ENC_TABLE[enc];
  if (cek.length !== spec.cekBytes || iv.length !== spec.ivBytes) {
    throw new RangeError(`Wrong key or IV length for "${enc}"`);
  }
  const { ciphertext, tag } = enc === "A256GCM"
    ? await aesGcmEncrypt(cek, iv, plaintext, aad)
    : await aesCbcHmacEncrypt(cek, iv, plaintext, aad);
  return { iv, ciphertext, tag };
}

/**
 * Decrypt and authenticate. Lengths are checked first (the IV, tag and key sizes of `enc`), then
 * the tag, then the content.
 *
 * @throws {ContentDecryptionError} for any failure
 */
export async function decryptContent(
  enc: JweEnc,
  cek: Uint8Array,
  sealed: SealedContent,
  aad: Uint8Array,
): Promise<Uint8Array> {
  const spec = ENC_TABLE[enc];
  if (
    cek.length !== spec.cekBytes || sealed.iv.length !== spec.ivBytes ||
    sealed.tag.length !== spec.tagBytes
  ) throw new ContentDecryptionError();
  return enc === "A256GCM"
    ? await aesGcmDecrypt(cek, sealed.iv, sealed.ciphertext, sealed.tag, aad)
    : await aesCbcHmacDecrypt(cek, sealed.iv, sealed.ciphertext, sealed.tag, aad);
}

// ---------------------------------------------------------------------------------------------
// AES-GCM (RFC 7518 §5.3), any AES key size: A256GCM is offered, A128GCM is used by KATs only.

/** AES-GCM with a 128-bit tag; `key` is 16, 24 or 32 bytes. */
export async function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  const k = await crypto.subtle.importKey("raw", new Uint8Array(key), "AES-GCM", false, [
    "encrypt",
  ]);
  const out = new Uint8Array(
    await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: new Uint8Array(iv),
        additionalData: new Uint8Array(aad),
        tagLength: 128,
      },
      k,
      new Uint8Array(plaintext),
    ),
  );
  // Web Crypto appends the tag to the ciphertext
  return { ciphertext: out.slice(0, out.length - 16), tag: out.slice(out.length - 16) };
}

/**
 * AES-GCM decryption; the tag is checked by Web Crypto before any plaintext is released.
 *
 * @throws {ContentDecryptionError}
 */
export async function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (tag.length !== 16) throw new ContentDecryptionError();
  try {
    const k = await crypto.subtle.importKey("raw", new Uint8Array(key), "AES-GCM", false, [
      "decrypt",
    ]);
    const input = new Uint8Array(ciphertext.length + 16);
    input.set(ciphertext);
    input.set(tag, ciphertext.length);
    return new Uint8Array(
      await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: new Uint8Array(iv),
          additionalData: new Uint8Array(aad),
          tagLength: 128,
        },
        k,
        input,
      ),
    );
  } catch {
    throw new ContentDecryptionError();
  }
}

// ---------------------------------------------------------------------------------------------
// AES_128_CBC_HMAC_SHA_256 (RFC 7518 §5.2.3)

/** RFC 7518 §5.2.2.1 step 4: AL, the AAD's length in bits as a 64-bit big-endian integer. */
function _al(aad: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  const bits = aad.length * 8;
  // Up to 2^53 bits: the high word from a division, the low word from the remainder
  const high = Math.floor(bits / 0x1_0000_0000);
  const low = bits >>> 0;
  out.set([high >>> 24, high >>> 16, high >>> 8, high, low >>> 24, low >>> 16, low >>> 8, low]);
  return out;
}

/** RFC 7518 §5.2.2.1 step 5: T = first 16 bytes of HMAC(MAC_KEY, A ‖ IV ‖ E ‖ AL). */
function _cbcTag(macKey: Uint8Array, aad: Uint8Array, iv: Uint8Array, e: Uint8Array): Uint8Array {
  const al = _al(aad);
  const input = new Uint8Array(aad.length + iv.length + e.length + 8);
  input.set(aad, 0);
  input.set(iv, aad.length);
  input.set(e, aad.length + iv.length);
  input.set(al, aad.length + iv.length + e.length);
  return new HmacSha256(macKey).sign(input).slice(0, 16);
}

/** AES_128_CBC_HMAC_SHA_256 encryption: MAC_KEY is the first half of `key`, ENC_KEY the second. */
export async function aesCbcHmacEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }> {
  if (key.length !== 32 || iv.length !== 16) throw new RangeError("Wrong key or IV length");
  const encKey = await crypto.subtle.importKey("raw", key.slice(16), "AES-CBC", false, ["encrypt"]);
  // Web Crypto's AES-CBC pads with PKCS #7, as §5.2.2.1 step 3 asks
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-CBC", iv: new Uint8Array(iv) },
      encKey,
      new Uint8Array(plaintext),
    ),
  );
  return { ciphertext, tag: _cbcTag(key.subarray(0, 16), aad, iv, ciphertext) };
}

/**
 * AES_128_CBC_HMAC_SHA_256 decryption (RFC 7518 §5.2.2.2): the tag is recomputed and compared
 * in constant time first; only a token whose tag matches is decrypted.
 *
 * @throws {ContentDecryptionError}
 */
export async function aesCbcHmacDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (key.length !== 32 || iv.length !== 16 || tag.length !== 16) {
    throw new ContentDecryptionError();
  }
  const expected = _cbcTag(key.subarray(0, 16), aad, iv, ciphertext);
  if (!timingSafeEqual(expected, tag)) throw new ContentDecryptionError();
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw new ContentDecryptionError();
  try {
    const encKey = await crypto.subtle.importKey("raw", key.slice(16), "AES-CBC", false, [
      "decrypt",
    ]);
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: "AES-CBC", iv: new Uint8Array(iv) },
        encKey,
        new Uint8Array(ciphertext),
      ),
    );
  } catch {
    throw new ContentDecryptionError();
  }
}
