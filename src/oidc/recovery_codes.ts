/**
 * Recovery codes: ten single-use codes shown once at TOTP enrolment, for when the phone is lost.
 *
 * Each code is 80 random bits written as 16 base32 characters in four groups
 * (`abcd-efgh-ijkl-mnop`). They are stored as HMAC-SHA-256 under a key derived from the store's
 * pepper (`keys.ts`), not with a slow password hash: a slow hash protects low-entropy secrets
 * people choose, and 80 random bits cannot be guessed offline anyway, while the pepper makes a
 * copied database useless without the pepper file. A keyed hash also lets the store find and
 * spend a code in one atomic `UPDATE … WHERE used_at IS NULL`, so a code works exactly once even
 * when two sign-ins race.
 *
 * @module
 */

import { bytesToHex } from "./_hex.ts";
import { base32Encode } from "./base32.ts";
import type { OidcKeys } from "./keys.ts";

/** Codes made at each enrolment (or regeneration). */
export const RECOVERY_CODE_COUNT = 10;

/** 16 base32 characters: 80 bits. */
const CODE_CHARS = 16;

/** New recovery codes, formatted for people (`abcd-efgh-ijkl-mnop`). */
export function generateRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  const out: string[] = [];
  while (out.length < count) {
    const code = base32Encode(crypto.getRandomValues(new Uint8Array(10))).toLowerCase();
    const formatted = code.match(/.{4}/g)!.join("-");
    if (!out.includes(formatted)) out.push(formatted);
  }
  return out;
}

/**
 * A typed code in its canonical form (lower case, no spaces or dashes), or null when it cannot
 * be a recovery code (so a TOTP code or junk is never looked up as one).
 */
export function normalizeRecoveryCode(input: string): string | null {
  const clean = input.replace(/[\s-]/g, "").toLowerCase();
  return clean.length === CODE_CHARS && /^[a-z2-7]+$/.test(clean) ? clean : null;
}

/** The stored form of a code: hex HMAC-SHA-256 of its canonical form under the recovery key. */
export function recoveryCodeHash(keys: OidcKeys, code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new TypeError("Not a recovery code");
  return bytesToHex(keys.recovery.sign(new TextEncoder().encode(canonical)));
}
