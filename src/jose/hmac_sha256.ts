/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4), synchronous and in plain JavaScript.
 *
 * Why not only Web Crypto: `crypto.subtle.sign` is asynchronous, and for HMAC the round trip to
 * the runtime's worker threads costs several times the hash itself. HS256 issuing is the hot path
 * of /auth, so the signer uses this instead. The key's inner and outer padded blocks are hashed
 * once at construction (the midstates), so a MAC over a short token costs only the message's
 * own blocks plus one. Results are checked against Web Crypto and the RFC 4231 vectors in tests.
 *
 * No branch or table lookup depends on key or message bytes, so timing does not leak them.
 *
 * @module
 */

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
// 64 primes.
const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

// FIPS 180-4 §5.3.3: the initial hash value.
const IV = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

const BLOCK = 64;

/** Process one 64-byte block at `off` of `data` into `state` (FIPS 180-4 §6.2.2). */
function _compress(state: Int32Array, w: Int32Array, data: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const i = off + t * 4;
    w[t] = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15];
    const y = w[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + w[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/**
 * Hash `data` starting from `state`, as if `prefixBytes` bytes had already been hashed (FIPS
 * 180-4 §5.1.1 padding), and write the 32-byte digest into `out`. `scratch` is reused for the
 * final padded blocks and grown when too small.
 */
function _finish(
  state: Int32Array,
  w: Int32Array,
  data: Uint8Array,
  prefixBytes: number,
  out: Uint8Array,
  scratch: { buf: Uint8Array },
): void {
  const n = data.length;
  const full = n - (n % BLOCK);
  for (let off = 0; off < full; off += BLOCK) _compress(state, w, data, off);
  const rest = n - full;
  const end = rest < 56 ? BLOCK : 2 * BLOCK;
  const tail = scratch.buf;
  tail.fill(0, 0, end);
  tail.set(data.subarray(full));
  tail[rest] = 0x80;
  const bits = (prefixBytes + n) * 8;
  // Message length in bits as a 64-bit big-endian integer; ours are far below 2^53.
  const hi = Math.floor(bits / 0x100000000);
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = hi >>> 16;
  tail[end - 6] = hi >>> 8;
  tail[end - 5] = hi;
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  for (let off = 0; off < end; off += BLOCK) _compress(state, w, tail, off);
  for (let i = 0; i < 8; i++) {
    const v = state[i];
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
}

/** SHA-256 of `data` (used for long HMAC keys and in tests). */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  _finish(IV.slice(), new Int32Array(64), data, 0, out, { buf: new Uint8Array(2 * BLOCK) });
  return out;
}

/**
 * An HMAC-SHA-256 key, ready to MAC messages synchronously.
 *
 * @example
 * ```ts
 * const mac = new HmacSha256(new TextEncoder().encode("a secret of at least 32 bytes....."));
 * mac.sign(new TextEncoder().encode("message")); // 32 bytes
 * ```
 */
export class HmacSha256 {
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;
  readonly #w = new Int32Array(64);
  readonly #state = new Int32Array(8);
  readonly #innerDigest = new Uint8Array(32);
  readonly #scratch = { buf: new Uint8Array(2 * BLOCK) };
  readonly #native: NativeMac | undefined;
  /** ASCII text is written here for {@link signHex}. */
  readonly #ascii = new Uint8Array(ASCII_MAX);

  constructor(key: Uint8Array) {
    this.#native = _nativeFactory?.(key);
    // RFC 2104 §2: keys longer than the block are hashed first, shorter ones zero-padded.
    const k = new Uint8Array(BLOCK);
    k.set(key.length > BLOCK ? sha256(key) : key);
    const pad = new Uint8Array(BLOCK);
    const w = new Int32Array(64);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
    this.#inner = IV.slice();
    _compress(this.#inner, w, pad, 0);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
    this.#outer = IV.slice();
    _compress(this.#outer, w, pad, 0);
    k.fill(0);
    pad.fill(0);
  }

  /**
   * HMAC of `text`'s UTF-8, as 64 lowercase hex digits (the stored form of keys and cache keys).
   * ASCII text is written into a reused buffer, with no call into the runtime's encoder; the
   * runtime's own MAC, when installed, hashes and formats natively.
   */
  signHex(text: string): string {
    const hex = this.#native?.hex;
    if (hex !== undefined) return hex(text);
    const mac = this.sign(this.#text(text));
    let out = "";
    for (let i = 0; i < 32; i++) out += HEX[mac[i]];
    return out;
  }

  #text(text: string): Uint8Array {
    const n = text.length;
    if (n > ASCII_MAX) return _encoder.encode(text);
    const buf = this.#ascii;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) return _encoder.encode(text);
      buf[i] = c;
    }
    return buf.subarray(0, n);
  }

  /** HMAC of `message`: 32 bytes. */
  sign(message: Uint8Array): Uint8Array {
    if (this.#native !== undefined) return this.#native(message);
    const state = this.#state;
    state.set(this.#inner);
    _finish(state, this.#w, message, BLOCK, this.#innerDigest, this.#scratch);
    state.set(this.#outer);
    const out = new Uint8Array(32);
    _finish(state, this.#w, this.#innerDigest, BLOCK, out, this.#scratch);
    return out;
  }
}

/**
 * A runtime's own synchronous HMAC-SHA-256 for one key: the 32-byte MAC of a message, and
 * optionally the MAC of a text's UTF-8 as lowercase hex, computed and formatted natively.
 */
export type NativeMac = ((message: Uint8Array) => Uint8Array) & {
  readonly hex?: (text: string) => string;
};

/** Longest text {@link HmacSha256.signHex} writes itself (longer goes through the encoder). */
const ASCII_MAX = 256;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const _encoder = new TextEncoder();

let _nativeFactory: ((key: Uint8Array) => NativeMac) | undefined;

/**
 * Let every {@link HmacSha256} made from now on MAC with the runtime's own synchronous primitive
 * (the Bun adapter installs BoringSSL's, about six times faster than this file under JSC). Same
 * bytes either way (tests compare); `undefined` goes back to this file's code.
 */
export function installNativeHmacSha256(
  factory: ((key: Uint8Array) => NativeMac) | undefined,
): void {
  _nativeFactory = factory;
}
