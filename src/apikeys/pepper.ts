/**
 * The pepper: a secret file whose bytes key the HMAC-SHA-256 that API keys are stored under. A
 * stolen database without it cannot be used to test guesses offline. It is never the admin
 * credential and never logged.
 */

import { KeypebbleError } from "../errors.ts";
import { b64uDecode, b64uEncode } from "../jose/mod.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import { FileMissingError, type RuntimeIo } from "../runtime/mod.ts";
import type { Store } from "../store/mod.ts";

/** Shortest pepper accepted, in bytes (as for HS256 secrets). */
export const MIN_PEPPER_BYTES = 32;

/** Read the pepper; a missing or short one is refused with the file named. */
export async function readPepper(io: RuntimeIo, path: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await io.readTextFile(path);
  } catch (e) {
    if (e instanceof FileMissingError) {
      throw new KeypebbleError(
        "config_invalid",
        `store.pepper_path: "${path}" does not exist; run "keypebble store init" to create it`,
      );
    }
    throw new KeypebbleError(
      "config_invalid",
      `store.pepper_path: cannot read "${path}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const bytes = new TextEncoder().encode(text.trim());
  if (bytes.length < MIN_PEPPER_BYTES) {
    throw new KeypebbleError(
      "weak_key",
      `store.pepper_path: "${path}" holds ${bytes.length} bytes; at least ${MIN_PEPPER_BYTES} are required`,
    );
  }
  return bytes;
}

/** Create a new random pepper file (mode 0600); refuses to overwrite one. */
export async function createPepper(io: RuntimeIo, path: string): Promise<void> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  await io.writePrivateFile(path, b64uEncode(raw) + "\n");
}

/** The setting under which a store keeps its pepper's fingerprint. */
export const PEPPER_FINGERPRINT_SETTING = "pepper_fingerprint";

/**
 * Iterations of the fingerprint's PBKDF2. A pepper from `store init` is 256 random bits and
 * needs none; an operator's own (a long sentence, say) should not be testable offline at the
 * speed of one HMAC per guess by whoever copies the database.
 */
const FINGERPRINT_ITERATIONS = 100_000;

/**
 * A fingerprint of `pepper` to keep in the store: `pbkdf2-sha256$N$SALT$HASH` (random salt,
 * base64url). It tells a different pepper from the right one without revealing it.
 */
export async function pepperFingerprint(
  pepper: Uint8Array,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
  iterations: number = FINGERPRINT_ITERATIONS,
): Promise<string> {
  const hash = await _pbkdf2(pepper, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${b64uEncode(salt)}$${b64uEncode(hash)}`;
}

/** Whether `pepper` is the one `fingerprint` was made of (constant time). */
export async function pepperMatches(pepper: Uint8Array, fingerprint: string): Promise<boolean> {
  const m = /^pbkdf2-sha256\$(\d{1,7})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/.exec(
    fingerprint,
  );
  if (m === null) return false;
  const want = b64uDecode(m[3]);
  const got = await _pbkdf2(pepper, b64uDecode(m[2]), Number(m[1]));
  return timingSafeEqual(got, want);
}

async function _pbkdf2(pepper: Uint8Array, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey(
    "raw",
    pepper as Uint8Array<ArrayBuffer>,
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
      key,
      256,
    ),
  );
}

/** What {@link verifyPepper} found. */
export type PepperVerdict =
  /** The pepper matches the store's fingerprint. */
  | "match"
  /** The store had no fingerprint; the pepper's was recorded now (log it). */
  | "recorded"
  /** The store has no fingerprint and `record` was off (`check`): serve will record it. */
  | "unrecorded"
  /** No pepper file, and a fresh store (no fingerprint, no key): serve creates one. */
  | "create";

/**
 * Verify the pepper against the fingerprint the store recorded at `store init` (or on the first
 * start of a store that had none), so that a missing or different pepper stops `serve` and
 * `check` with a message saying which, instead of every API key answering 401.
 *
 * `pepper` is undefined when the file does not exist. With `record`, a store without a
 * fingerprint gets this pepper's. `serve` and `check` both call this (through
 * `openStoreState` in `src/apikeys/state.ts`); `store init`, `store import` and
 * `store restore` too.
 *
 * @throws {KeypebbleError} `config_invalid` naming `store.pepper_path`: missing while the store
 *   needs one, or not the pepper the store was initialised with
 */
export async function verifyPepper(
  store: Store,
  pepper: Uint8Array | undefined,
  options: { readonly path: string; readonly record: boolean },
): Promise<PepperVerdict> {
  const recorded = await store.users.setting(PEPPER_FINGERPRINT_SETTING);
  if (pepper === undefined) {
    if (recorded !== undefined) {
      throw new KeypebbleError(
        "config_invalid",
        `store.pepper_path: "${options.path}" is MISSING, but store ${store.source} was ` +
          "initialised with a pepper (its fingerprint is recorded in the store): restore the " +
          "pepper file from the backup taken with the database (a new pepper would make every " +
          "API key fail)",
      );
    }
    if ((await store.apiKeys.list()).length > 0) {
      throw new KeypebbleError(
        "config_invalid",
        `store.pepper_path: "${options.path}" is MISSING but store ${store.source} holds keys; ` +
          "restore the pepper file (a new one would invalidate every key)",
      );
    }
    return "create";
  }
  if (recorded === undefined) {
    if (!options.record) return "unrecorded";
    await store.users.setSetting(PEPPER_FINGERPRINT_SETTING, await pepperFingerprint(pepper));
    return "recorded";
  }
  if (!(await pepperMatches(pepper, recorded))) {
    throw new KeypebbleError(
      "config_invalid",
      `store.pepper_path: "${options.path}" is a DIFFERENT pepper from the one store ` +
        `${store.source} was initialised with (the fingerprints differ), so every API key ` +
        "would be refused: restore the right pepper file, or point store.url at the store " +
        "this pepper belongs to",
    );
  }
  return "match";
}
