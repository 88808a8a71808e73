/**
 * YAML text → validated, frozen {@link Config}. Pure: no file or environment access; the
 * caller passes the text, the file name (for messages) and the environment overrides.
 *
 * Every error is a `KeypebbleError("config_invalid")` whose message names the file, the field
 * path and the problem, e.g. `example.yaml: default_ttl_seconds: must be an integer, got "soon"`.
 */

import { parse as parseYaml, YAMLParseError } from "yaml";
import { KeypebbleError } from "../errors.ts";
import { type Alg, ALGS, isAlg, isJweAlg, isJweEnc, type JweEnc } from "../jose/mod.ts";
import { applyEnvOverrides, envName, envSourceOf } from "./env.ts";
import { closest, CONFIG_SHAPE, findUnknownKeys, PYTHON_COMPAT_KEYS } from "./schema.ts";
import { parseSpiffeConfig, spiffeSection } from "./spiffe.ts";
import { readStoreSections } from "./store.ts";
import { readAccountSections } from "./accounts.ts";
import { parseFernetConfig } from "./fernet.ts";
import type {
  AnonymousKind,
  CompatNote,
  Config,
  ConfigWarning,
  EncKeySpec,
  KeySpec,
  KidMode,
  RateLimitSpec,
  RequireAuth,
  RouteLimit,
} from "./types.ts";
import { readProfiles } from "./profiles.ts";
import { exceedsExpandedSize } from "./yaml_size.ts";

/** Keys of the top level of a config: the shape table's (src/config/schema.ts), the one list. */
const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(CONFIG_SHAPE));

/** Registered claims that neither `static_claims` nor a request may set. */
export const SERVER_CLAIMS: readonly string[] = ["iss", "iat", "nbf", "exp", "jti"];

/**
 * Environment seen by the config: `KEYPEBBLE_*` overrides (see `env.ts`; CLI flags win over
 * both) and `CREDENTIALS_DIRECTORY`, systemd's LoadCredential= directory, substituted for
 * `${CREDENTIALS_DIRECTORY}` in paths.
 */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Environment overrides and path variables, as a record. */
  readonly env?: ConfigEnv;
  /** Reads one variable (used besides `env`, e.g. the process environment). */
  readonly readEnv?: (name: string) => string | undefined;
  /** More variable names to try (e.g. every `KEYPEBBLE_*` name the process can list). */
  readonly envNames?: readonly string[];
  /** Directory that relative paths in the config are resolved against. */
  readonly baseDir?: string;
  /**
   * What to do about `${CREDENTIALS_DIRECTORY}` when that variable is unset: `"error"` (serve),
   * or a directory to use instead (`check` and `jwks --credentials-dir`).
   */
  readonly credentialsDir?: string;
  /** The command line's `--policy` (taken as given; it wins over the file and environment). */
  readonly policyPath?: string;
  /** A policy file that exists and is used when none is named (`/etc/keypebble/policy.yaml`). */
  readonly fallbackPolicyPath?: string;
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
    doc = parseYaml(text, { merge: true, maxAliasCount: 100, prettyErrors: true });
  } catch (e) {
    throw new KeypebbleError("config_invalid", `${source}: ${yamlErrorText(e)}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (exceedsExpandedSize(doc)) r.fail("", "expands (through YAML aliases) beyond the size limit");
  const top = r.object(doc, "");
  const readEnv = (name: string): string | undefined =>
    options.env?.[name] ?? options.readEnv?.(name);
  const envApplied = applyEnvOverrides(top, readEnv, {
    // Every top-level section can be set whole, even one without a shape entry yet.
    names: [
      ...[...KNOWN_KEYS].map((k) => envName([k])),
      ...Object.keys(options.env ?? {}),
      ...(options.envNames ?? []),
    ],
    topLevel: KNOWN_KEYS,
  });
  r.sources = envApplied.sources;
  if (Object.keys(top).length === 0) r.fail("", "is empty");
  const compat: CompatNote[] = [];
  const warnings: ConfigWarning[] = envApplied.ignored.map((i) => ({
    field: i.name,
    message: `is not a setting and was ignored${
      i.suggestion === undefined ? "" : `; did you mean ${i.suggestion}?`
    }`,
  }));
  for (const u of findUnknownKeys(top, KNOWN_KEYS)) {
    r.fail(
      u.field,
      `is not a known setting${
        u.suggestion === undefined
          ? ` (known here: ${u.known.join(", ")})`
          : `; did you mean "${u.suggestion}"?`
      }`,
    );
  }
  for (const [key, why] of Object.entries(PYTHON_COMPAT_KEYS)) {
    if (top[key] !== undefined) compat.push({ field: key, message: why });
  }

  const issuer = r.nonEmptyString(top.issuer, "issuer", { required: true })!;
  const audience = r.nonEmptyString(top.audience, "audience");
  const accountSections = readAccountSections(top, r);
  // Audiences the server gives its own kinds (an account's, a client's, an exchange's): never a
  // registry service by default, nor /auth's default (a token a caller shapes must not carry it).
  const serverAudiences = new Set<string>([
    ...(accountSections.accounts?.audience === undefined
      ? []
      : [accountSections.accounts.audience]),
    ...(accountSections.oauth?.clients.flatMap((c) => c.audiences) ?? []),
    // A sign-in client's id is the audience of its ID tokens (issue 24).
    ...(accountSections.oauth?.clients.filter((c) => c.redirectUris.length > 0).map((c) => c.id) ??
      []),
    ...(accountSections.oauth?.exchangeAudiences ?? []),
  ]);
  // OpenID Connect Discovery §3: a provider's issuer is a URL (http only for loopback and
  // development; https in production), without query or fragment.
  const signinClient = accountSections.oauth?.clients.findIndex((c) => c.redirectUris.length > 0);
  if (signinClient !== undefined && signinClient >= 0 && !/^https?:\/\/[^\s?#]+$/.test(issuer)) {
    throw new KeypebbleError(
      "config_invalid",
      `${
        r.where("issuer")
      }: must be an "https://" URL without query when oauth.clients[${signinClient}] signs people in (OpenID Connect Discovery §3)`,
    );
  }
  const services = top.services === undefined
    ? (audience === undefined || serverAudiences.has(audience) ? [] : [audience])
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

  const { keys, encryptionKeys } = _readKeys(r, top);

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
  r.onlyKeys(service, "service", ["host", "port"]);
  const host = r.nonEmptyString(service.host, "service.host") ?? "127.0.0.1";
  const port = r.integer(service.port, "service.port", { min: 0, max: 65535 }) ?? 8080;

  let policyPath = options.policyPath ?? r.path(top.policy_path, "policy_path");
  if (policyPath === undefined && options.fallbackPolicyPath !== undefined) {
    // As the Python Keypebble: with no policy named, the conventional file when it exists.
    policyPath = options.fallbackPolicyPath;
    compat.push({
      field: "policy_path",
      message: `is not set, so ${policyPath} is used, as the Python Keypebble does`,
    });
  }
  const trustedProxies = top.trusted_proxies === undefined
    ? []
    : r.stringList(top.trusted_proxies, "trusted_proxies");
  const trustedProxyHeader = (r.nonEmptyString(top.trusted_proxy_header, "trusted_proxy_header") ??
    "X-Forwarded-For").toLowerCase();
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(trustedProxyHeader)) {
    r.fail("trusted_proxy_header", "must be an HTTP header name such as X-Forwarded-For");
  }
  const anonymous = _readAnonymous(r, top.anonymous);
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

  // `lockout: false` / `true` switch it like `rate_limit.per_address: false` does.
  const lo = top.lockout === undefined || top.lockout === null
    ? {}
    : typeof top.lockout === "boolean"
    ? { enabled: top.lockout }
    : r.object(top.lockout, "lockout", "true, false or a mapping");
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
  r.onlyKeys(li, "limits", [
    "max_body_bytes",
    "max_scopes",
    "max_header_bytes",
    "max_json_depth",
    "routes",
  ]);
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
    routes: _readRouteLimits(r, li.routes),
  };

  const logLevel = r.nonEmptyString(top.log_level, "log_level") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    r.fail("log_level", `must be one of "debug", "info", "warn", "error", got "${logLevel}"`);
  }

  const jwksMaxAge = r.integer(top.jwks_max_age_seconds, "jwks_max_age_seconds", {
    min: 0,
    max: 86_400,
  }) ?? 300;
  const watch = r.boolean(top.watch, "watch") ?? false;
  const metricsSection = top.metrics === undefined ? {} : r.object(top.metrics, "metrics");
  r.onlyKeys(metricsSection, "metrics", ["org_labels"]);
  const metrics = {
    orgLabels: r.boolean(metricsSection.org_labels, "metrics.org_labels") ?? false,
  };

  if (policyPath !== undefined && services.length === 0) {
    warnings.push({
      field: "policy_path",
      message:
        'is set but neither "audience" nor "services" is: every /v2/token request will be refused as unsupported_service',
    });
  }
  if (Object.keys(staticClaims).length > 0) {
    compat.push({
      field: "static_claims",
      message:
        "added to /auth, command and Kubernetes tokens as in the Python Keypebble, but they win over request claims there (the Python service let the request win), and a kind's own claims (aud, sub, command, kubernetes.io) win over them",
    });
  }
  if (audience === undefined) {
    compat.push({
      field: "audience",
      message:
        'is not set: /auth tokens carry no default aud (the Python Keypebble used "keypebble-edge")',
    });
  }
  if (keys.some((k) => k.kind === "hmac" && k.stripped === true)) {
    compat.push({
      field: keys.find((k) => k.kind === "hmac" && k.stripped)!.field,
      message: "surrounding whitespace of the HMAC secret is removed, as the Python Keypebble does",
    });
  }
  const { profiles, publicUrl } = readProfiles(top, {
    source,
    serverAudiences,
    ...(audience === undefined ? {} : { audience }),
    services,
    servicesExplicit: top.services !== undefined,
    ...(policyPath === undefined ? {} : { policyPath }),
    resolvePath: (p, field) => r.path(p, field)!,
  });
  const fernet = parseFernetConfig(
    top.fernet,
    (f) => r.where(f),
    (p) => r.path(p, "fernet.keys_dir")!,
  );
  for (const [kind, p] of Object.entries(profiles)) {
    if (p.tokenFormat?.format === "fernet" && fernet === undefined) {
      r.fail(`profiles.${kind}.format`, 'is "fernet" but there is no "fernet" section (keys_dir)');
    }
  }

  const config: Config = {
    source,
    issuer,
    ...(audience === undefined ? {} : { audience }),
    services,
    defaultTtlSeconds: defaultTtl,
    maxTtlSeconds: maxTtl,
    refreshTtlSeconds: refreshTtl,
    keys,
    encryptionKeys,
    staticClaims,
    ...(allowedCustomClaims === undefined ? {} : { allowedCustomClaims }),
    host,
    port,
    ...(policyPath === undefined ? {} : { policyPath }),
    trustedProxies,
    trustedProxyHeader,
    anonymous,
    realm,
    requireAuth,
    rateLimit: { perAddress, perPrincipal },
    lockout,
    limits,
    logLevel: logLevel as Config["logLevel"],
    jwksMaxAgeSeconds: jwksMaxAge,
    watch,
    metrics,
    envOverrides: envApplied.applied,
    compat,
    warnings,
    profiles,
    ...(publicUrl === undefined ? {} : { publicUrl }),
    ...spiffeSection(parseSpiffeConfig(top.spiffe, r)),
    ...readStoreSections(top, r),
    ...accountSections,
    ...(fernet === undefined ? {} : { fernet }),
  };
  return _deepFreeze(config);
}

function _readKeys(
  r: _Reader,
  top: Record<string, unknown>,
): { keys: KeySpec[]; encryptionKeys: EncKeySpec[] } {
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
    const specs: KeySpec[] = [];
    const encryptionKeys: EncKeySpec[] = [];
    list.forEach((raw, i) => {
      const field = `keys[${i}]`;
      const use = raw !== null && typeof raw === "object"
        ? (raw as { use?: unknown }).use
        : undefined;
      if (use !== undefined && use !== "sig" && use !== "enc") {
        r.fail(`${field}.use`, 'must be "sig" (signing, the default) or "enc" (encryption)');
      }
      if (use === "enc") encryptionKeys.push(_readEncKeyEntry(r, raw, field));
      else specs.push(_readKeyEntry(r, raw, field, generate && specs.length === 0));
    });
    if (specs.length === 0) {
      r.fail("keys", 'needs at least one signing key (an entry without "use: enc")');
    }
    // Beside other keys, an HMAC key needs a name: asymmetric keys get their thumbprint, but an
    // HMAC secret has no public form to derive one from, and verify picks keys by kid.
    for (const s of specs) {
      if (specs.length > 1 && s.kind === "hmac" && s.kid.mode !== "literal") {
        r.fail(`${s.field}.kid`, "is required for an HMAC key listed with other keys");
      }
    }
    _checkUniqueKids(r, [...specs, ...encryptionKeys]);
    return { keys: specs, encryptionKeys };
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
  if (top.kid !== undefined && top.key_id !== undefined) {
    r.fail("key_id", 'conflicts with "kid": "key_id" is the Python name of "kid"; keep one');
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
      const raw = r.nonEmptyString(top.hs256_secret, "hs256_secret")!;
      // The Python Keypebble strips the secret: the same config must give the same key.
      const secret = raw.trim();
      return {
        keys: [{ kind: "hmac", secret, kid, field, ...(secret !== raw ? { stripped: true } : {}) }],
        encryptionKeys: [],
      };
    }
    return {
      keys: [{ kind: "hmac", secretPath: r.path(top.hs256_secret_path, field)!, kid, field }],
      encryptionKeys: [],
    };
  }
  const path = r.path(top[field], field)!;
  if (algorithm === "HS256") {
    r.fail("algorithm", `is "HS256" but "${field}" is an asymmetric key`);
  }
  const x5cChainPath = r.path(top.x5c_chain_path, "x5c_chain_path");
  // Like a one-item "keys" list: the algorithm comes from the key (RSA → RS256, P-256 → ES256,
  // Ed25519 → EdDSA) and the kid defaults to the key's RFC 7638 thumbprint.
  return {
    keys: [{
      kind: "pem",
      path,
      ...(algorithm === undefined ? {} : { alg: algorithm }),
      kid,
      ...(x5cChainPath === undefined ? {} : { x5cChainPath }),
      generateIfMissing: generate,
      field,
    }],
    encryptionKeys: [],
  };
}

/**
 * A `use: enc` entry: a private key file (PEM or JWK) bound to one JWE pair. `alg` is required
 * (an EC key serves ECDH-ES or ECDH-ES+A256KW, never both); `enc` defaults to A256GCM.
 */
function _readEncKeyEntry(r: _Reader, raw: unknown, field: string): EncKeySpec {
  const o = r.object(raw, field);
  r.onlyKeys(o, field, ["path", "use", "alg", "enc", "kid"]);
  if (o.path === undefined) r.fail(`${field}.path`, "is required for an encryption key");
  const offered = ["RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW"];
  if (!isJweAlg(o.alg) || o.alg === "dir") {
    r.fail(
      `${field}.alg`,
      `is required for an encryption key: one of ${offered.map((a) => `"${a}"`).join(", ")}`,
    );
  }
  if (o.enc !== undefined && !isJweEnc(o.enc)) {
    r.fail(`${field}.enc`, 'must be "A256GCM" (the default) or "A128CBC-HS256"');
  }
  const kid = _readKid(r, o.kid, `${field}.kid`);
  if (kid.mode === "libtrust") r.fail(`${field}.kid`, '"libtrust" is for registry signing keys');
  return {
    path: r.path(o.path, `${field}.path`)!,
    alg: o.alg as EncKeySpec["alg"],
    enc: (o.enc ?? "A256GCM") as JweEnc,
    kid,
    field,
  };
}

function _readKeyEntry(r: _Reader, raw: unknown, field: string, generate: boolean): KeySpec {
  const o = r.object(raw, field);
  r.onlyKeys(o, field, ["path", "secret_path", "secret", "alg", "kid", "x5c_chain_path", "use"]);
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
    const raw = r.nonEmptyString(o.secret, `${field}.secret`)!;
    const secret = raw.trim();
    return { kind: "hmac", secret, kid, field, ...(secret !== raw ? { stripped: true } : {}) };
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

function _checkUniqueKids(r: _Reader, specs: readonly (KeySpec | EncKeySpec)[]): void {
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

/** The kinds `anonymous:` may open on a listener that is not loopback. */
export const ANONYMOUS_KINDS: readonly AnonymousKind[] = ["auth", "command", "kubernetes", "svid"];

function _readAnonymous(r: _Reader, raw: unknown): readonly AnonymousKind[] {
  if (raw === undefined || raw === null) return [];
  const list = r.stringList(raw, "anonymous");
  list.forEach((k, i) => {
    if (!(ANONYMOUS_KINDS as readonly string[]).includes(k)) {
      r.fail(
        `anonymous[${i}]`,
        `"${k}" is not a kind that can answer anonymous callers (known: ${
          ANONYMOUS_KINDS.join(", ")
        })`,
      );
    }
  });
  return list as AnonymousKind[];
}

function _readRequireAuth(r: _Reader, raw: unknown): RequireAuth {
  if (raw === undefined) return { auth: false, command: false, kubernetes: false };
  if (typeof raw === "boolean") return { auth: raw, command: raw, kubernetes: raw };
  const o = r.object(raw, "require_authentication", "true, false or a mapping");
  r.onlyKeys(o, "require_authentication", ["auth", "command", "kubernetes"]);
  return {
    auth: r.boolean(o.auth, "require_authentication.auth") ?? false,
    command: r.boolean(o.command, "require_authentication.command") ?? false,
    kubernetes: r.boolean(o.kubernetes, "require_authentication.kubernetes") ?? false,
  };
}

/** A route limit's name: what a gateway writes in `?limit=`. */
const ROUTE_LIMIT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `limits.routes`: named per-address limits for gateways (issue 22). */
function _readRouteLimits(r: _Reader, raw: unknown): Readonly<Record<string, RouteLimit>> {
  if (raw === undefined || raw === null) return Object.freeze({});
  const o = r.object(raw, "limits.routes", "a mapping of names to limits");
  const out: Record<string, RouteLimit> = {};
  for (const [name, v] of Object.entries(o)) {
    const field = `limits.routes.${name}`;
    if (!ROUTE_LIMIT_NAME.test(name)) {
      r.fail(field, "a limit's name is 1 to 64 letters, digits, '.', '_' or '-'");
    }
    const l = r.object(v, field, "a mapping");
    r.onlyKeys(l, field, ["requests", "window_seconds", "lock_after", "lock_seconds"]);
    const requests = r.integer(l.requests, `${field}.requests`, { min: 1, max: 10_000_000 });
    if (requests === undefined) r.fail(`${field}.requests`, "is required");
    const lockAfter = r.integer(l.lock_after, `${field}.lock_after`, { min: 1, max: 10_000_000 });
    out[name] = Object.freeze({
      requests: requests!,
      windowSeconds: r.integer(l.window_seconds, `${field}.window_seconds`, {
        min: 1,
        max: 86_400,
      }) ?? 60,
      ...(lockAfter === undefined ? {} : { lockAfter }),
      lockSeconds: r.integer(l.lock_seconds, `${field}.lock_seconds`, {
        min: 1,
        max: 2_592_000,
      }) ?? 900,
    });
  }
  return Object.freeze(out);
}

function _readRate(r: _Reader, raw: unknown, field: string): RateLimitSpec | undefined {
  if (raw === false || raw === null) return undefined;
  const o = r.object(raw, field, "false or a mapping");
  r.onlyKeys(o, field, ["requests", "window_seconds"]);
  return {
    // Each half defaults on its own (600 per 60 s), so one override changes one number.
    requests: r.integer(o.requests, `${field}.requests`, { min: 1, max: 10_000_000 }) ?? 600,
    windowSeconds: r.integer(o.window_seconds, `${field}.window_seconds`, {
      min: 1,
      max: 86_400,
    }) ?? 60,
  };
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
  /** Field → environment variable that set it. */
  sources: ReadonlyMap<string, string> = new Map();

  constructor(readonly source: string, readonly options: ParseConfigOptions) {}

  fail(field: string, problem: string): never {
    throw new KeypebbleError("config_invalid", `${this.where(field)}: ${problem}`);
  }

  /** `file: field`, or the environment variable that set the field. */
  where(field: string): string {
    const env = field === "" ? undefined : envSourceOf(this.sources, field);
    if (env !== undefined) return env.exact ? env.name : `${env.name}: ${field}`;
    return field === "" ? this.source : `${this.source}: ${field}`;
  }

  object(v: unknown, field: string, expected = "a mapping"): Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.fail(field, `must be ${expected}, got ${_describe(v)}`);
    }
    return v as Record<string, unknown>;
  }

  onlyKeys(o: Record<string, unknown>, field: string, allowed: string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        const near = closest(k, allowed);
        this.fail(
          `${field}.${k}`,
          `is not a known setting${
            near === undefined
              ? ` (known here: ${allowed.join(", ")})`
              : `; did you mean "${field}.${near}"?`
          }`,
        );
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
      const dir = creds ?? this.options.credentialsDir;
      if (dir === undefined) {
        this.fail(
          field,
          "uses ${CREDENTIALS_DIRECTORY} but that variable is not set (systemd sets it for the " +
            "service; outside it pass --credentials-dir DIR, e.g. /etc/keypebble)",
        );
      }
      out = out.replaceAll("${CREDENTIALS_DIRECTORY}", dir);
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

/**
 * A YAML syntax error as one line with its position: `line 3, column 7: …`.
 */
export function yamlErrorText(e: unknown): string {
  if (e instanceof YAMLParseError) {
    const pos = e.linePos?.[0];
    // Only the first line: the rest quotes the file, which may hold a secret.
    const first = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?\s*$/, "");
    return pos === undefined
      ? `not valid YAML: ${first}`
      : `not valid YAML at line ${pos.line}, column ${pos.col}: ${first}`;
  }
  return `not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
}
