/**
 * The token profile table: the one place that says, for every kind of token Keypebble signs,
 * which endpoints mint it, who may call them, which claims a caller may choose, which claims are
 * the kind's own (and therefore reserved for every other kind), its JWS `typ` (RFC 8725 §3.11),
 * where its audiences come from and how long it may live. The route table, the mint function and
 * the config's `profiles:` section all read this table; no handler decides these things itself.
 *
 * Adding a kind (api keys, accounts, ...; `svid` is the latest example):
 *
 * 1. add its name to {@link ProfileName} and an entry to {@link PROFILES}: its `distinctive`
 *    claims become reserved for every other kind at once (a caller of /auth can then never set
 *    them), and `reservedSubjectPrefixes` keeps other kinds from naming its subjects;
 * 2. add its routes to `src/http/routes.ts` with `profile: "<name>"`;
 * 3. mint with `mint(ctx.profile(name), {...})` from `src/profiles/mint.ts`, nothing else.
 *
 * The config may override per kind (see `src/config/profiles.ts`): `audiences`,
 * `max_ttl_seconds`, `key` (a kid from `keys:`), `typ`, `issuer`, and for /auth `claims` (the
 * ClaimBuilder mapping).
 *
 * @module
 */

/** Every kind of token. */
export type ProfileName =
  | "auth"
  | "registry"
  | "refresh"
  | "command"
  | "kubernetes"
  | "svid"
  | "api"
  | "account"
  | "client"
  | "exchange";

/** Who may call an endpoint minting this kind. */
export type CallerRule =
  /** Anyone who can reach the port, unless `require_authentication.<key>` is on. */
  | { readonly mode: "anonymous_unless_required"; readonly requireKey: RequireAuthKey }
  /** Always an authenticated caller (Basic, trusted proxy, or a grant). */
  | { readonly mode: "authenticated" };

/** Keys of `require_authentication`. */
export type RequireAuthKey = "auth" | "command" | "kubernetes";

/** Where a kind's `aud` comes from. */
export type AudienceRule =
  /** Only from the profile's configured allow-list (the first is the default). */
  | "allow_list"
  /** The registry `service` the caller asked for, from `services`. */
  | "registry_service"
  /** One fixed value no relying party is configured with. */
  | "fixed"
  /** Named by the caller; must be in the allow-list when one is configured, and never another
   * kind's audience (a registry service, the refresh audience). */
  | "requested"
  /** Exactly one string (never a list): a SPIFFE ID of the configured trust domain, the
   * verifier's own identity (JWT-SVID §3, spiffile PROFILE §3). */
  | "spiffe_id";

/** One row of the table. */
export interface ProfileDef {
  readonly name: ProfileName;
  /** What this kind is for (README and `--help`). */
  readonly summary: string;
  /** Route templates that mint this kind (documentation; the route table is authoritative). */
  readonly endpoints: readonly string[];
  readonly caller: CallerRule;
  /**
   * Claims a caller may set in the request: `"allowed_custom_claims"` means any claim, filtered
   * by the config's `allowed_custom_claims`; a list names the only ones.
   */
  readonly callerClaims: "allowed_custom_claims" | readonly string[];
  /** Claims that make this kind what it is; no other kind may carry them. */
  readonly distinctive: readonly string[];
  /** `sub` prefixes that belong to this kind; no other kind may sign such a subject. */
  readonly reservedSubjectPrefixes: readonly string[];
  /**
   * The form `sub` must take: `spiffe_id` is a SPIFFE ID of the configured trust domain; absent,
   * any StringOrURI that no other kind owns.
   */
  readonly subjectForm?: "spiffe_id";
  /** JWS `typ` header (RFC 8725 §3.11), unless the config overrides it. */
  readonly typ: string;
  readonly audience: AudienceRule;
  /** Lifetime floor in seconds (the consumer's own minimum). */
  readonly minTtlSeconds: number;
}

/**
 * Claims no caller and no config may set, for every kind: the registered claims the server
 * writes (RFC 7519 §4.1) and `typ`, which belongs in the JWS header (RFC 8725 §3.11).
 */
export const REGISTERED_RESERVED: readonly string[] = ["iss", "iat", "nbf", "exp", "jti", "typ"];

/** The JWS `typ` of refresh tokens: never accepted where an access token is expected. */
export const REFRESH_TYP = "kp-refresh+jwt";
/** `aud` of refresh tokens: no registry is configured with this service name. */
export const REFRESH_AUDIENCE = "urn:keypebble:refresh";
/** The `sub` prefix of Kubernetes service-account tokens. */
export const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
/** The `sub` prefix of JWT-SVIDs: a SPIFFE ID (SPIFFE-ID §2). */
export const SPIFFE_SUBJECT_PREFIX = "spiffe://";

/** The table. Order is the order of the README's endpoint list. */
export const PROFILES: Readonly<Record<ProfileName, ProfileDef>> = Object.freeze({
  auth: {
    name: "auth",
    summary: "General-purpose token: claims from the request (allow-listed) and the config",
    endpoints: ["POST /auth", "keypebble issue"],
    caller: { mode: "anonymous_unless_required", requireKey: "auth" },
    callerClaims: "allowed_custom_claims",
    distinctive: [],
    reservedSubjectPrefixes: [],
    typ: "JWT",
    audience: "allow_list",
    minTtlSeconds: 1,
  },
  registry: {
    name: "registry",
    summary: "Distribution registry access token: `access` is the request intersected with policy",
    endpoints: ["GET /v2/token", "POST /v2/token"],
    caller: { mode: "authenticated" },
    callerClaims: [],
    distinctive: ["access"],
    reservedSubjectPrefixes: [],
    // Explicit typing (RFC 8725 §3.11): registry 2.8 does not read `typ`, and accepts this one
    // (tests/e2e/registry_kinds_test.ts, with skopeo); `profiles.registry.typ: JWT` reverts it.
    typ: "kp-registry+jwt",
    audience: "registry_service",
    // The token spec: clients assume 60 seconds when unsure; never issue less.
    minTtlSeconds: 60,
  },
  refresh: {
    name: "refresh",
    summary: "Registry refresh token (OAuth2 offline access), redeemable only at POST /v2/token",
    endpoints: ["GET /v2/token?offline_token=true", "POST /v2/token"],
    caller: { mode: "authenticated" },
    callerClaims: [],
    distinctive: ["service", "client_id"],
    reservedSubjectPrefixes: [],
    typ: REFRESH_TYP,
    audience: "fixed",
    minTtlSeconds: 60,
  },
  command: {
    name: "command",
    summary: "Authorises one command on one target; `target` is `aud`, the command is signed",
    endpoints: ["POST /command/token", "keypebble command"],
    caller: { mode: "anonymous_unless_required", requireKey: "command" },
    callerClaims: ["sub", "aud", "command"],
    distinctive: ["command"],
    reservedSubjectPrefixes: [],
    typ: "kp-command+jwt",
    audience: "requested",
    minTtlSeconds: 1,
  },
  kubernetes: {
    name: "kubernetes",
    summary: "Kubernetes service-account token (TokenRequest)",
    endpoints: [
      "POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
      "POST /apis/authentication.k8s.io/v1/namespaces/{ns}/serviceaccounts/{name}/token",
    ],
    caller: { mode: "anonymous_unless_required", requireKey: "kubernetes" },
    callerClaims: ["aud"],
    distinctive: ["kubernetes.io"],
    reservedSubjectPrefixes: [SERVICE_ACCOUNT_PREFIX],
    // Kubernetes' own tokens carry "JWT"; its relying parties expect nothing else.
    typ: "JWT",
    audience: "requested",
    minTtlSeconds: 600,
  },
  svid: {
    name: "svid",
    summary: "SPIFFE JWT-SVID: ES256 with the SPIFFE issuer's own P-256 key, `sub` a SPIFFE ID, " +
      "one `aud`",
    endpoints: ["POST /spiffe/v1/svid"],
    caller: { mode: "authenticated" },
    callerClaims: ["sub", "aud"],
    distinctive: [],
    // Only SVIDs are about a SPIFFE ID: a token of any other kind with such a `sub` could be
    // taken for one by a relying party that does not check `typ`.
    reservedSubjectPrefixes: [SPIFFE_SUBJECT_PREFIX],
    subjectForm: "spiffe_id",
    // spiffile PROFILE §3 (and JWT-SVID §3): `typ` is "JWT" or "JOSE"; the key (the issuer key
    // of src/spiffe/authority.ts, kid its RFC 7638 thumbprint, never x5c) is not configurable.
    typ: "JWT",
    audience: "spiffe_id",
    minTtlSeconds: 1,
  },
  api: {
    name: "api",
    summary:
      "Access token exchanged for an API key (client credentials): the key's scopes and claims",
    endpoints: ["POST /oauth2/token (grant_type=client_credentials)"],
    caller: { mode: "authenticated" },
    // A client may narrow `scope` and pick one of the key's audiences; the rest is the key's.
    callerClaims: ["scope", "aud"],
    distinctive: [],
    reservedSubjectPrefixes: [],
    // RFC 9068 §2.1: JWT access tokens are typed at+jwt.
    typ: "at+jwt",
    audience: "requested",
    minTtlSeconds: 60,
  },
  account: {
    name: "account",
    summary:
      "A stored account's access token (pico-auth's login and refresh, the password and refresh_token grants): sub, email, role, org_id, groups",
    endpoints: [
      "POST /api/v1/auth/login",
      "POST /api/v1/auth/refresh",
      "POST /oauth2/token (grant_type=password, refresh_token)",
    ],
    caller: { mode: "authenticated" },
    callerClaims: [],
    // An account's organisation: no other kind may carry it, so no other token can pass for an
    // account's at the account and admin routes (which read the role from the store, never from
    // the token). `role` stays free for /auth tokens, where it is a common custom claim.
    distinctive: ["org_id"],
    reservedSubjectPrefixes: [],
    typ: "at+jwt",
    audience: "requested",
    minTtlSeconds: 60,
  },
  client: {
    name: "client",
    summary: "Access token of a client declared in oauth.clients (client credentials)",
    endpoints: ["POST /oauth2/token (grant_type=client_credentials)"],
    caller: { mode: "authenticated" },
    callerClaims: ["scope", "aud"],
    distinctive: [],
    reservedSubjectPrefixes: [],
    typ: "at+jwt",
    audience: "requested",
    minTtlSeconds: 60,
  },
  exchange: {
    name: "exchange",
    summary:
      "RFC 8693 token exchange: a trusted issuer's JWT or one of our access tokens, narrowed in scope and audience",
    endpoints: ["POST /oauth2/token (grant_type=urn:ietf:params:oauth:grant-type:token-exchange)"],
    caller: { mode: "authenticated" },
    callerClaims: ["scope", "aud"],
    distinctive: [],
    reservedSubjectPrefixes: [],
    typ: "at+jwt",
    audience: "requested",
    minTtlSeconds: 1,
  },
});

/** Every kind's name, in table order. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.keys(PROFILES) as ProfileName[];

/**
 * The claims a request to `name` may never set: the registered claims, `typ`, and every other
 * kind's distinctive claims. A kind's own distinctive claims are written by its handler through
 * the mint function (`own`), never copied from a request's free-form claims.
 */
export function reservedClaims(name: ProfileName): ReadonlySet<string> {
  const out = new Set<string>(REGISTERED_RESERVED);
  for (const def of Object.values(PROFILES)) {
    if (def.name !== name) { for (const c of def.distinctive) out.add(c); }
  }
  return out;
}

/** The `sub` prefixes other kinds own: a token of `name` may not carry such a subject. */
export function foreignSubjectPrefixes(name: ProfileName): readonly string[] {
  const out: string[] = [];
  for (const def of Object.values(PROFILES)) {
    if (def.name !== name) out.push(...def.reservedSubjectPrefixes);
  }
  return out;
}

/** Whether `name` is a profile name (for the config's `profiles:` keys). */
export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}
