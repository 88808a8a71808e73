/**
 * The `profiles:` section (per token kind overrides, see `src/profiles/table.ts`) and
 * `public_url`. Pure: the caller passes the parsed top-level mapping and the values already read
 * that the checks need.
 *
 * ```yaml
 * profiles:
 *   auth:
 *     audiences: ["edge-api"]        # the only `aud` values /auth signs; the first is the default
 *     max_ttl_seconds: 900
 *     key: "auth-2026"               # a kid from `keys:`; default: the first key
 *     claims: { edge: "$.body.edge_id", who: "$.caller", tier: "gold" }
 *   command:   { audiences: ["vault", "runner"] }
 *   kubernetes: { audiences: ["vault"], issuer: "https://kubernetes.default.svc" }
 *   registry:  { max_ttl_seconds: 300 }
 *   svid:      { max_ttl_seconds: 120 }   # at most 300 (needs a `spiffe` section)
 *   id:        { max_ttl_seconds: 300, key: "sign-in" }   # ID tokens: an RS256/ES256/EdDSA key
 * public_url: "https://auth.example.com"   # discovery's base when `issuer` is not a URL
 * ```
 */

import { KeypebbleError } from "../errors.ts";
import { readTokenFormat, type TokenFormatSettings } from "./token_format.ts";

/** The kinds the section accepts (kept equal to `PROFILE_NAMES` by a test). */
export const PROFILE_KEYS: readonly string[] = [
  "auth",
  "registry",
  "refresh",
  "command",
  "kubernetes",
  "svid",
  "api",
  "account",
  "client",
  "exchange",
  "id",
];

/**
 * What `profiles.svid` may set: the JWT-SVID's key is the SPIFFE issuer's, its `typ` is "JWT",
 * its `aud` a SPIFFE ID (spiffile PROFILE §3), so only a shorter cap and the issuer remain.
 */
const SVID_SETTINGS = ["max_ttl_seconds", "issuer", "enabled"];
/** The JWT-SVID lifetime cap (spiffile PROFILE §3). */
const SVID_MAX_TTL = 300;

/**
 * What `profiles.id` may set: the ID token's `aud` is the client, its `iss` the issuer that
 * discovery names (OpenID Connect Discovery §3: they must be equal), its `typ` "JWT"; only the
 * key (an asymmetric one, checked when the runtime is built), a shorter lifetime and the switch
 * remain.
 */
const ID_SETTINGS = ["max_ttl_seconds", "key", "enabled"];
/** The ID token lifetime cap: it proves a sign-in that just happened. */
export const ID_MAX_TTL = 3600;

const SETTINGS = [
  "audiences",
  "max_ttl_seconds",
  "key",
  "typ",
  "issuer",
  "claims",
  "allow_registry_audience",
  "format",
  "encrypt",
  "enabled",
];

/** One kind's overrides, validated. */
export interface ProfileSettings {
  /** The allow-list of `aud` values; for /auth the first is the default. */
  readonly audiences?: readonly string[];
  readonly maxTtlSeconds?: number;
  /** A kid from the keyring; default the active (first) key. */
  readonly key?: string;
  readonly typ?: string;
  readonly issuer?: string;
  /** ClaimBuilder mapping: claim name → `$.query.N`, `$.body.N`, `$.caller`, or a literal. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** The operator's explicit yes to an audience that is also a registry `service`. */
  readonly allowRegistryAudience: boolean;
  /** `format` and `encrypt` (src/config/token_format.ts); absent: JWS. */
  readonly tokenFormat?: TokenFormatSettings;
  /** `false`: the kind is switched off (its routes answer 404). */
  readonly enabled?: boolean;
  /** The audiences were not configured for this kind but taken from the top-level `audience`. */
  readonly audiencesDefaulted?: boolean;
}

/** The whole section, resolved: every kind has an entry. */
export type ProfilesConfig = Readonly<Record<string, ProfileSettings>>;

/** What the section's checks need from the rest of the config. */
export interface ProfilesInput {
  readonly source: string;
  readonly audience?: string;
  readonly services: readonly string[];
  /** `services` was written (not defaulted from `audience`). */
  readonly servicesExplicit: boolean;
  readonly policyPath?: string;
  /** Resolves a file path as the rest of the config does (relative to the config's directory). */
  readonly resolvePath?: (path: string, field: string) => string;
  /** Audiences the server gives its own kinds (accounts, clients, exchange). */
  readonly serverAudiences: ReadonlySet<string>;
}

const TYP_RE = /^[A-Za-z0-9!#$&^_.+\/-]{1,64}$/;

/**
 * Read `profiles` and `public_url`.
 *
 * /auth's audiences default to `[audience]`, except when `audience` is (implicitly) the registry
 * `service` of a config that serves a registry (a `policy_path` is set): then /auth signs no
 * `aud` by default, so its tokens are never accepted by the registry. Written explicitly, an
 * audience of /auth, /command or the Kubernetes kind that is also a registry service is an error
 * unless `allow_registry_audience: true` says the operator means it.
 */
export function readProfiles(
  top: Readonly<Record<string, unknown>>,
  input: ProfilesInput,
): { profiles: ProfilesConfig; publicUrl?: string } {
  const fail = (field: string, problem: string): never => {
    throw new KeypebbleError("config_invalid", `${input.source}: ${field}: ${problem}`);
  };
  const raw = top.profiles ?? {};
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail("profiles", "must be a mapping of token kinds");
  }
  const section = raw as Record<string, unknown>;
  for (const k of Object.keys(section)) {
    if (!PROFILE_KEYS.includes(k)) {
      fail(`profiles.${k}`, `is not a token kind (known: ${PROFILE_KEYS.join(", ")})`);
    }
  }
  const out: Record<string, ProfileSettings> = {};
  for (const kind of PROFILE_KEYS) {
    out[kind] = _readOne(section[kind], `profiles.${kind}`, kind, fail);
    const o = section[kind] as Record<string, unknown> | undefined;
    const tokenFormat = readTokenFormat(o?.format, o?.encrypt, {
      at: `profiles.${kind}`,
      kind,
      fail,
      resolvePath: input.resolvePath ?? ((p) => p),
    });
    if (tokenFormat !== undefined) out[kind] = { ...out[kind], tokenFormat };
  }
  // The default audience of /auth: the top-level `audience`, unless the registry or one of the
  // server's own kinds (accounts, clients, exchange) owns it.
  const auth = out.auth;
  if (
    auth.audiences === undefined && input.audience !== undefined &&
    !input.serverAudiences.has(input.audience)
  ) {
    const registryOwnsIt = input.services.includes(input.audience) &&
      (input.servicesExplicit || input.policyPath !== undefined);
    if (!registryOwnsIt || auth.allowRegistryAudience) {
      out.auth = { ...auth, audiences: [input.audience], audiencesDefaulted: true };
    }
  }
  for (const kind of ["auth", "command", "kubernetes"]) {
    const s = out[kind];
    const owned = s.audiences?.find((a) => input.serverAudiences.has(a));
    if (owned !== undefined) {
      fail(
        `profiles.${kind}.audiences`,
        `"${owned}" is the audience of account, client, ID or exchanged tokens: a token whose claims ` +
          `a caller chooses must never carry it`,
      );
    }
    // Only audiences written for the kind can clash: a default taken from `audience` is the
    // operator's single audience, shared on purpose.
    const clash = s.audiencesDefaulted
      ? undefined
      : s.audiences?.find((a) => input.services.includes(a));
    if (clash !== undefined && !s.allowRegistryAudience && section[kind] !== undefined) {
      fail(
        `profiles.${kind}.audiences`,
        `"${clash}" is also a registry service: its tokens would be accepted by the registry; ` +
          `set profiles.${kind}.allow_registry_audience: true if that is meant`,
      );
    }
  }
  let publicUrl: string | undefined;
  if (top.public_url !== undefined) {
    const u = top.public_url;
    if (typeof u !== "string" || !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(u)) {
      fail("public_url", 'must be an absolute "http://" or "https://" URL without query');
    }
    publicUrl = (u as string).replace(/\/+$/, "");
  }
  return { profiles: out, ...(publicUrl === undefined ? {} : { publicUrl }) };
}

function _readOne(
  raw: unknown,
  at: string,
  kind: string,
  fail: (field: string, problem: string) => never,
): ProfileSettings {
  if (raw === undefined || raw === null) return { allowRegistryAudience: false };
  if (typeof raw !== "object" || Array.isArray(raw)) fail(at, "must be a mapping");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!SETTINGS.includes(k)) {
      fail(`${at}.${k}`, `is not a known setting (known: ${SETTINGS.join(", ")})`);
    }
    if (kind === "id" && !ID_SETTINGS.includes(k)) {
      fail(
        `${at}.${k}`,
        `cannot be set for ID tokens (aud the client, iss the issuer, typ "JWT", a signed JWT ` +
          `relying parties read); only ${ID_SETTINGS.join(", ")}`,
      );
    }
    if (k === "format" || k === "encrypt") continue; // read by readTokenFormat
    if (kind === "svid" && !SVID_SETTINGS.includes(k)) {
      fail(
        `${at}.${k}`,
        `cannot be set for JWT-SVIDs (ES256 with the SPIFFE issuer key, typ "JWT", aud a ` +
          `SPIFFE ID); only ${SVID_SETTINGS.join(", ")}`,
      );
    }
  }
  const s: {
    audiences?: string[];
    maxTtlSeconds?: number;
    key?: string;
    typ?: string;
    issuer?: string;
    claims?: Record<string, unknown>;
    allowRegistryAudience: boolean;
    enabled?: boolean;
  } = { allowRegistryAudience: false };
  if (o.enabled !== undefined) {
    if (typeof o.enabled !== "boolean") fail(`${at}.enabled`, "must be true or false");
    s.enabled = o.enabled as boolean;
  }
  if (o.audiences !== undefined) {
    if (kind === "registry" || kind === "refresh") {
      fail(`${at}.audiences`, `is not used: ${kind} tokens take their audience from "services"`);
    }
    if (!Array.isArray(o.audiences) || o.audiences.length === 0 || o.audiences.length > 64) {
      fail(`${at}.audiences`, "must be a list of 1 to 64 strings");
    }
    s.audiences = (o.audiences as unknown[]).map((a, i) => {
      if (typeof a !== "string" || a === "" || a.length > 256 || _hasControl(a)) {
        return fail(`${at}.audiences[${i}]`, "must be a string of 1 to 256 printable characters");
      }
      return a;
    });
  }
  if (o.max_ttl_seconds !== undefined) {
    const n = o.max_ttl_seconds;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 31_536_000) {
      fail(`${at}.max_ttl_seconds`, "must be an integer between 1 and 31536000");
    }
    if (kind === "svid" && (n as number) > SVID_MAX_TTL) {
      fail(`${at}.max_ttl_seconds`, `must be at most ${SVID_MAX_TTL} for JWT-SVIDs`);
    }
    if (kind === "id" && ((n as number) > ID_MAX_TTL || (n as number) < 60)) {
      fail(`${at}.max_ttl_seconds`, `must be between 60 and ${ID_MAX_TTL} for ID tokens`);
    }
    s.maxTtlSeconds = n as number;
  }
  for (const f of ["key", "issuer"] as const) {
    if (o[f] === undefined) continue;
    const v = o[f];
    if (typeof v !== "string" || v.trim() === "" || v.length > 256 || _hasControl(v)) {
      fail(`${at}.${f}`, "must be a non-empty string without control characters");
    }
    s[f] = v as string;
  }
  if (o.typ !== undefined) {
    if (typeof o.typ !== "string" || !TYP_RE.test(o.typ)) {
      fail(`${at}.typ`, 'must be a media type token such as "JWT" or "kp-command+jwt"');
    }
    s.typ = o.typ as string;
  }
  if (o.claims !== undefined) {
    if (kind !== "auth" && kind !== "command") {
      fail(`${at}.claims`, "is only available for the auth and command kinds");
    }
    if (o.claims === null || typeof o.claims !== "object" || Array.isArray(o.claims)) {
      fail(`${at}.claims`, "must be a mapping of claim names to sources");
    }
    s.claims = o.claims as Record<string, unknown>;
  }
  if (o.allow_registry_audience !== undefined) {
    if (typeof o.allow_registry_audience !== "boolean") {
      fail(`${at}.allow_registry_audience`, "must be true or false");
    }
    s.allowRegistryAudience = o.allow_registry_audience as boolean;
  }
  return s;
}

function _hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
