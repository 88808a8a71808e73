/**
 * A QR code encoder (ISO/IEC 18004:2015) for what sign-in needs: an `otpauth://` URI shown at
 * TOTP enrolment. Byte mode, error-correction level M (15 % of the symbol recoverable), versions
 * 1 to 10 (up to 213 bytes, far more than an otpauth URI), all eight masks tried and the one with
 * the lowest penalty kept (§7.8.3), rendered as a self-contained SVG made of attributes only (no
 * script, no style), so it passes a `default-src 'none'` Content-Security-Policy inline.
 *
 * The stages follow the standard's order: data bits (§7.4), codewords with Reed–Solomon error
 * correction over GF(2^8) (§7.5), interleaved blocks (§7.6), module placement around the function
 * patterns (§7.7), masking (§7.8), then format and version information (§7.9, §7.10).
 *
 * @example
 * ```ts
 * const svg = qrSvg(encodeQr(uri), { label: "Scan with an authenticator app" });
 * ```
 *
 * @module
 */

import { escapeHtml } from "./html.ts";

/** An encoded symbol: `size` × `size` modules, row-major, true for dark. */
export interface QrCode {
  readonly version: number;
  readonly size: number;
  /** The mask pattern reference (0–7) applied. */
  readonly mask: number;
  /** `dark[row * size + col]`. */
  readonly dark: readonly boolean[];
}

/** The largest version this encoder makes. */
export const QR_MAX_VERSION = 10;

/**
 * Error correction level M, versions 1–10 (§7.5.1, Table 9): EC codewords per block, then the
 * number of blocks and data codewords per block of the first group, then of the second group.
 */
const EC_M: readonly (readonly [number, number, number, number, number])[] = [
  [0, 0, 0, 0, 0], // (no version 0)
  [10, 1, 16, 0, 0],
  [16, 1, 28, 0, 0],
  [26, 1, 44, 0, 0],
  [18, 2, 32, 0, 0],
  [24, 2, 43, 0, 0],
  [16, 4, 27, 0, 0],
  [18, 4, 31, 0, 0],
  [22, 2, 38, 2, 39],
  [22, 3, 36, 2, 37],
  [26, 4, 43, 1, 44],
];

/** Row/column centres of the alignment patterns (Annex E, Table E.1), versions 1–10. */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
];

/** Data codewords of a version at level M. */
export function dataCodewords(version: number): number {
  const [, b1, d1, b2, d2] = EC_M[version];
  return b1 * d1 + b2 * d2;
}

/** The most bytes a version holds in byte mode at level M. */
export function byteCapacity(version: number): number {
  const countBits = version <= 9 ? 8 : 16;
  return Math.floor((dataCodewords(version) * 8 - 4 - countBits) / 8);
}

// --- GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), §7.5.2 ---------

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

function _mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** The generator polynomial ∏(x − α^i), i < n, highest degree first (leading 1 included). */
function _generator(n: number): Uint8Array {
  let g = new Uint8Array([1]);
  for (let i = 0; i < n; i++) {
    const next = new Uint8Array(g.length + 1);
    for (let j = 0; j < g.length; j++) {
      next[j] ^= g[j];
      next[j + 1] ^= _mul(g[j], EXP[i]);
    }
    g = next;
  }
  return g;
}

/** The `n` Reed–Solomon check codewords of `data`: the remainder of data·x^n ÷ g(x). */
export function reedSolomon(data: Uint8Array, n: number): Uint8Array {
  const g = _generator(n);
  const rem = new Uint8Array(n);
  for (const byte of data) {
    const factor = byte ^ rem[0];
    rem.copyWithin(0, 1);
    rem[n - 1] = 0;
    for (let j = 0; j < n; j++) rem[j] ^= _mul(g[j + 1], factor);
  }
  return rem;
}

// --- data codewords (§7.4) ----------------------------------------------------------------

function _dataCodewords(data: Uint8Array, version: number): Uint8Array {
  const capacity = dataCodewords(version);
  const bits: number[] = [];
  const put = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4); // byte mode indicator (§7.4.2, Table 2)
  put(data.length, version <= 9 ? 8 : 16); // character count (Table 3)
  for (const b of data) put(b, 8);
  // Terminator of up to four zero bits, then zeros to a byte boundary (§7.4.9).
  put(0, Math.min(4, capacity * 8 - bits.length));
  while (bits.length % 8 !== 0) bits.push(0);
  const out = new Uint8Array(capacity);
  let i = 0;
  for (; i < bits.length / 8; i++) {
    let byte = 0;
    for (let j = 0; j < 8; j++) byte = (byte << 1) | bits[i * 8 + j];
    out[i] = byte;
  }
  // Pad codewords 11101100 and 00010001 alternately (§7.4.10).
  for (let pad = 0; i < capacity; i++, pad ^= 1) out[i] = pad === 0 ? 0xec : 0x11;
  return out;
}

/** Split into blocks, add each block's check codewords and interleave (§7.6). */
function _interleaved(data: Uint8Array, version: number): Uint8Array {
  const [ec, b1, d1, b2, d2] = EC_M[version];
  const blocks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < b1 + b2; i++) {
    const len = i < b1 ? d1 : d2;
    blocks.push(data.slice(at, at + len));
    at += len;
  }
  const checks = blocks.map((b) => reedSolomon(b, ec));
  const out: number[] = [];
  const longest = Math.max(d1, d2);
  for (let i = 0; i < longest; i++) for (const b of blocks) if (i < b.length) out.push(b[i]);
  for (let i = 0; i < ec; i++) for (const c of checks) out.push(c[i]);
  return new Uint8Array(out);
}

// --- the matrix (§7.7) -------------------------------------------------------------------

class _Matrix {
  readonly size: number;
  readonly dark: Uint8Array;
  readonly fixed: Uint8Array;
  constructor(readonly version: number) {
    this.size = 17 + 4 * version;
    this.dark = new Uint8Array(this.size * this.size);
    this.fixed = new Uint8Array(this.size * this.size);
  }
  set(row: number, col: number, dark: boolean): void {
    const i = row * this.size + col;
    this.dark[i] = dark ? 1 : 0;
    this.fixed[i] = 1;
  }
  get(row: number, col: number): boolean {
    return this.dark[row * this.size + col] === 1;
  }
}

function _functionPatterns(m: _Matrix): void {
  const n = m.size;
  // Timing patterns: row 6 and column 6, dark on even indices (§6.3.5).
  for (let i = 0; i < n; i++) {
    m.set(6, i, i % 2 === 0);
    m.set(i, 6, i % 2 === 0);
  }
  // Finder patterns with their light separators (§6.3.3, §6.3.4).
  for (const [r0, c0] of [[3, 3], [3, n - 4], [n - 4, 3]]) {
    for (let dr = -4; dr <= 4; dr++) {
      for (let dc = -4; dc <= 4; dc++) {
        const r = r0 + dr, c = c0 + dc;
        if (r < 0 || r >= n || c < 0 || c >= n) continue;
        const dist = Math.max(Math.abs(dr), Math.abs(dc));
        m.set(r, c, dist !== 2 && dist !== 4);
      }
    }
  }
  // Alignment patterns, except where they would overlap a finder (§6.3.6).
  const centres = ALIGNMENT[m.version];
  const last = centres.length - 1;
  for (let i = 0; i < centres.length; i++) {
    for (let j = 0; j < centres.length; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      for (let dr = -2; dr <= 2; dr++) {
        for (let dc = -2; dc <= 2; dc++) {
          m.set(centres[i] + dr, centres[j] + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
        }
      }
    }
  }
  // Reserve the format and version areas; they are written after masking.
  _formatInfo(m, 0);
  if (m.version >= 7) _versionInfo(m);
}

/** The 15 format bits: level M (00) and the mask, BCH(15,5) protected, XOR 101010000010010. */
export function formatBits(mask: number): number {
  const data = (0b00 << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | (rem & 0x3ff)) ^ 0x5412;
}

/** The 18 version bits: the version and its BCH(18,6) remainder (§7.10, Annex D). */
export function versionBits(version: number): number {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | (rem & 0xfff);
}

function _formatInfo(m: _Matrix, mask: number): void {
  const bits = formatBits(mask);
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  const n = m.size;
  // First copy around the top-left finder (§7.9.1, Figure 25): bit 0 at the top of column 8.
  for (let i = 0; i <= 5; i++) m.set(i, 8, bit(i));
  m.set(7, 8, bit(6));
  m.set(8, 8, bit(7));
  m.set(8, 7, bit(8));
  for (let i = 9; i < 15; i++) m.set(8, 14 - i, bit(i));
  // Second copy: bits 0–7 along row 8 from the right, 8–14 down column 8 at the bottom.
  for (let i = 0; i < 8; i++) m.set(8, n - 1 - i, bit(i));
  for (let i = 8; i < 15; i++) m.set(n - 15 + i, 8, bit(i));
  m.set(n - 8, 8, true); // the dark module
}

function _versionInfo(m: _Matrix): void {
  const bits = versionBits(m.version);
  const n = m.size;
  // Two 6 × 3 blocks beside the top-right and bottom-left finders (§7.10, Figure 27).
  for (let i = 0; i < 18; i++) {
    const dark = ((bits >>> i) & 1) === 1;
    const a = n - 11 + (i % 3), b = Math.floor(i / 3);
    m.set(b, a, dark);
    m.set(a, b, dark);
  }
}

/** Place codeword bits in the two-column zigzag from the bottom right (§7.7.3). */
function _placeData(m: _Matrix, codewords: Uint8Array): void {
  const n = m.size;
  let i = 0;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5; // the vertical timing pattern is skipped
    const upward = ((right + 1) & 2) === 0;
    for (let v = 0; v < n; v++) {
      const row = upward ? n - 1 - v : v;
      for (let j = 0; j < 2; j++) {
        const col = right - j;
        const at = row * n + col;
        if (m.fixed[at]) continue;
        // Remainder bits past the last codeword stay light (§7.7.3: zeros).
        if (i < codewords.length * 8) {
          m.dark[at] = (codewords[i >>> 3] >>> (7 - (i & 7))) & 1;
          i++;
        }
      }
    }
  }
}

/** Whether mask pattern `mask` inverts the module at (row, col) (§7.8.2, Table 10). */
export function maskBit(mask: number, row: number, col: number): boolean {
  switch (mask) {
    case 0:
      return (row + col) % 2 === 0;
    case 1:
      return row % 2 === 0;
    case 2:
      return col % 3 === 0;
    case 3:
      return (row + col) % 3 === 0;
    case 4:
      return (Math.floor(row / 2) + Math.floor(col / 3)) % 2 === 0;
    case 5:
      return ((row * col) % 2) + ((row * col) % 3) === 0;
    case 6:
      return (((row * col) % 2) + ((row * col) % 3)) % 2 === 0;
    case 7:
      return (((row + col) % 2) + ((row * col) % 3)) % 2 === 0;
    default:
      throw new RangeError("Mask patterns are 0 to 7");
  }
}

function _applyMask(m: _Matrix, mask: number): void {
  const n = m.size;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!m.fixed[r * n + c] && maskBit(mask, r, c)) m.dark[r * n + c] ^= 1;
    }
  }
}

/** The penalty score of a masked symbol (§7.8.3.1, Table 11: N1 = 3, N2 = 3, N3 = 40, N4 = 10). */
export function penalty(dark: ArrayLike<number | boolean>, n: number): number {
  const at = (r: number, c: number) => (dark[r * n + c] ? 1 : 0);
  let score = 0;
  for (let pass = 0; pass < 2; pass++) {
    const get = pass === 0 ? at : (r: number, c: number) => at(c, r); // rows, then columns
    for (let r = 0; r < n; r++) {
      // N1: a run of five or more modules of one colour scores 3 + (length − 5).
      let run = 1;
      for (let c = 1; c <= n; c++) {
        if (c < n && get(r, c) === get(r, c - 1)) run++;
        else {
          if (run >= 5) score += 3 + run - 5;
          run = 1;
        }
      }
      // N3: 1:1:3:1:1 (dark-light-dark×3-light-dark) with four light modules on one side.
      for (let c = 0; c + 11 <= n; c++) {
        let a = true, b = true;
        for (let k = 0; k < 11; k++) {
          if (get(r, c + k) !== N3_A[k]) a = false;
          if (get(r, c + k) !== N3_B[k]) b = false;
        }
        if (a) score += 40;
        if (b) score += 40;
      }
    }
  }
  // N2: every 2 × 2 block of one colour scores 3.
  for (let r = 0; r + 1 < n; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = at(r, c);
      if (v === at(r, c + 1) && v === at(r + 1, c) && v === at(r + 1, c + 1)) score += 3;
    }
  }
  // N4: 10 points for every full 5 % the dark share is away from 50 %.
  let darkCount = 0;
  for (let i = 0; i < n * n; i++) darkCount += dark[i] ? 1 : 0;
  score += 10 * Math.floor(Math.abs(darkCount * 100 / (n * n) - 50) / 5);
  return score;
}

const N3_A = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0];
const N3_B = [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1];

/** Modules left for codewords in a version (everything but function patterns and format info). */
export function dataModules(version: number): number {
  const m = new _Matrix(version);
  _functionPatterns(m);
  let free = 0;
  for (const f of m.fixed) free += f ? 0 : 1;
  return free;
}

/**
 * Encode `data` (a string is UTF-8 encoded) in the smallest version that holds it, at level M.
 * `mask` forces a mask pattern (tests); by default all eight are scored. Throws a `RangeError`
 * when the data needs more than version 10 (213 bytes).
 */
export function encodeQr(data: Uint8Array | string, options: { mask?: number } = {}): QrCode {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let version = 1;
  while (version <= QR_MAX_VERSION && byteCapacity(version) < bytes.length) version++;
  if (version > QR_MAX_VERSION) {
    throw new RangeError(
      `${bytes.length} bytes do not fit a QR code of version ${QR_MAX_VERSION} at level M ` +
        `(at most ${byteCapacity(QR_MAX_VERSION)})`,
    );
  }
  const codewords = _interleaved(_dataCodewords(bytes, version), version);
  const base = new _Matrix(version);
  _functionPatterns(base);
  _placeData(base, codewords);
  const masks = options.mask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [options.mask];
  let best: { mask: number; dark: Uint8Array; score: number } | undefined;
  for (const mask of masks) {
    if (!Number.isInteger(mask) || mask < 0 || mask > 7) {
      throw new RangeError("Mask patterns are 0 to 7");
    }
    const m = new _Matrix(version);
    m.dark.set(base.dark);
    m.fixed.set(base.fixed);
    _applyMask(m, mask);
    _formatInfo(m, mask);
    const score = penalty(m.dark, m.size);
    if (best === undefined || score < best.score) best = { mask, dark: m.dark, score };
  }
  return {
    version,
    size: base.size,
    mask: best!.mask,
    dark: Array.from(best!.dark, (v) => v === 1),
  };
}

/**
 * The symbol as an SVG document: a white square with the quiet zone (four modules, §6.3.8) and
 * one black path of horizontal runs. Only presentation attributes; no script, no style, no
 * external reference, so it can be inlined in a page under a strict CSP. `label` becomes the
 * accessible name (escaped).
 */
export function qrSvg(
  qr: QrCode,
  options: { moduleSize?: number; quietZone?: number; label?: string } = {},
): string {
  const quiet = options.quietZone ?? 4;
  const scale = options.moduleSize ?? 4;
  const total = qr.size + 2 * quiet;
  let d = "";
  for (let r = 0; r < qr.size; r++) {
    let c = 0;
    while (c < qr.size) {
      if (!qr.dark[r * qr.size + c]) {
        c++;
        continue;
      }
      let len = 1;
      while (c + len < qr.size && qr.dark[r * qr.size + c + len]) len++;
      d += `M${c + quiet} ${r + quiet}h${len}v1h-${len}z`;
      c += len;
    }
  }
  const label = options.label === undefined
    ? ""
    : ` role="img" aria-label="${escapeHtml(options.label)}"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" ` +
    `width="${total * scale}" height="${total * scale}" shape-rendering="crispEdges"${label}>` +
    `<rect width="${total}" height="${total}" fill="#ffffff"/>` +
    `<path fill="#000000" d="${d}"/></svg>`;
}
