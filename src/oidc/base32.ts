/**
 * Base32 (RFC 4648 §6) without padding, as authenticator apps expect TOTP secrets: upper-case
 * letters A–Z and digits 2–7, five bits per character.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * Encode `bytes` in base32 without `=` padding (RFC 4648 §6; §3.2 lets a specification leave
 * the padding out, and the Key Uri Format does).
 *
 * @example
 * ```ts
 * base32Encode(new TextEncoder().encode("foobar")); // "MZXW6YTBOI"
 * ```
 */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decode base32 (either case; trailing `=` padding, spaces and dashes are ignored, since people
 * copy secrets in groups). Throws a `TypeError` on any other character or on a length no
 * encoding produces.
 */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
  // RFC 4648 §6: the final quantum has 2, 4, 5 or 7 characters, never 1, 3 or 6.
  if ([1, 3, 6].includes(clean.length % 8)) {
    throw new TypeError("Base32 text has an impossible length");
  }
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let i = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new TypeError("Base32 text has a character outside A-Z and 2-7");
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (buffer >>> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
