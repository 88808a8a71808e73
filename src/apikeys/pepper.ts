/**
 * The pepper: a secret file whose bytes key the HMAC-SHA-256 that API keys are stored under. A
 * stolen database without it cannot be used to test guesses offline. It is never the admin
 * credential and never logged.
 */

import { KeypebbleError } from "../errors.ts";
import { b64uEncode } from "../jose/mod.ts";
import { FileMissingError, type RuntimeIo } from "../runtime/mod.ts";

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
