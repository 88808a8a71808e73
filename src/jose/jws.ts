/**
 * JWS compact serialization (RFC 7515 §7.1): signing with a pre-encoded header, strict decoding,
 * and verification following the JWT best current practices (RFC 8725).
 *
 * Nothing here reads the clock: `now` is always a parameter.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { type Alg, algSpec, isAlg } from "./algorithms.ts";
import { b64uDecode, b64uEncode, utf8View } from "./base64url.ts";
import { timingSafeEqual } from "./constant_time.ts";
import type { KeyEntry } from "./keys.ts";
import type { HmacSha256 } from "./hmac_sha256.ts";

/** A protected JWS header (RFC 7515 §4.1). */
export interface JwsHeader {
  alg: Alg;
  typ?: string;
  kid?: string;
  x5c?: string[];
  [k: string]: unknown;
}

/** The longest token `decodeJws` accepts, in characters. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** The longest `kid` `verifyJws` accepts, in characters. */
export const MAX_KID_LENGTH = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Sign raw JWS signing input bytes with a key's private key (RFC 7515 §5.1 step 5). Exposed for
 * known-answer tests; use `JwsSigner` to make tokens.
 */
export async function signInput(key: KeyEntry, signingInput: Uint8Array): Promise<Uint8Array> {
  if (key.privateKey === undefined) {
    throw new KeypebbleError("invalid_key", `Key for "${key.alg}" has no private key`);
  }
  const sig = await crypto.subtle.sign(
    algSpec(key.alg).signParams,
    key.privateKey,
    new Uint8Array(signingInput),
  );
  return new Uint8Array(sig);
}

/**
 * Signs JWTs with one key. The protected header is encoded once, at creation, so each `sign()`
 * is one `JSON.stringify`, one base64url encode and one `crypto.subtle.sign`.
 *
 * @example
 * ```ts
 * const signer = await JwsSigner.create(entry);
 * const jwt = await signer.sign({ iss: "keypebble", exp: 1700000000 });
 * ```
 */
export class JwsSigner {
  /** The `alg` of every token this signer makes. */
  readonly alg: Alg;
  /** The `kid` header value, when the key has one. */
  readonly kid: string | undefined;
  /** The protected header as sent (RFC 7515 §4). */
  readonly header: Readonly<JwsHeader>;
  readonly #key: CryptoKey;
  readonly #mac: HmacSha256 | undefined;
  readonly #prefix: string;

  private constructor(key: KeyEntry, privateKey: CryptoKey, header: JwsHeader) {
    this.alg = key.alg;
    this.kid = key.kid;
    this.header = Object.freeze(header);
    this.#key = privateKey;
    this.#mac = key.alg === "HS256" ? key.mac : undefined;
    this.#prefix = b64uEncode(JSON.stringify(header)) + ".";
  }

  /**
   * Make a signer for `key`, which must have a private key. The header is `alg`, `typ` (default
   * `"JWT"`, RFC 7519 §5.1), `kid` when the key has one, and `x5c` when given (RFC 7515 §4.1.6,
   * standard base64 DER, leaf first).
   *
   * @throws {KeypebbleError} `invalid_key` for a verify-only key
   */
  static create(
    key: KeyEntry,
    options: { typ?: string; x5c?: string[] } = {},
  ): Promise<JwsSigner> {
    if (key.privateKey === undefined) {
      return Promise.reject(
        new KeypebbleError("invalid_key", `Key for "${key.alg}" has no private key to sign with`),
      );
    }
    if (!isAlg(key.alg)) {
      return Promise.reject(
        new KeypebbleError("invalid_key", `Algorithm "${String(key.alg)}" is not supported`),
      );
    }
    const header: JwsHeader = { alg: key.alg, typ: options.typ ?? "JWT" };
    if (key.kid !== undefined) header.kid = key.kid;
    if (options.x5c !== undefined && options.x5c.length > 0) header.x5c = [...options.x5c];
    return Promise.resolve(new JwsSigner(key, key.privateKey, header));
  }

  /** Sign a JSON payload already serialized, returning the compact JWS. */
  async signBytes(payloadJson: string): Promise<string> {
    const input = this.#prefix + b64uEncode(payloadJson);
    if (this.#mac !== undefined) {
      // HS256: synchronous, no round trip to the runtime's crypto threads.
      return input + "." + b64uEncode(this.#mac.sign(utf8View(input)));
    }
    const sig = await crypto.subtle.sign(
      algSpec(this.alg).signParams,
      this.#key,
      encoder.encode(input),
    );
    return input + "." + b64uEncode(new Uint8Array(sig));
  }

  /** Sign a claims object, returning the compact JWS `header.payload.signature`. */
  sign(payload: Record<string, unknown>): Promise<string> {
    return this.signBytes(JSON.stringify(payload));
  }
}

function _invalidToken(message: string): KeypebbleError {
  return new KeypebbleError("invalid_token", message);
}

function _jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(_text(bytes));
  } catch {
    throw _invalidToken(`Token ${what} is not valid JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw _invalidToken(`Token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Bytes as UTF-8 text: an ASCII segment (every claim set of ours) is its own decoding, without a
 * call into the runtime's decoder; anything else goes through the strict decoder (BOM kept).
 */
function _text(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 2048) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return decoder.decode(bytes);
}

/** The ASCII bytes of a string known to be ASCII (base64url segments and their dots). */
function _asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Split and decode a compact JWS without verifying it: exactly three strict base64url segments
 * (RFC 7515 §7.1), header and payload JSON objects, at most `MAX_TOKEN_LENGTH` characters.
 *
 * @throws {KeypebbleError} `invalid_token`
 */
export function decodeJws(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: Uint8Array;
  signature: Uint8Array;
} {
  if (typeof token !== "string" || token.length === 0) throw _invalidToken("Token is empty");
  if (token.length > MAX_TOKEN_LENGTH) {
    throw _invalidToken(`Token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) {
    throw _invalidToken("Token must have exactly three segments");
  }
  const headerSeg = token.slice(0, first);
  const payloadSeg = token.slice(first + 1, second);
  const header = _jsonObject(b64uDecode(headerSeg), "header");
  const payload = _jsonObject(b64uDecode(payloadSeg), "payload");
  const signature = b64uDecode(token.slice(second + 1));
  // RFC 7515 §5.2 step 8: the signing input is the ASCII of the two segments as received (both
  // decoded above, so base64url characters only)
  const signingInput = _asciiBytes(token.slice(0, second));
  return { header, payload, signingInput, signature };
}

/** Options of `verifyJws`. */
export interface VerifyOptions {
  /** The current time, seconds since the epoch. */
  now: number;
  /** Allowed clock skew in seconds for `exp`, `nbf`, `iat`; default 60. */
  leeway?: number;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` must equal it or be an array containing it. */
  audience?: string;
  /** When set, header `typ` must equal it; when not, `typ` must be absent or `"JWT"`. */
  typ?: string;
  /** Require an `exp` claim; default true. */
  requireExp?: boolean;
  /**
   * Accept a token whose `exp` has passed (it must still have one unless `requireExp` is false).
   * For one use only: an `id_token_hint` (OpenID Connect RP-Initiated Logout 1.0 §2 and Core
   * §3.1.2.1 let an expired ID token name who signed in); never for a credential.
   */
  ignoreExpiry?: boolean;
}

/** RFC 7515 §4.1.9: compare media types case-insensitively, with `application/` optional. */
function _normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith("application/") && !lower.slice(12).includes("/")
    ? lower.slice(12)
    : lower;
}

function _numericDate(payload: Record<string, unknown>, name: string): number | undefined {
  const v = payload[name];
  if (v === undefined) return undefined;
  // RFC 7519 §2: NumericDate is a JSON number
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw _invalidToken(`Claim "${name}" must be a number`);
  }
  return v;
}

async function _verifyWith(
  key: KeyEntry,
  signingInput: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (key.mac !== undefined && key.alg === "HS256") {
    // The synchronous MAC and a constant-time comparison (RFC 7518 §3.2), as the signer uses.
    return timingSafeEqual(key.mac.sign(signingInput), signature);
  }
  try {
    return await crypto.subtle.verify(
      algSpec(key.alg).signParams,
      key.verifyKey,
      new Uint8Array(signature),
      new Uint8Array(signingInput),
    );
  } catch {
    return false;
  }
}

/**
 * Verify a compact JWS and its registered claims (RFC 7519 §4.1, RFC 8725 §3).
 *
 * - `alg` must be in the algorithm table (`unsupported_algorithm`); only keys bound to that
 *   `alg` are used, so a key is never used with another algorithm (RFC 8725 §3.1).
 * - `crit` is refused (`invalid_token`): no extension is understood (RFC 7515 §4.1.11).
 * - `kid`, when present, is a lookup key only: a string of at most 256 characters compared for
 *   equality with each key's kid (`unknown_key` when none matches).
 * - Then the signature (`invalid_signature`), then `typ`, `exp`, `nbf`, `iat`, `iss`, `aud`.
 *
 * @throws {KeypebbleError} `invalid_token`, `unsupported_algorithm`, `unknown_key`,
 *   `invalid_signature`, `invalid_token_type`, `token_expired`, `token_not_yet_valid`,
 *   `invalid_issuer`, `invalid_audience`
 * @example
 * ```ts
 * const { payload } = await verifyJws(jwt, [entry], { now: Math.floor(Date.now() / 1000) });
 * ```
 */
export async function verifyJws(
  token: string,
  keys: readonly KeyEntry[],
  options: VerifyOptions,
  /** `decodeJws(token)`, when the caller has it already (it read the kind first). */
  decoded?: ReturnType<typeof decodeJws>,
): Promise<{ header: JwsHeader; payload: Record<string, unknown>; key: KeyEntry }> {
  const { header, payload, signingInput, signature } = decoded ?? decodeJws(token);

  // RFC 8725 §3.1: the algorithm table is the allow-list ("none" is never in it)
  const alg = header.alg;
  if (!isAlg(alg)) {
    throw new KeypebbleError(
      "unsupported_algorithm",
      typeof alg === "string" && alg.length <= 32
        ? `Algorithm "${alg}" is not supported`
        : "Token algorithm is missing or not supported",
    );
  }
  // RFC 7515 §4.1.11: we understand no extensions, so any "crit" makes the token invalid
  if (Object.hasOwn(header, "crit")) {
    throw _invalidToken('Header parameter "crit" is not supported');
  }

  let candidates: KeyEntry[];
  if (Object.hasOwn(header, "kid")) {
    const kid = header.kid;
    if (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      throw _invalidToken(
        `Header "kid" must be a string of 1 to ${MAX_KID_LENGTH} characters`,
      );
    }
    // A lookup key only: equality against configured ids, never a path or URL
    candidates = keys.filter((k) => k.kid === kid && k.alg === alg);
    if (candidates.length === 0) {
      throw new KeypebbleError("unknown_key", `No key matches the token "kid" for "${alg}"`);
    }
  } else {
    candidates = keys.filter((k) => k.alg === alg);
    if (candidates.length === 0) {
      throw new KeypebbleError("unknown_key", `No key is configured for algorithm "${alg}"`);
    }
  }

  // RFC 7518 §3.4: an ES256 signature is exactly R || S (64 bytes); likewise Ed25519 and HS256
  const expectedLength = algSpec(alg).signatureLength;
  let key: KeyEntry | undefined;
  if (expectedLength === undefined || signature.length === expectedLength) {
    for (const k of candidates) {
      if (await _verifyWith(k, signingInput, signature)) {
        key = k;
        break;
      }
    }
  }
  if (key === undefined) {
    throw new KeypebbleError("invalid_signature", "Token signature is invalid");
  }

  // RFC 7515 §4.1.9, RFC 8725 §3.11: explicit typing
  const typ = header.typ;
  if (typ !== undefined && typeof typ !== "string") {
    throw new KeypebbleError("invalid_token_type", 'Header "typ" must be a string');
  }
  if (options.typ !== undefined) {
    if (typ === undefined || _normalizeTyp(typ) !== _normalizeTyp(options.typ)) {
      throw new KeypebbleError("invalid_token_type", `Token type must be "${options.typ}"`);
    }
  } else if (typ !== undefined && _normalizeTyp(typ) !== "jwt") {
    throw new KeypebbleError("invalid_token_type", 'Token type must be "JWT" or absent');
  }

  // RFC 7519 §4.1.4-§4.1.6
  const leeway = options.leeway ?? 60;
  const now = options.now;
  const exp = _numericDate(payload, "exp");
  const nbf = _numericDate(payload, "nbf");
  const iat = _numericDate(payload, "iat");
  if (exp === undefined) {
    if (options.requireExp ?? true) throw _invalidToken('Token has no "exp" claim');
  } else if (now >= exp + leeway && options.ignoreExpiry !== true) {
    // RFC 7519 §4.1.4: the current time must be before "exp"
    throw new KeypebbleError("token_expired", "Token has expired");
  }
  if (nbf !== undefined && nbf > now + leeway) {
    throw new KeypebbleError("token_not_yet_valid", "Token is not valid yet");
  }
  if (iat !== undefined && iat > now + leeway) {
    throw new KeypebbleError("token_not_yet_valid", "Token was issued in the future");
  }

  // RFC 7519 §4.1.1
  if (options.issuer !== undefined && payload.iss !== options.issuer) {
    throw new KeypebbleError("invalid_issuer", `Token issuer must be "${options.issuer}"`);
  }
  // RFC 7519 §4.1.3
  if (options.audience !== undefined) {
    const aud = payload.aud;
    const ok = typeof aud === "string"
      ? aud === options.audience
      : Array.isArray(aud) && aud.includes(options.audience);
    if (!ok) {
      throw new KeypebbleError(
        "invalid_audience",
        `Token audience does not include "${options.audience}"`,
      );
    }
  }

  return { header: header as JwsHeader, payload, key };
}
