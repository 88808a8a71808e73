/**
 * Account passwords: new hashes are PBKDF2-HMAC-SHA256 (`src/identity/password.ts`); imported
 * accounts may carry bcrypt (`$2a$`, `$2b$`, `$2y$`) or htpasswd `$apr1$` hashes, which are
 * verified here and replaced by PBKDF2 at the next successful login.
 */

import { KeypebbleError } from "../errors.ts";
import { hashPassword, verifyPassword } from "../identity/mod.ts";
import { isApr1, verifyApr1 } from "./apr1.ts";
import { isBcrypt, verifyBcryptAsync } from "./bcrypt.ts";

/** The most bytes a password may have (bounds the work of hashing it). */
export const MAX_PASSWORD_BYTES = 1024;

/** Which scheme a stored hash uses. */
export type HashKind = "pbkdf2" | "bcrypt" | "apr1" | "unknown";

/** The scheme of a stored hash. */
export function hashKind(hash: string): HashKind {
  if (hash.startsWith("$pbkdf2-sha256$")) return "pbkdf2";
  if (/^\$2[abxy]\$/.test(hash)) return "bcrypt";
  if (hash.startsWith("$apr1$")) return "apr1";
  return "unknown";
}

/** True when `hash` is a form accounts accept (for imports). */
export function isAcceptedHash(hash: string): boolean {
  const kind = hashKind(hash);
  if (kind === "bcrypt") return isBcrypt(hash);
  if (kind === "apr1") return isApr1(hash);
  return kind === "pbkdf2";
}

/**
 * Verify `password` against any accepted hash. `rehash` is true when it matched a scheme we no
 * longer write (the caller then stores a PBKDF2 hash).
 */
export async function verifyAnyPassword(
  password: string,
  hash: string,
): Promise<{ ok: boolean; rehash: boolean }> {
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    return { ok: false, rehash: false };
  }
  const nfc = password.normalize("NFC");
  const first = await _verifyOne(nfc, hash);
  // A password set before passwords were normalised may be stored in another form.
  if (first.ok || nfc === password) return first;
  return await _verifyOne(password, hash);
}

async function _verifyOne(
  password: string,
  hash: string,
): Promise<{ ok: boolean; rehash: boolean }> {
  let ok = false;
  switch (hashKind(hash)) {
    case "pbkdf2":
      return { ok: await verifyPassword(password, hash), rehash: false };
    case "bcrypt":
      // In slices: other requests run between them (a cost-12 check is about 0.4 s of work).
      ok = await verifyBcryptAsync(password, hash);
      break;
    case "apr1":
      ok = verifyApr1(password, hash);
      break;
    default:
      ok = false;
  }
  return { ok, rehash: ok };
}

/**
 * Passwords every list of breached passwords starts with: refused whatever their length. (A
 * short list by design: the length rule and the lockout do the rest; operators who want more
 * put a longer `password_min_length`.)
 */
const COMMON = new Set([
  "password",
  "password1",
  "password12",
  "password123",
  "password1234",
  "passw0rd",
  "p@ssw0rd",
  "p@ssword",
  "12345678",
  "123456789",
  "1234567890",
  "0123456789",
  "87654321",
  "11111111",
  "00000000",
  "12341234",
  "12344321",
  "11223344",
  "qwertyui",
  "qwertyuiop",
  "qwerty123",
  "qwerty12",
  "1q2w3e4r",
  "1q2w3e4r5t",
  "1qaz2wsx",
  "zaq12wsx",
  "asdfghjk",
  "asdfghjkl",
  "zxcvbnm1",
  "iloveyou",
  "iloveyou1",
  "letmein1",
  "letmein!",
  "welcome1",
  "welcome123",
  "sunshine",
  "princess",
  "football",
  "baseball",
  "superman",
  "starwars",
  "trustno1",
  "whatever",
  "computer",
  "internet",
  "changeme",
  "changeme1",
  "admin123",
  "administrator",
  "abc12345",
  "abcd1234",
  "abcdefgh",
  "aaaaaaaa",
  "monkey123",
  "dragon123",
  "master123",
  "keypebble",
  "keypebble1",
]);

/** Invisible characters: zero-width spaces and joiners, the BOM, soft hyphen, word joiners. */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]/gu;

/**
 * Check a new password and return it as stored: NFC-normalised (so the same password typed on
 * another keyboard or system verifies), at least `minLength` characters (Unicode code points)
 * that are not invisible, at most {@link MAX_PASSWORD_BYTES} bytes, without control characters
 * (a NUL or a line break is never part of a password someone can type again), not only
 * whitespace, not one character repeated, and not one of the most common passwords.
 *
 * @throws {KeypebbleError} `invalid_request`
 */
export function checkNewPassword(input: unknown, minLength: number): string {
  if (typeof input !== "string") {
    throw new KeypebbleError("invalid_request", "The password must be a string");
  }
  const password = input.normalize("NFC");
  if (/\p{Cc}/u.test(password)) {
    throw new KeypebbleError(
      "invalid_request",
      "The password must not contain control characters",
    );
  }
  const visible = [...password.replace(INVISIBLE, "")];
  if (visible.length < minLength) {
    throw new KeypebbleError(
      "invalid_request",
      `The password must be at least ${minLength} characters long`,
    );
  }
  if (new TextEncoder().encode(password).length > MAX_PASSWORD_BYTES) {
    throw new KeypebbleError(
      "invalid_request",
      `The password must be at most ${MAX_PASSWORD_BYTES} bytes long`,
    );
  }
  const plain = visible.join("");
  if (plain.trim() === "" || new Set(visible).size === 1 || COMMON.has(plain.toLowerCase())) {
    throw new KeypebbleError(
      "invalid_request",
      "The password is too easy to guess; choose a longer or less common one",
    );
  }
  return password;
}

/** A new PBKDF2 hash; `iterations` lowered only by tests. */
export function hashNewPassword(password: string, iterations?: number): Promise<string> {
  return hashPassword(password, iterations === undefined ? {} : { iterations });
}
