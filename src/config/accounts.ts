/**
 * The `accounts` and `oauth` sections (issue 13): stored accounts with pico-auth's API, and the
 * OAuth2 server's declared clients and trusted issuers for token exchange.
 *
 * ```yaml
 * accounts:
 *   registration: off            # open | off (an admin can switch it at run time)
 *   password_min_length: 8
 *   admin_email: admin@example.com
 *   admin_password_path: /run/credentials/keypebble/admin-password   # optional
 *   default_org: default
 *   access_ttl_seconds: 900      # capped by max_ttl_seconds
 *   refresh_ttl_seconds: 2592000
 *   refresh_reuse_seconds: 30    # a just-used refresh token returns the same successor this long
 *   audience: my-api             # aud of account tokens (default: the top-level audience)
 *   session_ttl_seconds: 28800   # browser sign-in sessions (issue 24)
 *   totp_required_roles: [superadmin, org_admin]   # these roles must use a second factor
 *   totp_issuer: Keypebble       # the name authenticator apps show (default: the issuer's host)
 * oauth:
 *   clients:
 *     - id: ci
 *       secret_hash: "$pbkdf2-sha256$…"      # from `keypebble hash-password`
 *       audiences: [deploy-api]
 *       scopes: [deploy, read]
 *     - id: wiki                             # OpenID Connect: sign in with Keypebble
 *       name: Team wiki                      # shown on the consent page
 *       public: true                         # no secret: PKCE only (a SPA or native app)
 *       first_party: true                    # no consent screen
 *       redirect_uris: ["https://wiki.example/callback", "http://127.0.0.1/callback"]
 *       post_logout_redirect_uris: ["https://wiki.example/"]
 *   trusted_issuers:                        # subject tokens for RFC 8693 token exchange
 *     - issuer: https://kubernetes.default.svc
 *       jwks_uri: https://10.0.0.1:6443/openid/v1/jwks
 *       audiences: [keypebble]              # the subject token must be meant for us
 *       scopes: [deploy]                    # scopes an exchanged token may carry
 *       cache_seconds: 300
 *       subject_prefix: "cluster-a:"          # sub of exchanged tokens: cluster-a:<their sub>
 *   exchange_audiences: [deploy-api]        # audiences an exchanged token may be minted for
 * ```
 */

import { KeypebbleError } from "../errors.ts";
import type { SectionReader } from "./where.ts";
import { redirectUriProblem } from "./redirect_uris.ts";

/** `open` lets anyone register; `off` leaves account creation to administrators. */
export type Registration = "open" | "off";

/** The validated `accounts` section. */
export interface AccountsConfig {
  readonly registration: Registration;
  readonly passwordMinLength: number;
  /** Registrations accepted per client address per hour (`accounts.registrations_per_hour`). */
  readonly registrationsPerHour?: number;
  readonly adminEmail: string;
  readonly adminPasswordPath?: string;
  readonly defaultOrg: string;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  /**
   * Seconds after a refresh during which presenting the same refresh token again returns the
   * same successor (a client whose answer was lost retries) instead of revoking the family.
   * 0 turns the window off; default 30.
   */
  readonly refreshReuseSeconds?: number;
  readonly audience?: string;
  /** Lifetime of a browser sign-in session (issue 24); absent: the sign-in default. */
  readonly sessionTtlSeconds?: number;
  /** Roles that must sign in with a second factor (issue 24). */
  readonly totpRequiredRoles?: readonly string[];
  /** The issuer name in otpauth URIs (no colon); absent: the issuer's host. */
  readonly totpIssuer?: string;
}

/**
 * One client declared in the config: `client_credentials` with its secret, and (issue 24)
 * OpenID Connect sign-in when it has `redirect_uris`.
 */
export interface OAuthClientConfig {
  readonly id: string;
  /** Shown on the consent page (default: the id). */
  readonly name?: string;
  /** PBKDF2 hash of the client secret; absent for a public client. */
  readonly secretHash?: string;
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  /** No secret (`public: true`): PKCE only, never client credentials. */
  readonly public: boolean;
  /** Registered redirect URIs, matched exactly (loopback: any port). */
  readonly redirectUris: readonly string[];
  /** Where RP-initiated logout may send the browser. */
  readonly postLogoutRedirectUris: readonly string[];
  /** No consent screen (`first_party: true`). */
  readonly firstParty: boolean;
}

/** An issuer whose JWTs may be exchanged (RFC 8693). */
export interface TrustedIssuerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  readonly cacheSeconds: number;
  /** Put before the subject token's `sub` in exchanged tokens (e.g. `cluster-a:`, which makes a URI of it). */
  readonly subjectPrefix: string;
}

/** The validated `oauth` section. */
export interface OAuthConfig {
  readonly clients: readonly OAuthClientConfig[];
  readonly trustedIssuers: readonly TrustedIssuerConfig[];
  readonly exchangeAudiences: readonly string[];
  /** RFC 8693 token exchange is served (off unless `oauth.token_exchange: true`). */
  readonly tokenExchange: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SCOPE = /^[\x21-\x7e]{1,128}$/;
const ROLE = /^(superadmin|org_admin|operator|viewer)$/;
const PBKDF2 = /^\$pbkdf2-sha256\$(?:i=)?[1-9][0-9]{3,7}\$[A-Za-z0-9+/.]{11,}\$[A-Za-z0-9+/.]{43}$/;

/** Read the sections; returns the fields to spread into the `Config`. */
export function readAccountSections(
  top: Record<string, unknown>,
  reader: SectionReader,
): { accounts?: AccountsConfig; oauth?: OAuthConfig } {
  const fail = (field: string, problem: string): never => {
    throw new KeypebbleError("config_invalid", `${reader.where(field)}: ${problem}`);
  };
  const mapping = (v: unknown, field: string, keys: string[]): Record<string, unknown> => {
    if (v === null || v === undefined) return {};
    if (typeof v !== "object" || Array.isArray(v)) fail(field, "must be a mapping");
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        fail(`${field}.${k}`, `is not a known setting (known: ${keys.join(", ")})`);
      }
    }
    return o;
  };
  const str = (v: unknown, field: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.trim() === "") fail(field, "must be a non-empty string");
    return v as string;
  };
  const int = (v: unknown, field: string, min: number, max: number): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      fail(field, `must be an integer between ${min} and ${max}`);
    }
    return v as number;
  };
  const list = (v: unknown, field: string, re: RegExp): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(field, "must be a list of strings");
    return (v as unknown[]).map((s, i) => {
      if (typeof s !== "string" || !re.test(s)) fail(`${field}[${i}]`, "is not a valid value");
      return s as string;
    });
  };
  const url = (v: unknown, field: string): string => {
    const s = str(v, field);
    if (s === undefined) return fail(field, "is required");
    if (!/^https?:\/\/[^\s]+$/.test(s)) fail(field, 'must be an "https://" (or "http://") URL');
    return s;
  };
  const bool = (v: unknown, field: string): boolean => {
    if (v === undefined || v === null) return false;
    if (typeof v !== "boolean") fail(field, "must be true or false");
    return v as boolean;
  };
  const uris = (v: unknown, field: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(field, "must be a list of URIs");
    const out: string[] = [];
    (v as unknown[]).forEach((u, i) => {
      if (typeof u !== "string") return fail(`${field}[${i}]`, "must be a string");
      const problem = redirectUriProblem(u);
      if (problem !== null) fail(`${field}[${i}]`, problem);
      if (out.includes(u)) fail(`${field}[${i}]`, `duplicates "${u}"`);
      out.push(u);
    });
    return out;
  };
  const out: { accounts?: AccountsConfig; oauth?: OAuthConfig } = {};
  if (top.accounts !== undefined) {
    const a = mapping(top.accounts, "accounts", [
      "registration",
      "password_min_length",
      "registrations_per_hour",
      "admin_email",
      "admin_password_path",
      "default_org",
      "access_ttl_seconds",
      "refresh_ttl_seconds",
      "refresh_reuse_seconds",
      "audience",
      "session_ttl_seconds",
      "totp_required_roles",
      "totp_issuer",
    ]);
    // YAML 1.1 readers turn a bare `off` into false; accept both spellings.
    let registration: Registration = "off";
    if (a.registration === "open" || a.registration === true) registration = "open";
    else if (a.registration !== undefined && a.registration !== "off" && a.registration !== false) {
      fail("accounts.registration", 'must be "open" or "off"');
    }
    const adminEmail = str(a.admin_email, "accounts.admin_email") ?? "admin@localhost";
    if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
      fail("accounts.admin_email", "must be an e-mail address");
    }
    const adminPasswordPath = reader.path(a.admin_password_path, "accounts.admin_password_path");
    const defaultOrg = str(a.default_org, "accounts.default_org") ?? "default";
    if (!ID.test(defaultOrg)) fail("accounts.default_org", "is not a valid organisation name");
    const audience = str(a.audience, "accounts.audience");
    const reuse = int(a.refresh_reuse_seconds, "accounts.refresh_reuse_seconds", 0, 300);
    const sessionTtl = int(a.session_ttl_seconds, "accounts.session_ttl_seconds", 300, 2_592_000);
    const totpRoles = a.totp_required_roles === undefined || a.totp_required_roles === null
      ? undefined
      : list(a.totp_required_roles, "accounts.totp_required_roles", ROLE);
    const totpIssuer = str(a.totp_issuer, "accounts.totp_issuer");
    if (totpIssuer !== undefined && (totpIssuer.includes(":") || totpIssuer.length > 64)) {
      fail("accounts.totp_issuer", "must be at most 64 characters without a colon");
    }
    out.accounts = {
      registration,
      passwordMinLength: int(a.password_min_length, "accounts.password_min_length", 8, 128) ?? 8,
      registrationsPerHour:
        int(a.registrations_per_hour, "accounts.registrations_per_hour", 1, 100_000) ?? 20,
      adminEmail: adminEmail.toLowerCase(),
      ...(adminPasswordPath === undefined ? {} : { adminPasswordPath }),
      defaultOrg,
      accessTtlSeconds: int(a.access_ttl_seconds, "accounts.access_ttl_seconds", 60, 86_400) ??
        900,
      refreshTtlSeconds:
        int(a.refresh_ttl_seconds, "accounts.refresh_ttl_seconds", 300, 31_536_000) ??
          2_592_000,
      ...(reuse === undefined ? {} : { refreshReuseSeconds: reuse }),
      ...(audience === undefined ? {} : { audience }),
      ...(sessionTtl === undefined ? {} : { sessionTtlSeconds: sessionTtl }),
      ...(totpRoles === undefined ? {} : { totpRequiredRoles: totpRoles }),
      ...(totpIssuer === undefined ? {} : { totpIssuer }),
    };
    if (top.store === undefined) fail("accounts", 'needs a "store" section to keep accounts in');
  }
  if (top.oauth !== undefined) {
    const o = mapping(top.oauth, "oauth", [
      "clients",
      "trusted_issuers",
      "exchange_audiences",
      "token_exchange",
    ]);
    const clients: OAuthClientConfig[] = [];
    if (o.clients !== undefined && o.clients !== null) {
      if (!Array.isArray(o.clients)) fail("oauth.clients", "must be a list");
      (o.clients as unknown[]).forEach((raw, i) => {
        const f = `oauth.clients[${i}]`;
        const c = mapping(raw, f, [
          "id",
          "name",
          "secret_hash",
          "audiences",
          "scopes",
          "public",
          "redirect_uris",
          "post_logout_redirect_uris",
          "first_party",
        ]);
        const id = str(c.id, `${f}.id`) ?? fail(`${f}.id`, "is required");
        if (!ID.test(id)) fail(`${f}.id`, "must be letters, digits and . _ : - (at most 128)");
        if (clients.some((x) => x.id === id)) fail(`${f}.id`, `duplicates client "${id}"`);
        if (id.startsWith("keypebble:")) fail(`${f}.id`, 'must not start with "keypebble:"');
        const isPublic = bool(c.public, `${f}.public`);
        const secretHash = str(c.secret_hash, `${f}.secret_hash`);
        if (isPublic && secretHash !== undefined) {
          fail(`${f}.secret_hash`, "must not be set for a public client (public: true)");
        }
        if (!isPublic && secretHash === undefined) {
          fail(
            `${f}.secret_hash`,
            'is required (make one with "keypebble hash-password"), unless the client is ' +
              "public: true",
          );
        }
        // The form of `keypebble hash-password` (and passlib's); checked in full at use.
        if (secretHash !== undefined && !PBKDF2.test(secretHash)) {
          fail(
            `${f}.secret_hash`,
            'must be a "$pbkdf2-sha256$" hash from "keypebble hash-password"',
          );
        }
        const redirectUris = uris(c.redirect_uris, `${f}.redirect_uris`);
        const postLogout = uris(c.post_logout_redirect_uris, `${f}.post_logout_redirect_uris`);
        if (isPublic && redirectUris.length === 0) {
          fail(`${f}.redirect_uris`, "must list at least one URI for a public client");
        }
        const name = str(c.name, `${f}.name`);
        if (name !== undefined && name.length > 128) {
          fail(`${f}.name`, "must be at most 128 characters");
        }
        clients.push({
          id,
          ...(name === undefined ? {} : { name }),
          ...(secretHash === undefined ? {} : { secretHash }),
          audiences: list(c.audiences, `${f}.audiences`, SCOPE),
          scopes: list(c.scopes, `${f}.scopes`, SCOPE),
          public: isPublic,
          redirectUris,
          postLogoutRedirectUris: postLogout,
          firstParty: bool(c.first_party, `${f}.first_party`),
        });
      });
    }
    const trustedIssuers: TrustedIssuerConfig[] = [];
    if (o.trusted_issuers !== undefined && o.trusted_issuers !== null) {
      if (!Array.isArray(o.trusted_issuers)) fail("oauth.trusted_issuers", "must be a list");
      (o.trusted_issuers as unknown[]).forEach((raw, i) => {
        const f = `oauth.trusted_issuers[${i}]`;
        const t = mapping(raw, f, [
          "issuer",
          "jwks_uri",
          "audiences",
          "scopes",
          "cache_seconds",
          "subject_prefix",
        ]);
        const issuer = str(t.issuer, `${f}.issuer`) ?? fail(`${f}.issuer`, "is required");
        const audiences = list(t.audiences, `${f}.audiences`, SCOPE);
        if (audiences.length === 0) {
          fail(`${f}.audiences`, "must name at least one audience the subject token is for");
        }
        trustedIssuers.push({
          issuer,
          jwksUri: url(t.jwks_uri, `${f}.jwks_uri`),
          audiences,
          scopes: list(t.scopes, `${f}.scopes`, SCOPE),
          cacheSeconds: int(t.cache_seconds, `${f}.cache_seconds`, 10, 86_400) ?? 300,
          // An outside subject never passes for one of ours: by default it is namespaced by its
          // issuer ("" must be written out, and `check` warns about it).
          subjectPrefix: t.subject_prefix === undefined || t.subject_prefix === null
            ? `${issuer}#`
            : typeof t.subject_prefix === "string" && t.subject_prefix.length <= 256
            ? t.subject_prefix
            : fail(`${f}.subject_prefix`, "must be a string of at most 256 characters"),
        });
      });
    }
    out.oauth = {
      clients,
      trustedIssuers,
      exchangeAudiences: list(o.exchange_audiences, "oauth.exchange_audiences", SCOPE),
      tokenExchange: _bool(o.token_exchange, "oauth.token_exchange", fail),
    };
  }
  return out;
}

function _bool(v: unknown, field: string, fail: (f: string, p: string) => never): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") fail(field, "must be true or false");
  return v as boolean;
}
