/**
 * UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, the version and variant bits, and 74
 * random bits. Ids made later sort after earlier ones (within a millisecond, in random order), so
 * the audit trail's rows append to its indexes.
 *
 * @module
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUIDv7 for the time `ms` (milliseconds since the epoch). */
export function uuid7(ms: number): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b.subarray(6));
  let t = Math.max(0, Math.floor(ms));
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[b[i]];
  }
  return s;
}
