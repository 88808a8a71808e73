/**
 * Account passwords: new hashes are PBKDF2-HMAC-SHA256 (`src/identity/password.ts`); imported
 * accounts may carry bcrypt (`$2a$`, `$2b$`, `$2y$`) or htpasswd `$apr1$` hashes, which are
 * verified here and replaced by PBKDF2 at the next successful login.
 */

import { KeypebbleError } from "../errors.ts";
import { hashPassword, verifyPassword } from "../identity/mod.ts";
import { isApr1, verifyApr1 } from "./apr1.ts";
import { isBcrypt, verifyBcrypt } from "./bcrypt.ts";

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
  let ok = false;
  switch (hashKind(hash)) {
    case "pbkdf2":
      return { ok: await verifyPassword(password, hash), rehash: false };
    case "bcrypt":
      ok = verifyBcrypt(password, hash);
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
 * Check a new password: a string of at least `minLength` characters (Unicode code points) and
 * at most {@link MAX_PASSWORD_BYTES} bytes.
 *
 * @throws {KeypebbleError} `invalid_request`
 */
export function checkNewPassword(password: unknown, minLength: number): string {
  if (typeof password !== "string") {
    throw new KeypebbleError("invalid_request", "The password must be a string");
  }
  if ([...password].length < minLength) {
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
  return password;
}

/** A new PBKDF2 hash; `iterations` lowered only by tests. */
export function hashNewPassword(password: string, iterations?: number): Promise<string> {
  return hashPassword(password, iterations === undefined ? {} : { iterations });
}
