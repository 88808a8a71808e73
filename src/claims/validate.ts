/**
 * Claim values are checked before anything is signed: JSON a verifier can read back exactly.
 *
 * - `sub` and each `aud` are StringOrURI (RFC 7519 §2): a string; one containing `:` must be a
 *   URI (RFC 3986 §3: a scheme, then no whitespace).
 * - numbers are finite (`1e400` parses to Infinity, which JSON.stringify writes as `null`);
 * - strings hold no control characters (C0, DEL, C1) and no lone UTF-16 surrogates (which no
 *   UTF-8 encoder can represent: they would be signed as U+FFFD);
 * - nesting and sizes are bounded.
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";

const MAX_STRING = 8192;
const MAX_ITEMS = 256;
const MAX_DEPTH = 8;
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;

function _bad(name: string, problem: string): KeypebbleError {
  return new KeypebbleError("invalid_claims", `Claim ${quoteForMessage(name, 64)} ${problem}`);
}

/** True when `s` has a control character or a lone surrogate. */
export function hasUnsafeChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Check one StringOrURI value (RFC 7519 §2). */
export function checkStringOrUri(name: string, v: unknown): string {
  if (typeof v !== "string" || v === "" || v.length > 1024) {
    throw _bad(name, "must be a string of 1 to 1024 characters");
  }
  if (hasUnsafeChars(v)) throw _bad(name, "must not contain control characters");
  if (v.includes(":") && !URI_RE.test(v)) {
    throw _bad(name, 'contains ":" so must be a URI (RFC 7519 §2 StringOrURI)');
  }
  return v;
}

/**
 * Check every claim of `claims`: `sub` and `aud` as StringOrURI (`aud` may be a list), every
 * other value as plain JSON with finite numbers and safe strings.
 *
 * @throws {KeypebbleError} `invalid_claims` naming the claim
 */
export function checkClaimValues(claims: Readonly<Record<string, unknown>>): void {
  for (const name of Object.keys(claims)) {
    const v = claims[name];
    if (hasUnsafeChars(name) || name.length > 256) {
      throw new KeypebbleError("invalid_claims", "A claim name has control characters");
    }
    if (name === "sub") checkStringOrUri(name, v);
    else if (name === "aud") {
      if (Array.isArray(v)) {
        if (v.length === 0 || v.length > 64) throw _bad(name, "must list 1 to 64 audiences");
        for (const a of v) checkStringOrUri(name, a);
      } else checkStringOrUri(name, v);
    } else _checkJson(name, v, 0);
  }
}

function _checkJson(name: string, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw _bad(name, `is nested deeper than ${MAX_DEPTH} levels`);
  if (v === null || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw _bad(name, "must be a finite number");
    return;
  }
  if (typeof v === "string") {
    if (v.length > MAX_STRING) throw _bad(name, `is longer than ${MAX_STRING} characters`);
    if (hasUnsafeChars(v)) throw _bad(name, "must not contain control characters");
    return;
  }
  if (Array.isArray(v)) {
    if (v.length > MAX_ITEMS) throw _bad(name, `has more than ${MAX_ITEMS} items`);
    for (const x of v) _checkJson(name, x, depth + 1);
    return;
  }
  if (typeof v === "object") {
    const members = v as Record<string, unknown>;
    const keys = Object.keys(members);
    if (keys.length > MAX_ITEMS) throw _bad(name, `has more than ${MAX_ITEMS} members`);
    for (const k of keys) {
      if (hasUnsafeChars(k)) throw _bad(name, "has a member name with control characters");
      _checkJson(name, members[k], depth + 1);
    }
    return;
  }
  throw _bad(name, "is not a JSON value");
}
