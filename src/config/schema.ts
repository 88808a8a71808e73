/**
 * The shape of a config file: which keys exist at every level. One table serves three purposes:
 *
 * - strictness: an unknown key anywhere is an error with a "did you mean" suggestion;
 * - environment overrides: every path here can be set with `KEYPEBBLE_<PATH>` (see `env.ts`);
 * - documentation: `keypebble check` and the README list the same names.
 *
 * A new config section adds one entry to {@link CONFIG_SHAPE} and nothing else
 * (`parse_config.ts` reads the top-level keys from here); its own file validates the values.
 *
 * @module
 */

import { PROFILE_KEYS } from "./profiles.ts";

/** What may appear at one place of the config. */
export type Shape =
  /** A scalar or a list of scalars: the parser checks the value. */
  | { readonly kind: "value" }
  /** A mapping whose keys are free (e.g. `static_claims`). */
  | { readonly kind: "free" }
  /** A mapping with these keys only (checked when the value is a mapping). */
  | { readonly kind: "map"; readonly keys: Readonly<Record<string, Shape>> }
  /** A list whose items have this shape. */
  | { readonly kind: "list"; readonly item: Shape };

const V: Shape = { kind: "value" };

function _map(keys: Record<string, Shape>): Shape {
  return { kind: "map", keys };
}

const RATE = _map({ requests: V, window_seconds: V });

/** One token kind's overrides (`profiles.<kind>`, read by `profiles.ts`). */
const PROFILE = _map({
  audiences: V,
  max_ttl_seconds: V,
  key: V,
  typ: V,
  issuer: V,
  claims: { kind: "free" },
  allow_registry_audience: V,
  format: V,
  encrypt: _map({ to: V, alg: V, enc: V }),
  enabled: V,
});

/** Every key of the config file, at every level. */
export const CONFIG_SHAPE: Readonly<Record<string, Shape>> = {
  issuer: V,
  audience: V,
  services: V,
  default_ttl_seconds: V,
  max_ttl_seconds: V,
  refresh_ttl_seconds: V,
  hs256_secret: V,
  hs256_secret_path: V,
  rs256_private_key_path: V,
  rs256_private_key: V,
  algorithm: V,
  kid: V,
  key_id: V,
  x5c_chain_path: V,
  generate_missing_key: V,
  keys: {
    kind: "list",
    item: _map({
      path: V,
      secret_path: V,
      secret: V,
      alg: V,
      kid: V,
      x5c_chain_path: V,
      use: V,
      enc: V,
    }),
  },
  static_claims: { kind: "free" },
  allowed_custom_claims: V,
  service: _map({ host: V, port: V }),
  policy_path: V,
  trusted_proxies: V,
  trusted_proxy_header: V,
  anonymous: V,
  realm: V,
  require_authentication: _map({ auth: V, command: V, kubernetes: V }),
  rate_limit: _map({ per_address: RATE, per_principal: RATE }),
  lockout: _map({ enabled: V, max_failures: V, window_seconds: V, lock_seconds: V }),
  limits: _map({ max_body_bytes: V, max_scopes: V, max_header_bytes: V, max_json_depth: V }),
  log_level: V,
  jwks_max_age_seconds: V,
  watch: V,
  metrics: _map({ org_labels: V }),
  spiffe: _map({ trust_domain: V, root: V, key_path: V, refresh_hint_seconds: V }),
  // Every kind `profiles.ts` accepts, each with the same settings.
  profiles: _map(Object.fromEntries(PROFILE_KEYS.map((k) => [k, PROFILE]))),
  public_url: V,
  // Fernet tokens (issue 25; values checked in fernet.ts).
  fernet: _map({ keys_dir: V, ttl_seconds: V }),
  // API keys and fleet mode (issue 12; values checked by `store.ts`).
  store: _map({
    url: V,
    pepper_path: V,
    cache_seconds: V,
    key_prefix: V,
    accepted_prefixes: V,
    token_ttl_seconds: V,
    busy_timeout_ms: V,
    keyguard_secret_key_path: V,
  }),
  shared_limits: _map({ redis_url: V }),
  // Accounts and the OAuth2 server (issue 13; values checked in accounts.ts).
  accounts: _map({
    registration: V,
    password_min_length: V,
    registrations_per_hour: V,
    admin_email: V,
    admin_password_path: V,
    default_org: V,
    access_ttl_seconds: V,
    refresh_ttl_seconds: V,
    refresh_reuse_seconds: V,
    audience: V,
    session_ttl_seconds: V,
    totp_required_roles: V,
    totp_issuer: V,
  }),
  oauth: _map({
    clients: {
      kind: "list",
      item: _map({
        id: V,
        name: V,
        secret_hash: V,
        audiences: V,
        scopes: V,
        public: V,
        redirect_uris: V,
        post_logout_redirect_uris: V,
        first_party: V,
      }),
    },
    trusted_issuers: {
      kind: "list",
      item: _map({
        issuer: V,
        jwks_uri: V,
        audiences: V,
        scopes: V,
        cache_seconds: V,
        subject_prefix: V,
      }),
    },
    exchange_audiences: V,
    token_exchange: V,
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
