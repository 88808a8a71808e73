/**
 * Verifying bcrypt password hashes (`$2a$`, `$2b$`, `$2y$`; Provos and Mazières, "A
 * Future-Adaptable Password Scheme", 1999), for accounts imported from pico-auth or htpasswd -B.
 * New hashes are PBKDF2; bcrypt is only ever verified, and a user who logs in with one is moved
 * to PBKDF2.
 *
 * bcrypt reads at most 72 bytes of a password. We do not truncate silently: a password longer
 * than 72 bytes (UTF-8) never matches a bcrypt hash, so two passwords sharing their first 72
 * bytes cannot both open an account.
 *
 * Blowfish's initial state is the fractional part of π in hexadecimal (Schneier, 1993); it is
 * computed here once, on first use, with Machin's formula in BigInt arithmetic rather than
 * written out as a table.
 */

import { timingSafeEqual } from "../jose/constant_time.ts";

/** The most password bytes bcrypt reads. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;
/** The highest cost accepted: each step doubles the work (12 is about 0.4 s here, 14 about 1.6 s). */
export const BCRYPT_MAX_COST = 14;

const BCRYPT = /^\$2[aby]\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;
const B64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const WORDS = 18 + 4 * 256;

let _piWords: Uint32Array | undefined;

/** The first 1042 32-bit words of the fractional part of π (P-array then S-boxes). */
export function piWords(): Uint32Array {
  if (_piWords !== undefined) return _piWords;
  const bits = BigInt(WORDS * 32);
  const guard = 64n;
  const one = 1n << (bits + guard);
  // Machin: π = 16·atan(1/5) − 4·atan(1/239)
  const atanInv = (x: bigint): bigint => {
    const x2 = x * x;
    let term = one / x;
    let sum = 0n;
    for (let k = 1n; term !== 0n; k += 2n) {
      const t = term / k;
      sum = ((k - 1n) / 2n) % 2n === 0n ? sum + t : sum - t;
      term /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  const frac = (pi - 3n * one) >> guard;
  const hex = frac.toString(16).padStart(WORDS * 8, "0");
  const out = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  _piWords = out;
  return out;
}

class _Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;
  constructor() {
    const init = piWords();
    this.p = init.slice(0, 18);
    this.s = init.slice(18);
  }

  /** Encrypt the block at `lr[off]`, `lr[off + 1]` in place. */
  encipher(lr: Uint32Array, off: number): void {
    const p = this.p;
    const s = this.s;
    let l = lr[off];
    let r = lr[off + 1];
    l ^= p[0];
    for (let i = 1; i <= 16; i += 2) {
      r ^= (((s[l >>> 24] + s[256 | ((l >>> 16) & 255)]) ^ s[512 | ((l >>> 8) & 255)]) +
        s[768 | (l & 255)]) ^ p[i];
      l ^= (((s[r >>> 24] + s[256 | ((r >>> 16) & 255)]) ^ s[512 | ((r >>> 8) & 255)]) +
        s[768 | (r & 255)]) ^ p[i + 1];
    }
    lr[off] = r ^ p[17];
    lr[off + 1] = l;
  }

  /** bcrypt's ExpandKey(state, salt, key); `salt` may be null for the zero salt. */
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    const p = this.p;
    let j = 0;
    const word = (data: Uint8Array): number => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = (w << 8) | data[j];
        j = (j + 1) % data.length;
      }
      return w >>> 0;
    };
    for (let i = 0; i < 18; i++) p[i] ^= word(key);
    j = 0;
    const lr = new Uint32Array(2);
    const fill = (target: Uint32Array, n: number) => {
      for (let i = 0; i < n; i += 2) {
        if (salt !== null) {
          lr[0] ^= word(salt);
          lr[1] ^= word(salt);
        }
        this.encipher(lr, 0);
        target[i] = lr[0];
        target[i + 1] = lr[1];
      }
    };
    fill(p, 18);
    fill(this.s, 1024);
  }
}

function _b64Decode(s: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let bitBuf = 0;
  let bitLen = 0;
  let o = 0;
  for (const ch of s) {
    bitBuf = (bitBuf << 6) | B64.indexOf(ch);
    bitLen += 6;
    if (bitLen >= 8 && o < bytes) {
      bitLen -= 8;
      out[o++] = (bitBuf >>> bitLen) & 255;
    }
  }
  return out;
}

function _b64Encode(data: Uint8Array): string {
  let s = "";
  let bitBuf = 0;
  let bitLen = 0;
  for (const b of data) {
    bitBuf = ((bitBuf << 8) | b) & 0xffff;
    bitLen += 8;
    while (bitLen >= 6) {
      bitLen -= 6;
      s += B64[(bitBuf >>> bitLen) & 63];
    }
  }
  if (bitLen > 0) s += B64[(bitBuf << (6 - bitLen)) & 63];
  return s;
}

/** The raw 23-byte bcrypt digest of `key` (already NUL-terminated, at most 72 bytes read). */
export function bcryptRaw(key: Uint8Array, salt: Uint8Array, cost: number): Uint8Array {
  const bf = new _Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(salt, null);
  }
  return _finish(bf);
}

/** Longest stretch of bcrypt work done without letting the event loop run, in milliseconds. */
const SLICE_MS = 5;

/**
 * {@link bcryptRaw} in slices of at most {@link SLICE_MS}: between slices the event loop runs,
 * so a cost-12 check (about 0.4 s of work) never stalls the requests of everyone else.
 */
export async function bcryptRawAsync(
  key: Uint8Array,
  salt: Uint8Array,
  cost: number,
): Promise<Uint8Array> {
  const bf = new _Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  let sliceStart = performance.now();
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(salt, null);
    if ((i & 7) === 7 && performance.now() - sliceStart > SLICE_MS) {
      await new Promise((r) => setTimeout(r, 0));
      sliceStart = performance.now();
    }
  }
  return _finish(bf);
}

function _finish(bf: _Blowfish): Uint8Array {
  const text = new TextEncoder().encode("OrpheanBeholderScryDoubt");
  const c = new Uint32Array(6);
  const dv = new DataView(text.buffer);
  for (let i = 0; i < 6; i++) c[i] = dv.getUint32(i * 4);
  for (let i = 0; i < 64; i++) {
    bf.encipher(c, 0);
    bf.encipher(c, 2);
    bf.encipher(c, 4);
  }
  const out = new Uint8Array(24);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 6; i++) ov.setUint32(i * 4, c[i]);
  return out.slice(0, 23);
}

/** True when `hash` is a bcrypt hash this module verifies. */
export function isBcrypt(hash: string): boolean {
  return BCRYPT.test(hash);
}

/** The `$2b$` hash of `password` with a 16-byte `salt` (for tests and known-answer checks). */
export function bcryptHash(
  password: string,
  salt: Uint8Array,
  cost: number,
  variant = "2b",
): string {
  const pw = new TextEncoder().encode(password);
  const key = new Uint8Array(Math.min(pw.length, BCRYPT_MAX_PASSWORD_BYTES) + 1);
  key.set(pw.subarray(0, BCRYPT_MAX_PASSWORD_BYTES));
  const raw = bcryptRaw(key, salt, cost);
  return `$${variant}$${String(cost).padStart(2, "0")}$${_b64Encode(salt).slice(0, 22)}${
    _b64Encode(raw).slice(0, 31)
  }`;
}

/**
 * Verify `password` against a bcrypt hash. False for a malformed hash, a cost outside 4–14, or
 * a password longer than 72 bytes.
 */
export function verifyBcrypt(password: string, hash: string): boolean {
  const m = BCRYPT.exec(hash);
  if (m === null) return false;
  const cost = Number(m[1]);
  if (cost < 4 || cost > BCRYPT_MAX_COST) return false;
  if (new TextEncoder().encode(password).length > BCRYPT_MAX_PASSWORD_BYTES) return false;
  const salt = _b64Decode(m[2], 16);
  const again = bcryptHash(password, salt, cost, hash.slice(1, 3));
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(again), enc.encode(hash));
}

/**
 * {@link verifyBcrypt} without blocking the event loop: the server's path (a login against an
 * imported bcrypt hash). Resolves to the same answer.
 */
export async function verifyBcryptAsync(password: string, hash: string): Promise<boolean> {
  const m = BCRYPT.exec(hash);
  if (m === null) return false;
  const cost = Number(m[1]);
  if (cost < 4 || cost > BCRYPT_MAX_COST) return false;
  const pw = new TextEncoder().encode(password);
  if (pw.length > BCRYPT_MAX_PASSWORD_BYTES) return false;
  const key = new Uint8Array(pw.length + 1);
  key.set(pw);
  const salt = _b64Decode(m[2], 16);
  const raw = await bcryptRawAsync(key, salt, cost);
  const again = `$${hash.slice(1, 3)}$${m[1]}$${_b64Encode(salt).slice(0, 22)}${
    _b64Encode(raw).slice(0, 31)
  }`;
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(again), enc.encode(hash));
}
