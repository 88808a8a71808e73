/**
 * YAML text → validated, frozen {@link Config}. Pure: no file or environment access; the
 * caller passes the text, the file name (for messages) and the environment overrides.
 *
 * Every error is a `KeypebbleError("config_invalid")` whose message names the file, the field
 * path and the problem, e.g. `example.yaml: default_ttl_seconds: must be an integer, got "soon"`.
 */

import { parse as parseYaml } from "yaml";
import { KeypebbleError } from "../errors.ts";
import { type Alg, ALGS, isAlg } from "../jose/mod.ts";
import { parseSpiffeConfig, spiffeSection } from "./spiffe.ts";
import { readStoreSections, STORE_KEYS } from "./store.ts";
import { ACCOUNT_KEYS, readAccountSections } from "./accounts.ts";
import type { Config, KeySpec, KidMode, RateLimitSpec, RequireAuth } from "./types.ts";
import { readProfiles } from "./profiles.ts";
import { exceedsExpandedSize } from "./yaml_size.ts";

/** Keys read from the top level of a config. Anything else is reported as unknown. */
const KNOWN_KEYS = new Set([
  "issuer",
  "audience",
  "services",
  "default_ttl_seconds",
  "max_ttl_seconds",
  "refresh_ttl_seconds",
  "hs256_secret",
  "hs256_secret_path",
  "rs256_private_key_path",
  "rs256_private_key",
  "private_key_path",
  "algorithm",
  "kid",
  "key_id",
  "x5c_chain_path",
  "generate_missing_key",
  "keys",
  "static_claims",
  "allowed_custom_claims",
  "service",
  "policy_path",
  "spiffe",
  "trusted_proxies",
  "realm",
  "require_authentication",
  "rate_limit",
  "lockout",
  "limits",
  "log_level",
  "jwks_max_age_seconds",
  "watch",
  "profiles",
  "public_url",
  ...STORE_KEYS,
  ...ACCOUNT_KEYS,
]);

/** Registered claims that neither `static_claims` nor a request may set. */
export const SERVER_CLAIMS: readonly string[] = ["iss", "iat", "nbf", "exp", "jti"];

/** Environment overrides, applied after the file (CLI flags win over both). */
export interface ConfigEnv {
  readonly KEYPEBBLE_HOST?: string;
  readonly KEYPEBBLE_PORT?: string;
  readonly KEYPEBBLE_LOG_LEVEL?: string;
  readonly KEYPEBBLE_POLICY_PATH?: string;
  /** systemd's LoadCredential= directory, substituted for `${CREDENTIALS_DIRECTORY}` in paths. */
  readonly CREDENTIALS_DIRECTORY?: string;
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Environment overrides and path variables. */
  readonly env?: ConfigEnv;
  /** Directory that relative paths in the config are resolved against. */
  readonly baseDir?: string;
}

/**
 * Parse and validate a config file's text.
 *
 * @example
 * ```ts
 * const config = parseConfig('issuer: "https://kp.local"\nhs256_secret_path: secret', "kp.yaml");
 * ```
 */
export function parseConfig(
  text: string,
  source: string,
  options: ParseConfigOptions = {},
): Config {
  const r = new _Reader(source, options);
  let doc: unknown;
  try {
    doc = parseYaml(text, { merge: true, maxAliasCount: 100, prettyErrors: false });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new KeypebbleError("config_invalid", `${source}: not valid YAML: ${msg}`);
  }
  if (doc === null || doc === undefined) r.fail("", "is empty");
  if (exceedsExpandedSize(doc)) r.fail("", "expands (through YAML aliases) beyond the size limit");
  const top = r.object(doc, "");

  const issuer = r.nonEmptyString(top.issuer, "issuer", { required: true })!;
  const audience = r.nonEmptyString(top.audience, "audience");
  const services = top.services === undefined
    ? (audience === undefined ? [] : [audience])
    : r.stringList(top.services, "services");

  const defaultTtl = r.integer(top.default_ttl_seconds, "default_ttl_seconds", {
    min: 1,
    max: 31_536_000,
  }) ?? 3600;
  const maxTtl = r.integer(top.max_ttl_seconds, "max_ttl_seconds", { min: 1, max: 31_536_000 }) ??
    Math.max(86_400, defaultTtl);
  if (defaultTtl > maxTtl) {
    r.fail("default_ttl_seconds", `must not exceed max_ttl_seconds (${maxTtl})`);
  }
  const refreshTtl = r.integer(top.refresh_ttl_seconds, "refresh_ttl_seconds", {
    min: 60,
    max: 31_536_000,
  }) ?? 604_800;

  const keys = _readKeys(r, top);

  const staticClaims = top.static_claims === undefined
    ? {}
    : r.object(top.static_claims, "static_claims");
  for (const name of SERVER_CLAIMS) {
    if (name in staticClaims) {
      r.fail(`static_claims.${name}`, "is set by the server and cannot be configured");
    }
  }
  const allowedCustomClaims = top.allowed_custom_claims === undefined
    ? undefined
    : r.stringList(top.allowed_custom_claims, "allowed_custom_claims");

  const service = top.service === undefined ? {} : r.object(top.service, "service");
  const env = options.env ?? {};
  const host = env.KEYPEBBLE_HOST ??
    r.nonEmptyString(service.host, "service.host") ?? "127.0.0.1";
  // An empty host means "every interface" to Bun: never by accident (Deno refuses it too).
  if (host.trim() === "") r.fail("KEYPEBBLE_HOST", "must not be empty");
  const port = env.KEYPEBBLE_PORT !== undefined
    ? r.integer(_numberish(env.KEYPEBBLE_PORT), "KEYPEBBLE_PORT", { min: 0, max: 65535 })!
    : r.integer(service.port, "service.port", { min: 0, max: 65535 }) ?? 8080;

  const policyPath = env.KEYPEBBLE_POLICY_PATH ?? r.path(top.policy_path, "policy_path");
  const trustedProxies = top.trusted_proxies === undefined
    ? []
    : r.stringList(top.trusted_proxies, "trusted_proxies");
  const realm = r.nonEmptyString(top.realm, "realm") ?? "Keypebble";
  if (/["\\\r\n]/.test(realm)) r.fail("realm", "must not contain quotes, backslashes or newlines");

  const requireAuth = _readRequireAuth(r, top.require_authentication);

  const rl = top.rate_limit === undefined ? {} : r.object(top.rate_limit, "rate_limit");
  const perAddress = rl.per_address === undefined
    ? { requests: 600, windowSeconds: 60 }
    : _readRate(r, rl.per_address, "rate_limit.per_address");
  const perPrincipal = rl.per_principal === undefined
    ? { requests: 600, windowSeconds: 60 }
    : _readRate(r, rl.per_principal, "rate_limit.per_principal");
  r.onlyKeys(rl, "rate_limit", ["per_address", "per_principal"]);

  const lo = top.lockout === undefined ? {} : r.object(top.lockout, "lockout");
  r.onlyKeys(lo, "lockout", ["enabled", "max_failures", "window_seconds", "lock_seconds"]);
  const lockout = {
    enabled: r.boolean(lo.enabled, "lockout.enabled") ?? true,
    maxFailures: r.integer(lo.max_failures, "lockout.max_failures", { min: 1, max: 10_000 }) ?? 20,
    windowSeconds: r.integer(lo.window_seconds, "lockout.window_seconds", {
      min: 1,
      max: 86_400,
    }) ?? 300,
    lockSeconds: r.integer(lo.lock_seconds, "lockout.lock_seconds", { min: 1, max: 86_400 }) ??
      900,
  };

  const li = top.limits === undefined ? {} : r.object(top.limits, "limits");
  r.onlyKeys(li, "limits", ["max_body_bytes", "max_scopes", "max_header_bytes", "max_json_depth"]);
  const limits = {
    maxBodyBytes: r.integer(li.max_body_bytes, "limits.max_body_bytes", {
      min: 256,
      max: 10_485_760,
    }) ?? 65_536,
    maxScopes: r.integer(li.max_scopes, "limits.max_scopes", { min: 1, max: 1000 }) ?? 32,
    maxHeaderBytes: r.integer(li.max_header_bytes, "limits.max_header_bytes", {
      min: 256,
      max: 65_536,
    }) ?? 8192,
    maxJsonDepth: r.integer(li.max_json_depth, "limits.max_json_depth", { min: 1, max: 64 }) ??
      8,
  };

  const logLevelRaw = env.KEYPEBBLE_LOG_LEVEL ?? r.nonEmptyString(top.log_level, "log_level");
  const logLevel = logLevelRaw ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    r.fail("log_level", `must be one of "debug", "info", "warn", "error", got "${logLevel}"`);
  }

  const jwksMaxAge = r.integer(top.jwks_max_age_seconds, "jwks_max_age_seconds", {
    min: 0,
    max: 86_400,
  }) ?? 300;
  const watch = r.boolean(top.watch, "watch") ?? false;

  const unknownKeys = Object.keys(top).filter((k) => !KNOWN_KEYS.has(k));
  const { profiles, publicUrl } = readProfiles(top, {
    source,
    ...(audience === undefined ? {} : { audience }),
    services,
    servicesExplicit: top.services !== undefined,
    ...(policyPath === undefined ? {} : { policyPath }),
  });

  const config: Config = {
    source,
    issuer,
    ...(audience === undefined ? {} : { audience }),
    services,
    defaultTtlSeconds: defaultTtl,
    maxTtlSeconds: maxTtl,
    refreshTtlSeconds: refreshTtl,
    keys,
    staticClaims,
    ...(allowedCustomClaims === undefined ? {} : { allowedCustomClaims }),
    host,
    port,
    ...(policyPath === undefined ? {} : { policyPath }),
    trustedProxies,
    realm,
    requireAuth,
    rateLimit: { perAddress, perPrincipal },
    lockout,
    limits,
    logLevel: logLevel as Config["logLevel"],
    jwksMaxAgeSeconds: jwksMaxAge,
    watch,
    unknownKeys,
    profiles,
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...spiffeSection(parseSpiffeConfig(top.spiffe, source, options.baseDir)),
    ...readStoreSections(top, source, options.baseDir),
    ...readAccountSections(top, source, options.baseDir),
  };
  return _deepFreeze(config);
}

function _readKeys(r: _Reader, top: Record<string, unknown>): KeySpec[] {
  const single = [
    "hs256_secret",
    "hs256_secret_path",
    "rs256_private_key_path",
    "rs256_private_key",
  ]
    .filter((k) => top[k] !== undefined);
  const algorithm = top.algorithm === undefined ? undefined : r.alg(top.algorithm, "algorithm");
  const generate = r.boolean(top.generate_missing_key, "generate_missing_key") ?? false;

  if (top.keys !== undefined) {
    if (single.length > 0) {
      r.fail("keys", `cannot be combined with "${single[0]}": list every key under "keys"`);
    }
    if (!Array.isArray(top.keys) || top.keys.length === 0) {
      r.fail("keys", "must be a non-empty list");
    }
    const list = top.keys as unknown[];
    const specs = list.map((raw, i) => _readKeyEntry(r, raw, `keys[${i}]`, generate && i === 0));
    // Beside other keys, an HMAC key needs a name: asymmetric keys get their thumbprint, but an
    // HMAC secret has no public form to derive one from, and verify picks keys by kid.
    for (const s of specs) {
      if (list.length > 1 && s.kind === "hmac" && s.kid.mode !== "literal") {
        r.fail(`${s.field}.kid`, "is required for an HMAC key listed with other keys");
      }
    }
    _checkUniqueKids(r, specs);
    return specs;
  }

  if (single.length === 0) {
    r.fail(
      "",
      'needs a signing key: set "rs256_private_key_path", "hs256_secret_path", "hs256_secret" or "keys"',
    );
  }
  if (single.length > 1) {
    // The two RSA spellings with the same value are one key, not two.
    const rsa = single.filter((k) => k.startsWith("rs256"));
    if (
      !(single.length === 2 && rsa.length === 2 &&
        top.rs256_private_key === top.rs256_private_key_path)
    ) {
      r.fail(single[1], `conflicts with "${single[0]}": configure exactly one signing key`);
    }
  }
  const kid = _readKid(r, top.kid ?? top.key_id, top.kid !== undefined ? "kid" : "key_id");
  const field = single[0];
  if (field.startsWith("hs256")) {
    if (algorithm !== undefined && algorithm !== "HS256") {
      r.fail("algorithm", `is "${algorithm}" but the key is an HMAC secret (HS256)`);
    }
    _refuseDerivedKidForHmac(r, kid, top.kid !== undefined ? "kid" : "key_id");
    if (top.x5c_chain_path !== undefined) r.fail("x5c_chain_path", "needs an asymmetric key");
    if (field === "hs256_secret") {
      const secret = r.nonEmptyString(top.hs256_secret, "hs256_secret")!;
      return [{ kind: "hmac", secret, kid, field }];
    }
    return [{ kind: "hmac", secretPath: r.path(top.hs256_secret_path, field)!, kid, field }];
  }
  const path = r.path(top[field], field)!;
  if (algorithm === "HS256") {
    r.fail("algorithm", `is "HS256" but "${field}" is an asymmetric key`);
  }
  const x5cChainPath = r.path(top.x5c_chain_path, "x5c_chain_path");
  return [{
    kind: "pem",
    path,
    ...(algorithm === undefined ? { alg: "RS256" as const } : { alg: algorithm }),
    kid,
    ...(x5cChainPath === undefined ? {} : { x5cChainPath }),
    generateIfMissing: generate,
    field,
  }];
}

function _readKeyEntry(r: _Reader, raw: unknown, field: string, generate: boolean): KeySpec {
  const o = r.object(raw, field);
  r.onlyKeys(o, field, ["path", "secret_path", "secret", "alg", "kid", "x5c_chain_path"]);
  const alg = o.alg === undefined ? undefined : r.alg(o.alg, `${field}.alg`);
  const kid = _readKid(r, o.kid, `${field}.kid`);
  const sources = ["path", "secret_path", "secret"].filter((k) => o[k] !== undefined);
  if (sources.length !== 1) {
    r.fail(field, 'needs exactly one of "path", "secret_path" or "secret"');
  }
  if (sources[0] === "path") {
    if (alg === "HS256") r.fail(`${field}.alg`, 'is "HS256" but "path" names a PEM key');
    const x5cChainPath = r.path(o.x5c_chain_path, `${field}.x5c_chain_path`);
    return {
      kind: "pem",
      path: r.path(o.path, `${field}.path`)!,
      ...(alg === undefined ? {} : { alg }),
      kid,
      ...(x5cChainPath === undefined ? {} : { x5cChainPath }),
      generateIfMissing: generate,
      field,
    };
  }
  if (alg !== undefined && alg !== "HS256") {
    r.fail(`${field}.alg`, `is "${alg}" but the key is an HMAC secret (HS256)`);
  }
  if (o.x5c_chain_path !== undefined) r.fail(`${field}.x5c_chain_path`, "needs an asymmetric key");
  _refuseDerivedKidForHmac(r, kid, `${field}.kid`);
  if (sources[0] === "secret") {
    return { kind: "hmac", secret: r.nonEmptyString(o.secret, `${field}.secret`)!, kid, field };
  }
  return { kind: "hmac", secretPath: r.path(o.secret_path, `${field}.secret_path`)!, kid, field };
}

function _refuseDerivedKidForHmac(r: _Reader, kid: KidMode, field: string): void {
  if (kid.mode === "thumbprint" || kid.mode === "libtrust") {
    r.fail(field, `"${kid.mode}" needs an asymmetric key; give an HMAC key a literal kid`);
  }
}

function _readKid(r: _Reader, raw: unknown, field: string): KidMode {
  if (raw === undefined || raw === null) return { mode: "none" };
  const s = r.nonEmptyString(raw, field)!;
  if (s === "thumbprint") return { mode: "thumbprint" };
  if (s === "libtrust") return { mode: "libtrust" };
  if (s.length > 128 || !/^[\x21-\x7e]+$/.test(s)) {
    r.fail(field, "must be 1 to 128 printable ASCII characters without spaces");
  }
  return { mode: "literal", value: s };
}

function _checkUniqueKids(r: _Reader, specs: KeySpec[]): void {
  const seen = new Map<string, string>();
  for (const s of specs) {
    if (s.kid.mode !== "literal") continue;
    const prev = seen.get(s.kid.value);
    if (prev !== undefined) {
      r.fail(`${s.field}.kid`, `"${s.kid.value}" is already used by ${prev}`);
    }
    seen.set(s.kid.value, s.field);
  }
}

function _readRequireAuth(r: _Reader, raw: unknown): RequireAuth {
  if (raw === undefined) return { auth: false, command: false, kubernetes: false };
  if (typeof raw === "boolean") return { auth: raw, command: raw, kubernetes: raw };
  const o = r.object(raw, "require_authentication");
  r.onlyKeys(o, "require_authentication", ["auth", "command", "kubernetes"]);
  return {
    auth: r.boolean(o.auth, "require_authentication.auth") ?? false,
    command: r.boolean(o.command, "require_authentication.command") ?? false,
    kubernetes: r.boolean(o.kubernetes, "require_authentication.kubernetes") ?? false,
  };
}

function _readRate(r: _Reader, raw: unknown, field: string): RateLimitSpec | undefined {
  if (raw === false || raw === null) return undefined;
  const o = r.object(raw, field);
  r.onlyKeys(o, field, ["requests", "window_seconds"]);
  return {
    requests: r.integer(o.requests, `${field}.requests`, {
      min: 1,
      max: 10_000_000,
      required: true,
    })!,
    windowSeconds: r.integer(o.window_seconds, `${field}.window_seconds`, {
      min: 1,
      max: 86_400,
      required: true,
    })!,
  };
}

function _numberish(s: string): unknown {
  return /^\d+$/.test(s) ? Number(s) : s;
}

function _deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) _deepFreeze(x);
  }
  return v;
}

function _describe(v: unknown): string {
  if (typeof v === "string") return `"${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "a mapping" : String(v);
}

/** The kind of a value without the value itself, for fields that hold secrets. */
function _typeName(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  return typeof v === "object" ? "a mapping" : `a ${typeof v}`;
}

/** Narrowing helpers that know the file and build `file: field: problem` messages. */
class _Reader {
  constructor(readonly source: string, readonly options: ParseConfigOptions) {}

  fail(field: string, problem: string): never {
    const where = field === "" ? this.source : `${this.source}: ${field}`;
    throw new KeypebbleError("config_invalid", `${where}: ${problem}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.fail(field, `must be a mapping, got ${_describe(v)}`);
    }
    return v as Record<string, unknown>;
  }

  onlyKeys(o: Record<string, unknown>, field: string, allowed: string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        this.fail(`${field}.${k}`, `is not a known setting (known: ${allowed.join(", ")})`);
      }
    }
  }

  nonEmptyString(v: unknown, field: string, opts: { required?: boolean } = {}): string | undefined {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(field, "is required");
      return undefined;
    }
    if (typeof v !== "string") {
      // A secret written unquoted (digits, a YAML boolean) must not be echoed into a log
      const got = /secret/i.test(field) ? _typeName(v) : _describe(v);
      this.fail(field, `must be a string, got ${got}`);
    }
    if (v.trim() === "") this.fail(field, "must not be empty");
    return v;
  }

  path(v: unknown, field: string): string | undefined {
    const s = this.nonEmptyString(v, field);
    if (s === undefined) return undefined;
    const creds = this.options.env?.CREDENTIALS_DIRECTORY;
    let out = s;
    if (out.includes("${CREDENTIALS_DIRECTORY}")) {
      if (creds === undefined) {
        this.fail(field, "uses ${CREDENTIALS_DIRECTORY} but that variable is not set");
      }
      out = out.replaceAll("${CREDENTIALS_DIRECTORY}", creds);
    }
    const base = this.options.baseDir;
    if (base !== undefined && !out.startsWith("/")) out = `${base.replace(/\/$/, "")}/${out}`;
    return out;
  }

  integer(
    v: unknown,
    field: string,
    opts: { min: number; max: number; required?: boolean },
  ): number | undefined {
    if (v === undefined || v === null) {
      if (opts.required) this.fail(field, "is required");
      return undefined;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.fail(field, `must be an integer, got ${_describe(v)}`);
    }
    if (v < opts.min || v > opts.max) {
      this.fail(field, `must be between ${opts.min} and ${opts.max}, got ${v}`);
    }
    return v;
  }

  boolean(v: unknown, field: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(field, `must be true or false, got ${_describe(v)}`);
    return v;
  }

  stringList(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(field, `must be a list of strings, got ${_describe(v)}`);
    return v.map((x, i) => this.nonEmptyString(x, `${field}[${i}]`, { required: true })!);
  }

  alg(v: unknown, field: string): Alg {
    if (!isAlg(v)) {
      this.fail(
        field,
        `must be one of ${ALGS.map((a) => `"${a}"`).join(", ")}, got ${_describe(v)}`,
      );
    }
    return v;
  }
}
