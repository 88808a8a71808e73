/**
 * A tiny DER reader and writer (ITU-T X.690 §8, §10), just enough to read PKCS#8, SPKI, SEC1 and
 * X.509 structure and to wrap a PKCS#1 or SEC1 key into PKCS#8. Internal to `src/jose`.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";

/** One decoded tag-length-value. `start`/`end` bound the value; `tlvStart` the whole element. */
export interface Tlv {
  readonly tag: number;
  readonly tlvStart: number;
  readonly start: number;
  readonly end: number;
}

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;

function _bad(what: string): KeypebbleError {
  return new KeypebbleError("invalid_key", `Malformed DER in ${what}`);
}

/** Read one element at `offset`, which must end at or before `limit`. Definite lengths only. */
export function readTlv(der: Uint8Array, offset: number, limit: number, what: string): Tlv {
  if (offset + 2 > limit) throw _bad(what);
  const tag = der[offset];
  // Multi-byte tags never occur in the structures read here
  if ((tag & 0x1f) === 0x1f) throw _bad(what);
  let len = der[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // n == 0 is the indefinite form, not DER; 4 bytes is plenty for any key or certificate
    if (n === 0 || n > 4 || p + n > limit) throw _bad(what);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p++];
  }
  if (p + len > limit) throw _bad(what);
  return { tag, tlvStart: offset, start: p, end: p + len };
}

/** Read the children of a constructed element. */
export function children(der: Uint8Array, parent: Tlv, what: string): Tlv[] {
  const out: Tlv[] = [];
  let p = parent.start;
  while (p < parent.end) {
    const t = readTlv(der, p, parent.end, what);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** Read the single top-level element, which must span all of `der`. */
export function readTop(der: Uint8Array, tag: number, what: string): Tlv {
  const t = readTlv(der, 0, der.length, what);
  if (t.tag !== tag || t.end !== der.length) throw _bad(what);
  return t;
}

/** Hex of an element's value bytes (for comparing OIDs). */
export function valueHex(der: Uint8Array, t: Tlv): string {
  let s = "";
  for (let i = t.start; i < t.end; i++) s += der[i].toString(16).padStart(2, "0");
  return s;
}

/** Encode one element. */
export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  const len = value.length;
  let head: number[];
  if (len < 0x80) head = [tag, len];
  else {
    const lenBytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n & 255);
    head = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Parse a hex string into bytes (for OID constants). */
export function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
