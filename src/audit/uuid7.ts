/**
 * UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, the version and variant bits, and 74
 * random bits. Ids made later sort after earlier ones (within a millisecond, in random order), so
 * the audit trail's rows append to its indexes.
 *
 * The random bits come from a pool filled by the runtime's CSPRNG 4 KiB at a time (one call per
 * 409 ids rather than one per id: the call cost more than the rest of the id). Each pool byte is
 * used once.
 *
 * @module
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Random bytes an id takes (bytes 6 to 15). */
const RANDOM_BYTES = 10;
const _pool = new Uint8Array(RANDOM_BYTES * 409);
let _used = _pool.length;

/** A new UUIDv7 for the time `ms` (milliseconds since the epoch). */
export function uuid7(ms: number): string {
  if (_used === _pool.length) {
    crypto.getRandomValues(_pool);
    _used = 0;
  }
  const r = _used;
  _used += RANDOM_BYTES;
  // Bytes 0-5: the time, most significant first (48 bits: 12 hex digits).
  const t = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  const p = _pool;
  let s = t.slice(0, 8) + "-" + t.slice(8);
  s += "-" + HEX[(p[r] & 0x0f) | 0x70] + HEX[p[r + 1]]; // version 7
  s += "-" + HEX[(p[r + 2] & 0x3f) | 0x80] + HEX[p[r + 3]]; // variant 10
  s += "-" + HEX[p[r + 4]] + HEX[p[r + 5]] + HEX[p[r + 6]] + HEX[p[r + 7]] + HEX[p[r + 8]] +
    HEX[p[r + 9]];
  return s;
}
