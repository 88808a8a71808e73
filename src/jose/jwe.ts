/**
 * JWE compact serialization (RFC 7516 §7.1) on Web Crypto: encryption to one recipient and
 * strict decryption with our own keys.
 *
 * Offered: `RSA-OAEP-256`, `ECDH-ES`, `ECDH-ES+A256KW` (P-256, and X25519 where the runtime has
 * it) and `dir` for key management; `A256GCM` and `A128CBC-HS256` for content. On input:
 *
 * - at most {@link MAX_JWE_LENGTH} characters, exactly five strict base64url segments;
 * - `alg` and `enc` from the tables (`unsupported_algorithm`), and equal to the key's own pair
 *   (one pair per key, RFC 8725 §3.1): no key with that pair is `unknown_key`;
 * - `zip` refused (no decompression bombs, RFC 8725 §3.6), `crit` refused (no extension is
 *   understood, RFC 7516 §4.1.13);
 * - `epk` checked to be a point of the key's curve before use (RFC 7518 §4.6, invalid-curve
 *   attacks);
 * - every failure after the header checks (RSA-OAEP, key unwrap, tag, padding) is one answer,
 *   "could not be decrypted", and an RSA-OAEP or key-unwrap failure continues with a random
 *   key so it takes the same path as a bad tag (RFC 7516 §11.5);
 * - `A128CBC-HS256` checks the tag in constant time before decrypting (no padding oracle).
 *
 * @example
 * ```ts
 * const jwe = await (await JweEncrypter.create(recipient, { cty: "JWT" })).encrypt(jws);
 * const { plaintext } = await openJwe(jwe, [decryptionKey]);
 * ```
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";
import { b64uDecode, b64uEncode } from "./base64url.ts";
import { concatKdf } from "./concat_kdf.ts";
import { ContentDecryptionError, decryptContent, encryptContent } from "./content_encryption.ts";
import { ephemeralKey, importEpk, sharedSecret } from "./ecdh.ts";
import { ENC_TABLE, isJweAlg, isJweEnc, type JweAlg, type JweEnc } from "./jwe_algorithms.ts";
import type { JweDecryptionKey, JweRecipient } from "./jwe_keys.ts";

/** The longest compact JWE accepted, in characters (a nested 16 KiB JWS fits with room). */
export const MAX_JWE_LENGTH = 32 * 1024;
/** The longest `apu` / `apv` header value accepted, in characters. */
const MAX_PARTY_INFO = 512;
/** The longest `kid` accepted. */
const MAX_KID = 256;

/** A protected JWE header (RFC 7516 §4.1, RFC 7518 §4.6.1). */
export interface JweHeader {
  alg: JweAlg;
  enc: JweEnc;
  kid?: string;
  cty?: string;
  typ?: string;
  epk?: Record<string, unknown>;
  apu?: string;
  apv?: string;
  [k: string]: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function _invalid(message: string): KeypebbleError {
  return new KeypebbleError("invalid_token", message);
}

function _undecryptable(): KeypebbleError {
  return _invalid("Token could not be decrypted");
}

// ---------------------------------------------------------------------------------------------
// Encryption

/**
 * Encrypts to one recipient. For RSA-OAEP-256 and dir the protected header (the AAD) is encoded
 * once, at creation; ECDH-ES needs a new ephemeral key, so a new header, per token.
 */
export class JweEncrypter {
  /** The recipient's algorithm pair. */
  readonly alg: JweAlg;
  readonly enc: JweEnc;
  /** The header members besides `epk`, in the order sent. */
  readonly header: Readonly<JweHeader>;
  readonly #recipient: JweRecipient;
  readonly #fixed: string | undefined;

  private constructor(recipient: JweRecipient, header: JweHeader) {
    this.alg = recipient.alg;
    this.enc = recipient.enc;
    this.header = Object.freeze(header);
    this.#recipient = recipient;
    this.#fixed = recipient.alg === "RSA-OAEP-256" || recipient.alg === "dir"
      ? b64uEncode(JSON.stringify(header))
      : undefined;
  }

  /**
   * An encrypter for `recipient`. The header is `alg`, `enc`, `kid` (when the recipient has
   * one), `cty` and `typ` when given (`cty: "JWT"` for a nested JWT, RFC 7519 §5.2).
   *
   * @throws {KeypebbleError} `invalid_key` when the recipient lacks the key its `alg` needs
   */
  static create(
    recipient: JweRecipient,
    options: { cty?: string; typ?: string } = {},
  ): Promise<JweEncrypter> {
    const ok = recipient.alg === "dir"
      ? recipient.secret?.length === ENC_TABLE[recipient.enc].cekBytes
      : recipient.publicKey !== undefined &&
        (recipient.alg === "RSA-OAEP-256") === (recipient.curve === undefined);
    if (!ok) {
      return Promise.reject(
        new KeypebbleError("invalid_key", `The recipient key does not fit "${recipient.alg}"`),
      );
    }
    const header: JweHeader = { alg: recipient.alg, enc: recipient.enc };
    if (recipient.kid !== undefined) header.kid = recipient.kid;
    if (options.typ !== undefined) header.typ = options.typ;
    if (options.cty !== undefined) header.cty = options.cty;
    return Promise.resolve(new JweEncrypter(recipient, header));
  }

  /** Encrypt `plaintext` (a string is UTF-8), returning the compact JWE. */
  async encrypt(plaintext: string | Uint8Array): Promise<string> {
    const r = this.#recipient;
    const spec = ENC_TABLE[r.enc];
    let protectedSegment = this.#fixed;
    let cek: Uint8Array;
    let encryptedKey: Uint8Array = new Uint8Array();
    switch (r.alg) {
      case "dir":
        cek = r.secret!;
        break;
      case "RSA-OAEP-256":
        cek = crypto.getRandomValues(new Uint8Array(spec.cekBytes));
        // RFC 7518 §4.3
        encryptedKey = new Uint8Array(
          await crypto.subtle.encrypt({ name: "RSA-OAEP" }, r.publicKey!, new Uint8Array(cek)),
        );
        break;
      default: {
        // RFC 7518 §4.6: a fresh ephemeral key per token, sent as "epk"
        const { privateKey, epk } = await ephemeralKey(r.curve!);
        const z = await sharedSecret(privateKey, r.publicKey!, r.curve!);
        protectedSegment = b64uEncode(JSON.stringify({ ...this.header, epk }));
        if (r.alg === "ECDH-ES") {
          // §4.6.2: direct agreement derives the CEK, AlgorithmID is the enc value
          cek = concatKdf(z, spec.cekBytes * 8, { algorithmId: r.enc });
        } else {
          const kek = concatKdf(z, 256, { algorithmId: r.alg });
          cek = crypto.getRandomValues(new Uint8Array(spec.cekBytes));
          encryptedKey = await aesKeyWrap(kek, cek);
          kek.fill(0);
        }
        z.fill(0);
      }
    }
    const aad = encoder.encode(protectedSegment!);
    const body = typeof plaintext === "string" ? encoder.encode(plaintext) : plaintext;
    const sealed = await encryptContent(r.enc, cek, body, aad);
    if (r.alg !== "dir") cek.fill(0);
    return `${protectedSegment}.${b64uEncode(encryptedKey)}.${b64uEncode(sealed.iv)}.${
      b64uEncode(sealed.ciphertext)
    }.${b64uEncode(sealed.tag)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** A compact JWE split and decoded, not yet decrypted. */
export interface DecodedJwe {
  readonly header: JweHeader;
  /** ASCII of the encoded protected header: the AAD (RFC 7516 §5.2 step 14). */
  readonly aad: Uint8Array;
  readonly encryptedKey: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** True when `token` has the shape of a compact JWE (five segments), without checking more. */
export function looksLikeJwe(token: string): boolean {
  let dots = 0;
  for (let i = 0; i < token.length && dots <= 4; i++) if (token.charCodeAt(i) === 46) dots++;
  return dots === 4;
}

/**
 * Split and decode a compact JWE and check its protected header (RFC 7516 §5.2 steps 1–5):
 * length cap, five strict base64url segments, a JSON object header, `alg` and `enc` from the
 * tables, no `zip`, no `crit`, `kid` a short string.
 *
 * @throws {KeypebbleError} `invalid_token`, `unsupported_algorithm`
 */
export function decodeJwe(token: string): DecodedJwe {
  if (typeof token !== "string" || token.length === 0) throw _invalid("Token is empty");
  if (token.length > MAX_JWE_LENGTH) {
    throw _invalid(`Token is longer than ${MAX_JWE_LENGTH} characters`);
  }
  const parts = token.split(".");
  if (parts.length !== 5) throw _invalid("An encrypted token must have exactly five segments");
  let header: Record<string, unknown>;
  try {
    const v = JSON.parse(decoder.decode(b64uDecode(parts[0])));
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error();
    header = v;
  } catch (e) {
    if (e instanceof KeypebbleError) throw e;
    throw _invalid("Token header is not a JSON object");
  }
  const encryptedKey = b64uDecode(parts[1]);
  const iv = b64uDecode(parts[2]);
  const ciphertext = b64uDecode(parts[3]);
  const tag = b64uDecode(parts[4]);
  if (!isJweAlg(header.alg)) {
    throw new KeypebbleError(
      "unsupported_algorithm",
      typeof header.alg === "string" && header.alg.length <= 32
        ? `Key management algorithm "${header.alg}" is not supported`
        : "Token key management algorithm is missing or not supported",
    );
  }
  if (!isJweEnc(header.enc)) {
    throw new KeypebbleError(
      "unsupported_algorithm",
      typeof header.enc === "string" && header.enc.length <= 32
        ? `Content encryption algorithm "${header.enc}" is not supported`
        : "Token content encryption algorithm is missing or not supported",
    );
  }
  // RFC 7516 §4.1.3: compressed plaintext is refused outright (RFC 8725 §3.6)
  if (Object.hasOwn(header, "zip")) throw _invalid('Header "zip" is not supported');
  // RFC 7516 §4.1.13: no extension is understood
  if (Object.hasOwn(header, "crit")) throw _invalid('Header "crit" is not supported');
  if (
    Object.hasOwn(header, "kid") &&
    (typeof header.kid !== "string" || header.kid === "" || header.kid.length > MAX_KID)
  ) throw _invalid(`Header "kid" must be a string of 1 to ${MAX_KID} characters`);
  for (const m of ["cty", "typ"]) {
    if (Object.hasOwn(header, m) && typeof header[m] !== "string") {
      throw _invalid(`Header "${m}" must be a string`);
    }
  }
  return {
    header: header as JweHeader,
    aad: encoder.encode(parts[0]),
    encryptedKey,
    iv,
    ciphertext,
    tag,
  };
}

function _partyInfo(header: JweHeader, name: "apu" | "apv"): Uint8Array | undefined {
  if (!Object.hasOwn(header, name)) return undefined;
  const v = header[name];
  if (typeof v !== "string" || v.length > MAX_PARTY_INFO) {
    throw _invalid(`Header "${name}" must be a base64url string of at most ${MAX_PARTY_INFO}`);
  }
  return b64uDecode(v);
}

// ---------------------------------------------------------------------------------------------
// Decryption

/**
 * The CEK a key gives for this token (RFC 7516 §5.2 steps 6–10). Failures of RSA-OAEP and of
 * the key unwrap give a random key of the right size instead (RFC 7516 §11.5): the token then
 * fails at the tag, as any other.
 */
async function _cek(key: JweDecryptionKey, jwe: DecodedJwe): Promise<Uint8Array> {
  const { header, encryptedKey } = jwe;
  const bytes = ENC_TABLE[key.enc].cekBytes;
  const random = () => crypto.getRandomValues(new Uint8Array(bytes));
  switch (key.alg) {
    case "dir":
      // RFC 7516 §5.2 step 10: the Encrypted Key must be empty
      if (encryptedKey.length !== 0) throw _invalid('A "dir" token has no encrypted key');
      return key.secret!;
    case "RSA-OAEP-256": {
      if (encryptedKey.length !== key.modulusBytes) return random();
      try {
        const cek = new Uint8Array(
          await crypto.subtle.decrypt(
            { name: "RSA-OAEP" },
            key.privateKey!,
            new Uint8Array(encryptedKey),
          ),
        );
        return cek.length === bytes ? cek : random();
      } catch {
        return random();
      }
    }
    default: {
      const epk = await importEpk(header.epk, key.curve!);
      const apu = _partyInfo(header, "apu");
      const apv = _partyInfo(header, "apv");
      const z = await sharedSecret(key.privateKey!, epk, key.curve!);
      const info = { ...(apu === undefined ? {} : { apu }), ...(apv === undefined ? {} : { apv }) };
      if (key.alg === "ECDH-ES") {
        if (encryptedKey.length !== 0) throw _invalid('An "ECDH-ES" token has no encrypted key');
        const cek = concatKdf(z, bytes * 8, { algorithmId: key.enc, ...info });
        z.fill(0);
        return cek;
      }
      const kek = concatKdf(z, 256, { algorithmId: key.alg, ...info });
      z.fill(0);
      if (encryptedKey.length !== bytes + 8) return random();
      try {
        return await aesKeyUnwrap(kek, encryptedKey);
      } catch {
        return random();
      } finally {
        kek.fill(0);
      }
    }
  }
}

/**
 * The keys that may open a token with this header: the same algorithm pair, and the same kid
 * when the token names one.
 *
 * @throws {KeypebbleError} `unknown_key`
 */
export function candidateKeys(
  header: JweHeader,
  keys: readonly JweDecryptionKey[],
): JweDecryptionKey[] {
  const pair = keys.filter((k) => k.alg === header.alg && k.enc === header.enc);
  if (pair.length === 0) {
    throw new KeypebbleError(
      "unknown_key",
      `No decryption key for "${header.alg}" with "${header.enc}"`,
    );
  }
  const out = typeof header.kid === "string" ? pair.filter((k) => k.kid === header.kid) : pair;
  if (out.length === 0) {
    throw new KeypebbleError(
      "unknown_key",
      `No decryption key for "${header.alg}" with "${header.enc}" matches the token "kid"`,
    );
  }
  return out;
}

/**
 * Decrypt a compact JWE with one of `keys`: header checks, key selection (the token's `alg` and
 * `enc` must be a key's own pair; `kid`, when present, an exact lookup), then key agreement or
 * unwrapping and content decryption. Every failure after the checks is `invalid_token` "Token
 * could not be decrypted".
 *
 * @throws {KeypebbleError} `invalid_token`, `unsupported_algorithm`, `unknown_key`
 */
export async function openJwe(
  token: string,
  keys: readonly JweDecryptionKey[],
): Promise<{ header: JweHeader; plaintext: Uint8Array; key: JweDecryptionKey }> {
  const jwe = decodeJwe(token);
  const candidates = candidateKeys(jwe.header, keys);
  for (const key of candidates) {
    const cek = await _cek(key, jwe);
    try {
      const plaintext = await decryptContent(key.enc, cek, jwe, jwe.aad);
      return { header: jwe.header, plaintext, key };
    } catch (e) {
      if (!(e instanceof ContentDecryptionError)) throw e;
    } finally {
      if (key.alg !== "dir") cek.fill(0);
    }
  }
  throw _undecryptable();
}

/** The plaintext of an opened JWE as text (UTF-8, strictly). */
export function plaintextText(plaintext: Uint8Array): string {
  try {
    return decoder.decode(plaintext);
  } catch {
    throw _invalid("Token plaintext is not UTF-8");
  }
}
