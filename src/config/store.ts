/**
 * The `store` and `shared_limits` sections (issue 12): where state lives, the pepper that API
 * key hashes are keyed with, how long key checks are cached, and the Redis that a fleet shares
 * its counters through.
 *
 * ```yaml
 * store:
 *   url: "sqlite:keypebble.db"        # relative to the config file; or postgres://…
 *   pepper_path: keypebble.pepper     # ≥ 32 bytes; created by `keypebble store init`
 *   cache_seconds: 5                  # key-check cache lifetime (1–10): revocation delay
 *   key_prefix: kp_live_              # prefix of new keys
 *   accepted_prefixes: [kg_live_]     # other prefixes accepted (migrated keyguard keys)
 *   token_ttl_seconds: 900            # lifetime of a JWT from POST /oauth2/token
 *   busy_timeout_ms: 5000             # longest wait for a lock another process holds; then 503
 *   keyguard_secret_key_path: kg.secret  # keyguard's secret_key, for keys imported from it
 *   default_rate_limit_per_minute: 60 # a new key's limit when none is given (null: none)
 *   default_scopes: [read]            # a new key's scopes when none are given
 *   audit_retention_days: 90          # audit events older than this are deleted (0: kept)
 *   audit_tokens: true                # token.issued events stored too (false: the log only)
 * shared_limits:
 *   redis_url: "redis://127.0.0.1:6379/0"
 * ```
 */

import { KeypebbleError } from "../errors.ts";
import type { SectionReader } from "./where.ts";

/** The validated `store` section. */
export interface StoreConfig {
  /** `sqlite:/absolute/path` or `postgres://…` (SQLite paths resolved against the config). */
  readonly url: string;
  readonly pepperPath: string;
  readonly cacheSeconds: number;
  readonly keyPrefix: string;
  /** Every prefix a presented key may carry (the key prefix first). */
  readonly acceptedPrefixes: readonly string[];
  readonly tokenTtlSeconds: number;
  /**
   * The longest a store query waits for a lock another connection holds, in milliseconds
   * (SQLite: retried on a timer, never blocking other requests; PostgreSQL: `lock_timeout`).
   * Default 5000.
   */
  readonly busyTimeoutMs?: number;
  /**
   * keyguard's `secret_key` file (issue 22): keys imported from keyguard are found by keyguard's
   * hash with it until each is first presented. Read once at start, never logged.
   */
  readonly keyguardSecretKeyPath?: string;
  /**
   * The per-minute limit of a key created without one (`POST /admin/keys`, `keypebble key
   * create`); null: no limit. Default {@link KEY_DEFAULTS} (keyguard's 60).
   */
  readonly defaultRateLimitPerMinute?: number | null;
  /** The scopes of a key created without any; default {@link KEY_DEFAULTS} (keyguard's read). */
  readonly defaultScopes?: readonly string[];
  /**
   * Days the store keeps audit events (src/audit/): older ones are deleted in the background,
   * hourly. 0 keeps them for ever. Default {@link DEFAULT_AUDIT_RETENTION_DAYS}.
   */
  readonly auditRetentionDays?: number;
  /**
   * Whether `token.issued` events go to the store as well as to the log stream (default true).
   * False keeps them in the log stream only, for sites that mint too many tokens to keep a row
   * each (docs/operations.md "Audit trail"); changes are stored either way.
   */
  readonly auditTokens?: boolean;
}

/** Default of `store.audit_retention_days`. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

/** keyguard's defaults for a new key, which Keypebble's are (issue 22). */
export const KEY_DEFAULTS: {
  readonly rateLimitPerMinute: number;
  readonly scopes: readonly string[];
} = Object.freeze({ rateLimitPerMinute: 60, scopes: Object.freeze(["read"]) });

/** Scopes `store.default_scopes` may not hold. */
const RESERVED_SCOPES: readonly string[] = ["admin", "introspect", "limits.report"];

/** The validated `shared_limits` section. */
export interface SharedLimitsConfig {
  readonly redisUrl: string;
}

/** Default lifetime of a cached key check, in seconds (and the longest a revocation waits). */
export const DEFAULT_CACHE_SECONDS = 5;

const PREFIX = /^[a-z][a-z0-9]{0,15}_(?:[a-z0-9]{1,16}_)?$/;

/**
 * Read the sections from the top-level config mapping. Returns the fields to spread into the
 * `Config` (nothing when the sections are absent). `where` names a field in messages (the
 * `KEYPEBBLE_*` variable that set it, when one did).
 */
export function readStoreSections(
  top: Record<string, unknown>,
  reader: SectionReader,
): { store?: StoreConfig; sharedLimits?: SharedLimitsConfig } {
  const fail = (field: string, problem: string): never => {
    throw new KeypebbleError("config_invalid", `${reader.where(field)}: ${problem}`);
  };
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.trim() === "") fail(field, "must be a non-empty string");
    return v as string;
  };
  const mapping = (v: unknown, field: string, keys: string[]): Record<string, unknown> => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) fail(field, "must be a mapping");
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        fail(`${field}.${k}`, `is not a known setting (known: ${keys.join(", ")})`);
      }
    }
    return o;
  };
  const bool = (v: unknown, field: string): boolean => {
    if (typeof v !== "boolean") fail(field, "must be true or false");
    return v as boolean;
  };
  const int = (v: unknown, field: string, min: number, max: number): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      fail(field, `must be an integer between ${min} and ${max}`);
    }
    return v as number;
  };
  const out: { store?: StoreConfig; sharedLimits?: SharedLimitsConfig } = {};
  if (top.store !== undefined) {
    const s = mapping(top.store, "store", [
      "url",
      "pepper_path",
      "cache_seconds",
      "key_prefix",
      "accepted_prefixes",
      "token_ttl_seconds",
      "busy_timeout_ms",
      "keyguard_secret_key_path",
      "default_rate_limit_per_minute",
      "default_scopes",
      "audit_retention_days",
      "audit_tokens",
    ]);
    let url = str(s.url, "store.url") ?? "sqlite:keypebble.db";
    if (url.startsWith("sqlite:")) {
      const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
      if (path === "") fail("store.url", 'needs a file name after "sqlite:"');
      url = `sqlite:${path === ":memory:" ? path : reader.path(path, "store.url")}`;
    } else if (!/^postgres(ql)?:\/\/[^\s]+$/.test(url)) {
      fail("store.url", 'must start with "sqlite:" or "postgres://"');
    }
    const keyPrefix = str(s.key_prefix, "store.key_prefix") ?? "kp_live_";
    if (!PREFIX.test(keyPrefix)) {
      fail("store.key_prefix", 'must look like "kp_live_" (lower case letters, digits, "_")');
    }
    let accepted: string[] = [];
    if (s.accepted_prefixes !== undefined) {
      if (!Array.isArray(s.accepted_prefixes)) {
        fail("store.accepted_prefixes", "must be a list of prefixes");
      }
      accepted = (s.accepted_prefixes as unknown[]).map((p, i) => {
        const v = str(p, `store.accepted_prefixes[${i}]`)!;
        if (!PREFIX.test(v)) fail(`store.accepted_prefixes[${i}]`, 'must look like "kg_live_"');
        return v;
      });
    }
    const busy = int(s.busy_timeout_ms, "store.busy_timeout_ms", 0, 60_000);
    const retention = int(s.audit_retention_days, "store.audit_retention_days", 0, 36_500);
    out.store = {
      url,
      pepperPath: reader.path(s.pepper_path ?? "keypebble.pepper", "store.pepper_path")!,
      cacheSeconds: int(s.cache_seconds, "store.cache_seconds", 1, 10) ?? DEFAULT_CACHE_SECONDS,
      keyPrefix,
      acceptedPrefixes: [keyPrefix, ...accepted.filter((p) => p !== keyPrefix)],
      tokenTtlSeconds: int(s.token_ttl_seconds, "store.token_ttl_seconds", 60, 86_400) ?? 900,
      ...(busy === undefined ? {} : { busyTimeoutMs: busy }),
      ...(retention === undefined ? {} : { auditRetentionDays: retention }),
      ...(s.audit_tokens === undefined
        ? {}
        : { auditTokens: bool(s.audit_tokens, "store.audit_tokens") }),
    };
    // null (or `none`) says "no limit"; absent is keyguard's default.
    const rate = s.default_rate_limit_per_minute;
    const defaultRateLimitPerMinute = rate === undefined
      ? KEY_DEFAULTS.rateLimitPerMinute
      : rate === null || rate === "none"
      ? null
      : int(rate, "store.default_rate_limit_per_minute", 1, 1_000_000_000)!;
    let defaultScopes: readonly string[] = KEY_DEFAULTS.scopes;
    if (s.default_scopes !== undefined) {
      if (
        !Array.isArray(s.default_scopes) ||
        s.default_scopes.some((x) => typeof x !== "string" || !/^[\x21-\x7e]{1,128}$/.test(x))
      ) {
        fail(
          "store.default_scopes",
          "must be a list of scopes (printable characters without spaces)",
        );
      }
      // Scopes that make a key more than a key are granted on purpose, never by default (the
      // admin, introspection and route-limit scopes of src/trust/capabilities.ts).
      const reserved = (s.default_scopes as string[]).find((x) => RESERVED_SCOPES.includes(x));
      if (reserved !== undefined) {
        fail("store.default_scopes", `must not grant "${reserved}" to every new key`);
      }
      defaultScopes = s.default_scopes as string[];
    }
    out.store = { ...out.store, defaultRateLimitPerMinute, defaultScopes };
    const kg = reader.path(s.keyguard_secret_key_path, "store.keyguard_secret_key_path");
    if (kg !== undefined) out.store = { ...out.store, keyguardSecretKeyPath: kg };
  }
  if (top.shared_limits !== undefined) {
    const l = mapping(top.shared_limits, "shared_limits", ["redis_url"]);
    const redisUrl = str(l.redis_url, "shared_limits.redis_url");
    if (redisUrl === undefined) fail("shared_limits.redis_url", "is required");
    if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl!)) {
      fail("shared_limits.redis_url", 'must start with "redis://"');
    }
    out.sharedLimits = { redisUrl: redisUrl! };
  }
  return out;
}

/**
 * A store or Redis URL safe to print: the user-info (which may hold a password) becomes `***`,
 * and so does the value of any query parameter naming a password, secret, token or key (libpq
 * reads `?password=` and `?sslpassword=`, and percent-decodes parameter names, so
 * `?%70assword=` is one too). The user-info ends at the last `@` before the query: a password
 * may hold an unencoded `@`, `:` or `/`. SQLite URLs hold a path only and are returned as they
 * are.
 *
 * @example
 * ```ts
 * redactUrl("postgres://kp:s3cret@db/kp?sslmode=require"); // "postgres://***@db/kp?sslmode=require"
 * ```
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (scheme === null) return url;
  let rest = url.slice(scheme[0].length);
  // The query starts at the first "?" or "#" that follows the user-info; a "?" inside an
  // unencoded password comes before the last "@", so look for "@" first.
  const firstQuery = rest.search(/[?#]/);
  const lastAt = rest.lastIndexOf("@");
  const queryEquals = firstQuery === -1 ? -1 : rest.indexOf("=", firstQuery);
  // An "@" inside a query value (after a "=") is not user-info.
  if (lastAt !== -1 && (queryEquals === -1 || lastAt < queryEquals)) {
    rest = `***${rest.slice(lastAt)}`;
  }
  const q = rest.search(/[?#]/);
  if (q === -1) return scheme[0] + rest;
  const query = rest.slice(q).replace(
    /([?&#])([^=&#]*)=([^&#]*)/g,
    (whole, sep: string, name: string) => _secretName(name) ? `${sep}${name}=***` : whole,
  );
  return scheme[0] + rest.slice(0, q) + query;
}

function _secretName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, " "));
  } catch { /* a malformed escape: test the raw text */ }
  return /pass|secret|token|key/i.test(decoded) || /pass|secret|token|key/i.test(name);
}
