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
 * 2. add its routes to its feature folder's route list (assembled in `src/app/routes.ts`) with
 *    `profile: "<name>"`, its caller declaration and the capability it needs; list the consumers
 *    that accept it in `acceptedBy`;
 * 3. mint with `mint(ctx.profile(name), {..., record})` from `src/profiles/mint.ts`, nothing else.
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
  | "exchange"
  | "id";

/**
 * A place where Keypebble itself accepts one of its own tokens. Each kind lists the consumers that
 * accept it ({@link ProfileDef.acceptedBy}); a consumer accepts nothing else. Kinds whose claims a
 * caller chose (`auth`, `command`, `kubernetes`) are accepted by no consumer.
 *
 * - `introspection`: `POST /oauth2/introspect` answers `active: true` (RFC 7662);
 * - `exchange_subject`, `exchange_actor`: RFC 8693 `subject_token` and `actor_token`;
 * - `account_routes`: the bearer token of the account, admin and group routes;
 * - `registry_refresh`: the `refresh_token` grant of `POST /v2/token`;
 * - `revocation`: `POST /oauth2/revoke` records its `jti` (possession is enough, RFC 7009).
 */
export type Consumer =
  | "introspection"
  | "exchange_subject"
  | "exchange_actor"
  | "account_routes"
  | "registry_refresh"
  | "revocation";

/**
 * The claim naming the kind a token was minted as, written by the mint path for every kind some
 * consumer accepts (and for none other): a consumer reads it, after the signature, to decide. No
 * caller, config or key can set it (it is reserved for every kind).
 */
export const KIND_CLAIM = "kp_kind";
/** Exchanged tokens: the `jti`s of the tokens they came from, nearest first (RFC 8693 lineage). */
export const PARENT_CLAIM = "kp_parent";
/** Exchanged tokens: what the first token of the chain was about, for revocation by key/org/account. */
export const ROOT_CLAIM = "kp_root";
/** Claims only the server writes, on every kind. */
export const INTERNAL_CLAIMS: readonly string[] = [KIND_CLAIM, PARENT_CLAIM, ROOT_CLAIM];

/** Claims of an account token that no API key may carry (a key's stored claims are the grantor's). */
export const ACCOUNT_CLAIM_NAMES: readonly string[] = [
  "role",
  "email",
  "preferred_username",
  "groups",
  "org_id",
];

/**
 * Who may call an endpoint minting this kind. Closed unless opened: an anonymous caller is let in
 * only where the rule allows it AND the listener is loopback or the kind is listed in the
 * config's `anonymous:`.
 */
export type CallerRule =
  /** Anonymous callers too (when opened), unless `require_authentication.<key>` is on. */
  | { readonly mode: "anonymous_unless_required"; readonly requireKey: RequireAuthKey }
  /** Anonymous callers only when the kind is listed in `anonymous:` (even on loopback). */
  | { readonly mode: "anonymous_if_listed" }
  /** Always an authenticated caller (Basic, trusted proxy, an API key, or a grant). */
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
  | "spiffe_id"
  /** Exactly one string: the OpenID Connect client the ID token is for (Core §2 `aud`), chosen
   * by code from a redeemed authorization code, never by a request. */
  | "client_id";

/** One row of the table. */
export interface ProfileDef {
  readonly name: ProfileName;
  /** What this kind is for (the docs and `--help`). */
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
  /**
   * Claims that free-form claims of this kind (a request's, a key's stored ones) may never carry,
   * beyond the registered claims and other kinds' distinctive ones.
   */
  readonly refusedClaims?: readonly string[];
  /** The consumers that accept a token of this kind (none: only outside relying parties do). */
  readonly acceptedBy: readonly Consumer[];
  /**
   * Audiences of this kind are the server's (an account's, a client's, an exchange's): they are
   * reserved from every kind whose audience a caller or a grantor picks.
   */
  readonly serverAudience: boolean;
}

/**
 * Claims no caller and no config may set, for every kind: the registered claims the server
 * writes (RFC 7519 §4.1) and `typ`, which belongs in the JWS header (RFC 8725 §3.11).
 */
export const REGISTERED_RESERVED: readonly string[] = [
  "iss",
  "iat",
  "nbf",
  "exp",
  "jti",
  "typ",
  ...INTERNAL_CLAIMS,
];

/** The JWS `typ` of refresh tokens: never accepted where an access token is expected. */
export const REFRESH_TYP = "kp-refresh+jwt";
/** `aud` of refresh tokens: no registry is configured with this service name. */
export const REFRESH_AUDIENCE = "urn:keypebble:refresh";
/** The `sub` prefix of Kubernetes service-account tokens. */
export const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
/** The `sub` prefix of JWT-SVIDs: a SPIFFE ID (SPIFFE-ID §2). */
export const SPIFFE_SUBJECT_PREFIX = "spiffe://";

/** The table. Order is the order of the endpoint list in docs/endpoints.md. */
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
    acceptedBy: [],
    serverAudience: false,
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
    acceptedBy: [],
    serverAudience: false,
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
    acceptedBy: ["registry_refresh", "revocation"],
    serverAudience: false,
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
    acceptedBy: [],
    serverAudience: false,
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
    acceptedBy: [],
    serverAudience: false,
  },
  svid: {
    name: "svid",
    summary: "SPIFFE JWT-SVID: ES256 with the SPIFFE issuer's own P-256 key, `sub` a SPIFFE ID, " +
      "one `aud`",
    endpoints: ["POST /spiffe/v1/svid"],
    caller: { mode: "anonymous_if_listed" },
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
    acceptedBy: [],
    serverAudience: false,
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
    // A key's stored claims are chosen by whoever created the key: never an account's claims
    // (nor this kind's own), so no key's token can pass for an account's (role, email, ...).
    refusedClaims: [...ACCOUNT_CLAIM_NAMES, "client_id", "org", "scope", "act"],
    acceptedBy: ["introspection", "exchange_subject", "exchange_actor", "revocation"],
    serverAudience: false,
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
    acceptedBy: [
      "introspection",
      "exchange_subject",
      "exchange_actor",
      "account_routes",
      "revocation",
    ],
    serverAudience: true,
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
    acceptedBy: ["introspection", "exchange_subject", "exchange_actor", "revocation"],
    serverAudience: true,
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
    acceptedBy: ["introspection", "exchange_subject", "revocation"],
    serverAudience: true,
  },
  id: {
    name: "id",
    summary:
      "OpenID Connect ID token (sign in with Keypebble): aud the client, nonce, auth_time, amr, at_hash, sid; an asymmetric key only",
    endpoints: ["POST /oauth2/token (grant_type=authorization_code)"],
    caller: { mode: "authenticated" },
    callerClaims: [],
    // What makes an ID token one (OpenID Connect Core §2): no other kind may carry these, so no
    // token a caller shapes (/auth, /command) can pass for an ID token, and an `id_token_hint`
    // is recognised by its `sid` and `auth_time`.
    distinctive: ["nonce", "auth_time", "amr", "at_hash", "sid", "azp"],
    reservedSubjectPrefixes: [],
    // Core §2 allows "JWT"; relying parties (oauth4webapi, authlib) expect nothing else.
    typ: "JWT",
    audience: "client_id",
    minTtlSeconds: 60,
    // An ID token says who signed in; it is never an access token: no consumer accepts it, and
    // it carries no kind claim (only kinds some consumer accepts do).
    acceptedBy: [],
    serverAudience: true,
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
  for (const c of PROFILES[name].refusedClaims ?? []) out.add(c);
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

/** The kinds a consumer accepts (the `acceptedBy` column read the other way). */
export function kindsAcceptedBy(consumer: Consumer): ReadonlySet<ProfileName> {
  const out = new Set<ProfileName>();
  for (const def of Object.values(PROFILES)) {
    if (def.acceptedBy.includes(consumer)) out.add(def.name);
  }
  return out;
}

/**
 * The kind one of our verified tokens was minted as: its {@link KIND_CLAIM}, or for a registry
 * refresh token its `typ` and audience. `undefined` for every kind no consumer accepts (their
 * tokens carry no kind claim), so a consumer that asks "is it one I accept" says no to them.
 * Account tokens minted before the kind claim existed are recognised by `at+jwt` and `org_id`.
 */
export function kindOfToken(
  typ: string | undefined,
  payload: Readonly<Record<string, unknown>>,
): ProfileName | undefined {
  const k = payload[KIND_CLAIM];
  if (typeof k === "string") return isProfileName(k) ? k : undefined;
  if (typ === REFRESH_TYP && payload.aud === REFRESH_AUDIENCE) return "refresh";
  if (typ === "at+jwt" && typeof payload.org_id === "string") return "account";
  return undefined;
}
