/**
 * keyguard's `secret_key`, read once at start from `store.keyguard_secret_key_path` (or given to
 * `keypebble import keyguard --secret-key-file`). keyguard hashed every key as SHA-256 of the key
 * followed by this string, so keys imported from keyguard are found with it until each is first
 * presented here. It is keyguard's secret, not ours: whatever its length it is taken as it is
 * (keyguard accepted any), and it is never logged.
 */

import { KeypebbleError } from "../errors.ts";
import { FileMissingError, type RuntimeIo } from "../runtime/mod.ts";

/**
 * Read keyguard's secret key: the file's text as UTF-8, less one trailing line break (what `echo`
 * or an editor adds); every other character counts, as it did in keyguard's `SECRET_KEY`.
 *
 * @throws {KeypebbleError} `config_invalid` naming `field` and the file when it is missing,
 *   unreadable or empty
 */
export async function readKeyguardSecret(
  io: RuntimeIo,
  path: string,
  field = "store.keyguard_secret_key_path",
): Promise<Uint8Array> {
  let text: string;
  try {
    text = await io.readTextFile(path);
  } catch (e) {
    throw new KeypebbleError(
      "config_invalid",
      e instanceof FileMissingError
        ? `${field}: "${path}" does not exist`
        : `${field}: cannot read "${path}": ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new KeypebbleError("config_invalid", `${field}: "${path}" is empty`);
  return new TextEncoder().encode(secret);
}
