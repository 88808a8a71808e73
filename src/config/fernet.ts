/**
 * The `fernet` config section: where the Fernet key repository is and how long its tokens are
 * accepted.
 *
 * ```yaml
 * fernet:
 *   keys_dir: /etc/keypebble/fernet-keys   # made by "keypebble fernet setup --dir DIR"
 *   ttl_seconds: 3600                       # optional; tokens older than this are refused
 * ```
 *
 * A kind with `profiles.<kind>.format: fernet` and `keypebble issue --format fernet` need it.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";

/** The validated `fernet` section. */
export interface FernetConfig {
  /** The repository directory (absolute, or resolved against the config file's directory). */
  readonly keysDir: string;
  /** Lifetime of a Fernet token, from its embedded timestamp. */
  readonly ttlSeconds: number;
}

const KEYS = ["keys_dir", "ttl_seconds"];

/** Parse the `fernet` section; `undefined` when absent. `where(field)` names a field. */
export function parseFernetConfig(
  value: unknown,
  where: (field: string) => string,
  resolvePath: (path: string) => string,
): FernetConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const fail = (field: string, problem: string): never => {
    throw new KeypebbleError("config_invalid", `${where(field)}: ${problem}`);
  };
  if (typeof value !== "object" || Array.isArray(value)) {
    fail("fernet", "must be a mapping with keys_dir (and optionally ttl_seconds)");
  }
  const s = value as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!KEYS.includes(k)) {
      fail(`fernet.${k}`, `is not a known setting (known: ${KEYS.join(", ")})`);
    }
  }
  const dir = s.keys_dir;
  if (typeof dir !== "string" || dir.trim() === "") {
    fail("fernet.keys_dir", 'is required: the directory "keypebble fernet setup --dir" made');
  }
  const ttl = s.ttl_seconds ?? 3600;
  if (!Number.isSafeInteger(ttl) || (ttl as number) < 1 || (ttl as number) > 31_536_000) {
    fail("fernet.ttl_seconds", "must be an integer from 1 to 31536000");
  }
  return Object.freeze({ keysDir: resolvePath(dir as string), ttlSeconds: ttl as number });
}
