/**
 * Constant-time comparison of byte strings, for MACs, password hashes and other secrets.
 * @module
 */

/**
 * True when `a` and `b` hold the same bytes. The time taken depends only on the lengths, never on
 * where the first difference is. Unequal lengths return false (lengths are not secret here: a
 * hash always has a fixed length).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
