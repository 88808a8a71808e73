/**
 * Verifying Apache's `$apr1$` password hashes (htpasswd's MD5 crypt variant), for accounts
 * imported from an htpasswd file. Accepted for verification only: a user who logs in with one is
 * moved to PBKDF2.
 */

import { timingSafeEqual } from "../jose/constant_time.ts";
import { md5 } from "./md5.ts";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MAGIC = "$apr1$";
const APR1 = /^\$apr1\$([^$]{1,8})\$([./0-9A-Za-z]{22})$/;
const enc = new TextEncoder();

function _concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function _to64(v: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    s += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return s;
}

/** The `$apr1$salt$hash` string for `password` and `salt` (at most 8 characters). */
export function apr1Hash(password: string, salt: string): string {
  const pw = enc.encode(password);
  const sl = enc.encode(salt.slice(0, 8));
  const alt = md5(_concat([pw, sl, pw]));
  const ctx: Uint8Array[] = [pw, enc.encode(MAGIC), sl];
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.push(alt.slice(0, Math.min(16, pl)));
  for (let i = pw.length; i > 0; i >>>= 1) {
    ctx.push((i & 1) !== 0 ? new Uint8Array([0]) : pw.slice(0, 1));
  }
  let fin = md5(_concat(ctx));
  // The 1000 rounds that make the hash slow(er)
  for (let i = 0; i < 1000; i++) {
    const c: Uint8Array[] = [];
    c.push((i & 1) !== 0 ? pw : fin);
    if (i % 3 !== 0) c.push(sl);
    if (i % 7 !== 0) c.push(pw);
    c.push((i & 1) !== 0 ? fin : pw);
    fin = md5(_concat(c));
  }
  const f = fin;
  const out = _to64((f[0] << 16) | (f[6] << 8) | f[12], 4) +
    _to64((f[1] << 16) | (f[7] << 8) | f[13], 4) +
    _to64((f[2] << 16) | (f[8] << 8) | f[14], 4) +
    _to64((f[3] << 16) | (f[9] << 8) | f[15], 4) +
    _to64((f[4] << 16) | (f[10] << 8) | f[5], 4) +
    _to64(f[11], 2);
  return `${MAGIC}${salt.slice(0, 8)}$${out}`;
}

/** True when `hash` looks like an apr1 hash. */
export function isApr1(hash: string): boolean {
  return APR1.test(hash);
}

/** Verify `password` against an `$apr1$` hash (constant-time comparison). */
export function verifyApr1(password: string, hash: string): boolean {
  const m = APR1.exec(hash);
  if (m === null) return false;
  return timingSafeEqual(enc.encode(apr1Hash(password, m[1])), enc.encode(hash));
}
