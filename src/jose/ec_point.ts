/**
 * Public-point validation for ECDH-ES (RFC 7518 §4.6, §8.1 of the JWE security considerations:
 * "invalid curve attacks"). A JWE's `epk` is attacker input: a point that is not on the
 * recipient's curve can make the key agreement leak bits of the private key. Web Crypto
 * implementations differ here (Bun refuses an off-curve JWK at import, Deno 2 imports it and
 * fails later), so the check is done here, explicitly, before the point reaches Web Crypto.
 *
 * @module
 */

// NIST P-256 (SEC 2 §2.4.2, FIPS 186-4 §D.1.2.3): y² = x³ − 3x + b over GF(p); cofactor 1, so
// every point on the curve other than infinity is in the prime-order group.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function _int(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * True when (x, y), each 32 big-endian bytes, is a point of P-256: both coordinates below p and
 * the curve equation satisfied. The point at infinity has no affine coordinates, so it is never
 * true.
 */
export function isP256Point(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== 32 || y.length !== 32) return false;
  const X = _int(x);
  const Y = _int(y);
  if (X >= P || Y >= P) return false;
  const left = (Y * Y) % P;
  const right = (((X * X % P) * X - 3n * X + B) % P + P) % P;
  return left === right;
}
