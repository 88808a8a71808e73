/**
 * The shape of a config file: which keys exist at every level. One table serves three purposes:
 *
 * - strictness: an unknown key anywhere is an error with a "did you mean" suggestion;
 * - environment overrides: every path here can be set with `KEYPEBBLE_<PATH>` (see `env.ts`);
 * - documentation: `keypebble check` and docs/configuration.md (generated) list the same names.
 *
 * A new config section adds one entry to {@link CONFIG_SHAPE} (and its top-level key to
 * `KNOWN_KEYS` in `parse_config.ts`); its own file still validates the values.
 *
 * @module
 */

import { PROFILE_KEYS } from "./profiles.ts";

/** A JSON type, for the JSON Schema of the config (`keypebble config schema`). */
export type JsonType = "string" | "integer" | "number" | "boolean" | "array" | "object" | "null";

/** What documents a place of the config: its JSON types, default and meaning. */
export interface ShapeDoc {
  /** The JSON types a value may have (a list: any of them). */
  readonly type?: JsonType | readonly JsonType[];
  /** The items' type when the value may be a list. */
  readonly items?: JsonType;
  /** The only values allowed. */
  readonly enum?: readonly (string | number | boolean)[];
  readonly default?: unknown;
  readonly description?: string;
}

/** What may appear at one place of the config. */
export type Shape =
  /** A scalar or a list of scalars: the parser checks the value. */
  | ({ readonly kind: "value" } & ShapeDoc)
  /** A mapping whose keys are free (e.g. `static_claims`). */
  | ({ readonly kind: "free" } & ShapeDoc)
  /**
   * A mapping with these keys only (checked when the value is a mapping); `type` lists the other
   * forms it may take (`require_authentication: true`, `rate_limit.per_address: false`).
   */
  | ({ readonly kind: "map"; readonly keys: Readonly<Record<string, Shape>> } & ShapeDoc)
  /** A list whose items have this shape. */
  | ({ readonly kind: "list"; readonly item: Shape } & ShapeDoc);

/** A documented value. */
function v(type: JsonType | readonly JsonType[], description: string, extra: ShapeDoc = {}): Shape {
  return { kind: "value", type, description, ...extra };
}

const STR = "string" as const;
const INT = "integer" as const;
const BOOL = "boolean" as const;
/** A string or a list of strings. */
const STRS: readonly JsonType[] = ["string", "array"];

function _map(keys: Record<string, Shape>, doc: ShapeDoc = {}): Shape {
  return { kind: "map", keys, ...doc };
}

const RATE = _map({
  requests: v(INT, "Requests allowed per window"),
  window_seconds: v(INT, "Length of the window in seconds"),
}, { type: ["boolean"], description: "{requests, window_seconds}, or false to disable" });

/** One token kind's overrides (`profiles.<kind>`, read by `profiles.ts`). */
const PROFILE = _map({
  audiences: v(STRS, "Audiences of this kind's tokens", { items: STR }),
  max_ttl_seconds: v(INT, "Cap on this kind's lifetime"),
  key: v(STR, "The kid of the key that signs this kind"),
  typ: v(STR, "The JWS typ header of this kind"),
  issuer: v(STR, "The iss of this kind (default: issuer)"),
  claims: { kind: "free", description: "Claims added to every token of this kind" },
  allow_registry_audience: v(BOOL, "Let this kind name a registry service as audience"),
  enabled: v(BOOL, "false switches the kind off (its routes answer 404)", { default: true }),
  format: v(STR, "Token format of this kind", { enum: ["jws", "jwe", "fernet"], default: "jws" }),
  encrypt: _map({
    to: v(STR, "The recipient: a JWK file, a PEM key path or a JWKS URL"),
    alg: v(STR, "Key management algorithm", {
      enum: ["RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW", "dir"],
    }),
    enc: v(STR, "Content encryption", { enum: ["A256GCM", "A128CBC-HS256"] }),
  }),
});

/** Every key of the config file, at every level. */
export const CONFIG_SHAPE: Readonly<Record<string, Shape>> = {
  issuer: v(STR, "iss of every token (required)"),
  audience: v(STRS, "Default aud of /auth tokens, and the registry service accepted by default", {
    items: STR,
  }),
  services: v(STRS, "Registry service values /v2/token serves (default: [audience])", {
    items: STR,
  }),
  default_ttl_seconds: v(INT, "Lifetime when none is asked for", { default: 3600 }),
  max_ttl_seconds: v(INT, "Cap on any requested lifetime (default: max(86400, default))"),
  refresh_ttl_seconds: v(INT, "Lifetime of registry refresh tokens", { default: 604800 }),
  hs256_secret: v(STR, "HMAC secret, at least 32 bytes (prefer hs256_secret_path)"),
  hs256_secret_path: v(STR, "File holding the HMAC secret (at least 32 bytes)"),
  rs256_private_key_path: v(STR, "PEM private key: RSA >= 2048 bits, P-256 or Ed25519"),
  rs256_private_key: v(STR, "The Python Keypebble's name of rs256_private_key_path"),
  algorithm: v(STR, "Must agree with the key when given", {
    enum: ["HS256", "RS256", "ES256", "EdDSA"],
  }),
  kid: v(STR, 'A literal, "thumbprint" (RFC 7638) or "libtrust"'),
  key_id: v(STR, "The Python Keypebble's name of kid"),
  x5c_chain_path: v(STR, "PEM certificate chain, leaf first, sent as the x5c header"),
  generate_missing_key: v(BOOL, "Development only: create a missing key file", {
    default: false,
  }),
  keys: {
    kind: "list",
    description: "Several keys instead of the single-key fields; the first signs",
    item: _map({
      path: v(STR, "PEM private key file"),
      secret_path: v(STR, "HMAC secret file"),
      secret: v(STR, "HMAC secret (prefer secret_path)"),
      alg: v(STR, "Must agree with the key (an enc key: its key management algorithm)", {
        enum: ["HS256", "RS256", "ES256", "EdDSA", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW"],
      }),
      kid: v(STR, 'A literal, "thumbprint" or "libtrust"'),
      x5c_chain_path: v(STR, "PEM certificate chain, leaf first"),
      staged: v(BOOL, "Published in the JWKS, never signing (the next key of a rotation)", {
        default: false,
      }),
      use: v(STR, 'sig (default) or enc (a JWE decryption key, published with use "enc")', {
        enum: ["sig", "enc"],
      }),
      enc: v(STR, "Content encryption of an enc key", { enum: ["A256GCM", "A128CBC-HS256"] }),
    }),
  },
  static_claims: {
    kind: "free",
    description: "Merged into every /auth, command and Kubernetes token",
  },
  allowed_custom_claims: v(
    ["array", "null"],
    "The only request claims /auth signs (default: all)",
    {
      items: STR,
    },
  ),
  service: _map({
    host: v(STR, "Listen address", { default: "127.0.0.1" }),
    port: v(INT, "Listen port", { default: 8080 }),
    tls: _map({
      cert_path: v(STR, "PEM certificate chain, leaf first"),
      key_path: v(STR, "PEM private key of the leaf (unencrypted)"),
      client_ca_path: v(STR, "PEM bundle of the CAs client certificates must chain to (mTLS)"),
      client_certificates: v(STR, "With client_ca_path: whether a certificate is required", {
        enum: ["required", "optional"],
        default: "required",
      }),
    }, { description: "HTTPS in the binary (TLS 1.2 and 1.3)" }),
  }),
  policy_path: v(STR, "Registry policy file (default /etc/keypebble/policy.yaml if it exists)"),
  trusted_proxies: v(STRS, "CIDRs allowed to assert X-Authenticated-User", { items: STR }),
  trusted_proxy_header: v(STR, "The header a trusted proxy names the client address in"),
  anonymous: v(STRS, "Kinds minted for anonymous callers beyond loopback", { items: STR }),
  realm: v(STR, "The Basic realm in WWW-Authenticate", { default: "Keypebble" }),
  require_authentication: _map({
    auth: v(BOOL, "Require a caller on POST /auth"),
    command: v(BOOL, "Require a caller on POST /command/token"),
    kubernetes: v(BOOL, "Require a caller on the TokenRequest endpoints"),
  }, { type: ["boolean"], description: "true, or per endpoint", default: false }),
  rate_limit: _map({ per_address: RATE, per_principal: RATE }),
  lockout: _map({
    enabled: v(BOOL, "Lock out after repeated failures", { default: true }),
    max_failures: v(INT, "Failures before a lockout", { default: 20 }),
    window_seconds: v(INT, "Window the failures are counted in", { default: 300 }),
    lock_seconds: v(INT, "Length of a lockout", { default: 900 }),
  }, { type: ["boolean"], description: "{enabled, max_failures, window_seconds, lock_seconds}" }),
  limits: _map({
    max_body_bytes: v(INT, "Largest request body", { default: 65536 }),
    max_scopes: v(INT, "Most scopes in one request", { default: 32 }),
    max_header_bytes: v(INT, "Largest request headers", { default: 8192 }),
    max_json_depth: v(INT, "Deepest JSON nesting", { default: 8 }),
    // `limits.routes.NAME: {requests, window_seconds, lock_after, lock_seconds}` (issue 22;
    // names are the operator's, values checked by parse_config.ts).
    routes: {
      kind: "free",
      description: "Per-address limits of the app's own routes, asked by GET /forward-auth?limit=",
    },
  }),
  log_level: v(STR, "Log level", { enum: ["debug", "info", "warn", "error"], default: "info" }),
  jwks_max_age_seconds: v(INT, "Cache-Control max-age of the JWKS and discovery", {
    default: 300,
  }),
  watch: v(BOOL, "Poll the config, key and policy files and reload on change", {
    default: false,
  }),
  metrics: _map({
    org_labels: v(BOOL, "Label per-organisation series with tenant names", { default: false }),
  }),
  spiffe: _map({
    trust_domain: v(STR, "The SPIFFE trust domain, e.g. example.org"),
    root: v(STR, "Directory of the spiffile identities"),
    key_path: v(STR, "The central issuer's key (PEM)"),
    refresh_hint_seconds: v(INT, "spiffe_refresh_hint of the bundle"),
  }),
  // Every kind `profiles.ts` accepts, each with the same settings.
  profiles: _map(Object.fromEntries(PROFILE_KEYS.map((k) => [k, PROFILE]))),
  public_url: v(STR, "Base URL for discovery when issuer is not a URL"),
  // Fernet tokens (issue 25; values checked in fernet.ts).
  fernet: _map({
    keys_dir: v(STR, "The Fernet key repository (keypebble fernet setup)"),
    ttl_seconds: v(INT, "Lifetime of Fernet tokens", { default: 3600 }),
  }),
  // API keys and fleet mode (issue 12; values checked by `store.ts`).
  store: _map({
    url: v(STR, "sqlite:FILE (default beside the config) or postgres://…"),
    pepper_path: v(STR, "File of the secret pepper of key hashes (made on first use)"),
    cache_seconds: v(INT, "How long a key check is cached (at most 10)", { default: 5 }),
    key_prefix: v(STR, "Prefix of new keys", { default: "kp_live_" }),
    accepted_prefixes: v(STRS, "Prefixes accepted on presented keys", { items: STR }),
    token_ttl_seconds: v(INT, "Lifetime of api tokens minted from keys", { default: 900 }),
    busy_timeout_ms: v(INT, "How long a store write waits for a lock before 503", {
      default: 5000,
    }),
    keyguard_secret_key_path: v(STR, "keyguard's secret_key, for keys imported from keyguard"),
    default_rate_limit_per_minute: v(
      [INT, "null"],
      "Per-minute limit of keys created without one (keyguard's default; null: none)",
      { default: 60 },
    ),
    default_scopes: v(STRS, "Scopes of keys created without any (keyguard's default)", {
      items: STR,
      default: ["read"],
    }),
    audit_retention_days: v(INT, "Days the store keeps audit events (0: for ever)", {
      default: 90,
    }),
    audit_tokens: v(BOOL, "Store token.issued events too (false: in the log stream only)", {
      default: true,
    }),
  }),
  shared_limits: _map({ redis_url: v(STR, "redis://… shared by a fleet of instances") }),
  // Accounts and the OAuth2 server (issue 13; values checked in accounts.ts).
  accounts: _map({
    registration: v([STR, BOOL], "Self-registration at POST /api/v1/auth/register", {
      enum: ["open", "off", true, false],
      default: "off",
    }),
    password_min_length: v(INT, "Shortest password accepted"),
    registrations_per_hour: v(INT, "Registrations accepted per client address per hour", {
      default: 20,
    }),
    admin_email: v(STR, "The bootstrap superadmin's email"),
    admin_password_path: v(STR, "File of the bootstrap admin's password (else one is printed)"),
    default_org: v(STR, "Organisation of accounts created without one", { default: "default" }),
    access_ttl_seconds: v(INT, "Lifetime of account access tokens", { default: 900 }),
    refresh_ttl_seconds: v(INT, "Lifetime of account refresh tokens"),
    refresh_reuse_seconds: v(INT, "A just-used refresh token returns the same successor for", {
      default: 30,
    }),
    audience: v(STR, "aud of account access tokens"),
    session_ttl_seconds: v(INT, "Lifetime of a sign-in session"),
    totp_required_roles: v(STRS, "Roles that must enrol a second factor", { items: STR }),
    totp_issuer: v(STR, "Issuer shown by authenticator apps"),
  }),
  oauth: _map({
    clients: {
      kind: "list",
      description: "Declared OAuth2 clients (read-only in the console)",
      item: _map({
        id: v(STR, "client_id"),
        name: v(STR, "Shown on the consent page (default: the id)"),
        secret_hash: v(STR, "PBKDF2 hash of the secret, from keypebble hash-password"),
        audiences: v(STRS, "Audiences the client may ask for", { items: STR }),
        scopes: v(STRS, "Scopes the client may ask for", { items: STR }),
        public: v(BOOL, "No secret: PKCE only", { default: false }),
        redirect_uris: v(STRS, "Registered redirect URIs", { items: STR }),
        post_logout_redirect_uris: v(STRS, "Where logout may send the browser", { items: STR }),
        first_party: v(BOOL, "No consent screen", { default: false }),
      }),
    },
    trusted_issuers: {
      kind: "list",
      description: "Issuers whose tokens token exchange accepts",
      item: _map({
        issuer: v(STR, "The iss to trust"),
        jwks_uri: v(STR, "Where its keys are fetched"),
        audiences: v(STRS, "Audiences its tokens must carry", { items: STR }),
        scopes: v(STRS, "Scopes it may grant", { items: STR }),
        cache_seconds: v(INT, "How long its keys are cached"),
        subject_prefix: v(STR, "Prefix put before its subjects"),
      }),
    },
    exchange_audiences: v(STRS, "Audiences token exchange may mint for", { items: STR }),
    token_exchange: v(BOOL, "Serve RFC 8693 token exchange", { default: false }),
  }),
};

/**
 * Keys kept so a config written for the Python Keypebble loads unchanged. They are accepted, and
 * `keypebble check` lists each one it meets with what to write instead.
 */
export const PYTHON_COMPAT_KEYS: Readonly<Record<string, string>> = {
  rs256_private_key: 'the Python name of "rs256_private_key_path"; both are read the same way',
  key_id: 'the Python name of "kid"; both are read the same way',
};

/** Every path of {@link CONFIG_SHAPE} (mappings and values; list items are not addressable). */
export function shapePaths(
  shape: Readonly<Record<string, Shape>> = CONFIG_SHAPE,
  prefix: readonly string[] = [],
): string[][] {
  const out: string[][] = [];
  for (const [k, s] of Object.entries(shape)) {
    const path = [...prefix, k];
    out.push(path);
    if (s.kind === "map") out.push(...shapePaths(s.keys, path));
  }
  return out;
}

/**
 * The closest of `candidates` to `word`, when one is close enough to be a typo (edit distance
 * with transpositions, at most a third of the word and at least 2), else `undefined`.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (bestDistance <= limit) return best;
  // A missing prefix or suffix (`private_key_path` for `rs256_private_key_path`).
  if (w.length < 4) return undefined;
  for (const c of candidates) {
    const l = c.toLowerCase();
    if (l.endsWith(`_${w}`) || l.startsWith(`${w}_`)) return c;
  }
  return undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** An unknown key found by {@link findUnknownKeys}. */
export interface UnknownKey {
  /** Field path as messages write it, e.g. `service.hots` or `keys[0].pth`. */
  readonly field: string;
  /** The path segments (list indexes as numbers). */
  readonly path: readonly (string | number)[];
  /** What the operator probably meant, as a field path. */
  readonly suggestion?: string;
  /** The known keys at that level. */
  readonly known: readonly string[];
}

/**
 * Walk a parsed config against the shape and return the first unknown key, or `undefined`.
 * `topLevel` adds keys known at the top level without a shape entry (sections whose own parser
 * checks their keys).
 */
export function findUnknownKeys(
  doc: Record<string, unknown>,
  topLevel: ReadonlySet<string>,
): UnknownKey[] {
  const found: UnknownKey[] = [];
  const allLeaves = shapePaths().map((p) => p.join("."));
  const walk = (
    value: unknown,
    shape: Readonly<Record<string, Shape>>,
    extra: ReadonlySet<string>,
    path: (string | number)[],
  ): void => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    const known = [...new Set([...Object.keys(shape), ...extra])];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const s = shape[k];
      if (s === undefined) {
        // `x-…` keys hold YAML anchors for `<<` merges (as in compose files); never read.
        if (extra.has(k) || (path.length === 0 && /^x[-_]/.test(k))) continue;
        const here = [...path, k];
        // A key that belongs one level down (a top-level `port`) is suggested with its section.
        const nested = path.length === 0
          ? allLeaves.find((p) => p.endsWith(`.${k}`) && p.split(".").length === 2)
          : undefined;
        const near = closest(k, known);
        const suggestion = near !== undefined ? fieldOf([...path, near]) : nested;
        found.push({
          field: fieldOf(here),
          path: here,
          ...(suggestion === undefined ? {} : { suggestion }),
          known,
        });
        continue;
      }
      _walkShape(v, s, [...path, k], walk);
    }
  };
  walk(doc, CONFIG_SHAPE, topLevel, []);
  return found;
}

function _walkShape(
  v: unknown,
  s: Shape,
  path: (string | number)[],
  walk: (
    value: unknown,
    shape: Readonly<Record<string, Shape>>,
    extra: ReadonlySet<string>,
    path: (string | number)[],
  ) => void,
): void {
  if (s.kind === "map") walk(v, s.keys, new Set(), path);
  else if (s.kind === "list" && Array.isArray(v)) {
    v.forEach((item, i) => _walkShape(item, s.item, [...path, i], walk));
  }
}

/** `["keys", 0, "kid"]` → `keys[0].kid`. */
export function fieldOf(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}
