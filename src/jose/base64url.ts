/**
 * Base64url without padding (RFC 7515 §2, RFC 4648 §5) and standard base64 with padding
 * (RFC 4648 §4, used for the `x5c` header, RFC 7515 §4.1.6).
 *
 * Decoding is strict: a token is attacker input, so anything that is not the canonical encoding
 * of some byte string is refused rather than repaired.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";

const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const URL_DECODE: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < URL_ALPHABET.length; i++) table[URL_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const encoder = new TextEncoder();
let _scratch = new Uint8Array(4096);

/**
 * The UTF-8 bytes of `s` as a view into a shared scratch buffer: no allocation on the hot path.
 * The view is only valid until the next call, so consume it synchronously and never hold it
 * across an `await`.
 */
export function utf8View(s: string): Uint8Array {
  // Each UTF-16 code unit needs at most three UTF-8 bytes.
  if (s.length * 3 > _scratch.length) _scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, _scratch);
  return _scratch.subarray(0, written);
}

function _encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[v >>> 18] + alphabet[(v >>> 12) & 63] + alphabet[(v >>> 6) & 63] +
      alphabet[v & 63];
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    out += alphabet[v >>> 18] + alphabet[(v >>> 12) & 63];
    if (pad) out += "==";
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[v >>> 18] + alphabet[(v >>> 12) & 63] + alphabet[(v >>> 6) & 63];
    if (pad) out += "=";
  }
  return out;
}

/**
 * Encode bytes (or a string, as UTF-8) as base64url without padding (RFC 7515 §2).
 *
 * @example
 * ```ts
 * b64uEncode("hi"); // "aGk"
 * ```
 */
export function b64uEncode(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? utf8View(data) : data;
  return _native === undefined
    ? _encode(bytes, URL_ALPHABET, false)
    : _native.call(bytes, URL_OPTIONS);
}

/** The runtime's own encoder (TC39 Uint8Array base64), when it has one: the hot path uses it. */
const _native = (Uint8Array.prototype as unknown as {
  toBase64?: (this: Uint8Array, o: { alphabet: string; omitPadding: boolean }) => string;
}).toBase64;
const URL_OPTIONS = { alphabet: "base64url", omitPadding: true };

/** Encode bytes as standard base64 with padding (RFC 4648 §4), as `x5c` requires. */
export function b64Encode(bytes: Uint8Array): string {
  return _encode(bytes, STD_ALPHABET, true);
}

function _invalid(): KeypebbleError {
  return new KeypebbleError("invalid_token", "Malformed base64url segment");
}

/**
 * Decode unpadded base64url strictly: only `[A-Za-z0-9_-]`, no `=`, no `+` or `/`, a length that
 * some byte string encodes to, and zero unused trailing bits (so each value has one encoding).
 *
 * @throws {KeypebbleError} `invalid_token` for anything else
 */
export function b64uDecode(s: string): Uint8Array {
  const len = s.length;
  const rest = len % 4;
  if (rest === 1) throw _invalid();
  const out = new Uint8Array(Math.floor(len / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let o = 0;
  let i = 0;
  const full = len - rest;
  for (; i < full; i += 4) {
    const v = (_val(s, i) << 18) | (_val(s, i + 1) << 12) | (_val(s, i + 2) << 6) |
      _val(s, i + 3);
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (rest === 2) {
    const a = _val(s, i);
    const b = _val(s, i + 1);
    if ((b & 15) !== 0) throw _invalid();
    out[o++] = (a << 2) | (b >>> 4);
  } else if (rest === 3) {
    const a = _val(s, i);
    const b = _val(s, i + 1);
    const c = _val(s, i + 2);
    if ((c & 3) !== 0) throw _invalid();
    out[o++] = (a << 2) | (b >>> 4);
    out[o++] = ((b & 15) << 4) | (c >>> 2);
  }
  return out;
}

function _val(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const v = c < 128 ? URL_DECODE[c] : -1;
  if (v < 0) throw _invalid();
  return v;
}

/**
 * Encode bytes as base64url WITH padding (RFC 4648 §5 as written), the form Fernet tokens and
 * keys use.
 */
export function b64uEncodePadded(bytes: Uint8Array): string {
  return _encode(bytes, URL_ALPHABET, true);
}

/**
 * Decode padded base64url strictly: a length that is a multiple of 4, at most two `=` and only
 * at the end, then the same checks as {@link b64uDecode}.
 *
 * @throws {KeypebbleError} `invalid_token`
 */
export function b64uDecodePadded(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw _invalid();
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */ && s.length - end < 2) end--;
  return b64uDecode(s.slice(0, end));
}
