/**
 * The `spiffe` config section:
 *
 * ```yaml
 * spiffe:
 *   trust_domain: edge.example     # required
 *   root: /var/lib/keypebble/spiffe # optional: a spiffile root this server publishes
 *   key_path: spiffe-issuer.pem     # optional: the central issuer's P-256 key (PKCS#8)
 *   refresh_hint_seconds: 300       # optional: spiffe_refresh_hint and the bundles' max-age
 * ```
 *
 * Without `root`, the issuer key is `key_path` (made, 0600, when missing) or, without either, a
 * new key for each start; the spiffile view then holds the centrally issued IDs only.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { SectionReader } from "./where.ts";

/** The validated `spiffe` section. */
export interface SpiffeConfig {
  readonly trustDomain: string;
  /** Absolute, or relative to the config file's directory. */
  readonly root?: string;
  /** The central issuer's key; default `ROOT/issuer/key.pem` when a root is set. */
  readonly keyPath?: string;
  readonly refreshHintSeconds: number;
}

const KEYS = ["trust_domain", "root", "key_path", "refresh_hint_seconds"];

/** Parse the `spiffe` section; `undefined` when it is absent. */
export function parseSpiffeConfig(
  value: unknown,
  reader: SectionReader,
): SpiffeConfig | undefined {
  const fail = (field: string, problem: string): KeypebbleError =>
    new KeypebbleError("config_invalid", `${reader.where(`spiffe${field}`)}: ${problem}`);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw fail("", "must be a mapping with trust_domain (and optionally root)");
  }
  const s = value as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!KEYS.includes(k)) throw fail(`.${k}`, "is not a known setting");
  }
  const td = s.trust_domain;
  if (typeof td !== "string" || !/^[a-z0-9._-]{1,255}$/.test(td)) {
    throw fail(
      ".trust_domain",
      "is required: 1 to 255 lower-case letters, digits, '.', '-' or '_' (SPIFFE-ID §2.1)",
    );
  }
  const hint = s.refresh_hint_seconds ?? 300;
  if (!Number.isSafeInteger(hint) || (hint as number) < 1 || (hint as number) > 86_400) {
    throw fail(".refresh_hint_seconds", "must be an integer from 1 to 86400");
  }
  const root = reader.path(s.root, "spiffe.root");
  const keyPath = reader.path(s.key_path, "spiffe.key_path");
  return Object.freeze({
    trustDomain: td,
    ...(root === undefined ? {} : { root }),
    ...(keyPath === undefined ? {} : { keyPath }),
    refreshHintSeconds: hint as number,
  });
}

/** `{spiffe}` when set, else `{}`: spread into the config object. */
export function spiffeSection(s: SpiffeConfig | undefined): { spiffe?: SpiffeConfig } {
  return s === undefined ? {} : { spiffe: s };
}
