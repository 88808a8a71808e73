/**
 * One view of an OpenID Connect client, whether declared in the config (`oauth.clients[]` with
 * `redirect_uris`) or kept in the store (the admin API). A config client wins over a stored one
 * of the same id, so the operator's file is the last word. With it, the rules of a client's
 * fields that the authorization endpoint and the admin API share: the shape of a client id, a
 * stored client's id, scope tokens (redirect URIs: `src/config/redirect_uris.ts`).
 *
 * @module
 */

import type { OAuthClientConfig } from "../config/mod.ts";
import type { OidcClientRecord } from "../store/mod.ts";

/** A client that can sign people in. */
export interface OidcClient {
  readonly id: string;
  /** Shown on the consent page. */
  readonly name: string;
  /** PBKDF2 hash of the secret; null for a public client (PKCE only). */
  readonly secretHash: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Scopes beyond the identity scopes the client may ask for. */
  readonly scopes: readonly string[];
  /** Audiences its access tokens may carry. */
  readonly audiences: readonly string[];
  /** No consent screen. */
  readonly firstParty: boolean;
  readonly source: "config" | "store";
}

/** The identity scopes every sign-in client may ask for (OpenID Connect Core §5.4, §11). */
export const IDENTITY_SCOPES: readonly string[] = ["openid", "profile", "email", "offline_access"];

/**
 * The shape of a client id (`client_id`): 1 to 128 letters, digits and `. _ : -`, starting with
 * a letter or digit.
 */
export const CLIENT_ID: RegExp = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

/**
 * Whether `s` is a scope-token (RFC 6749 §3.3) of at most 128 characters:
 * what a client may hold, and so what a request may ask for.
 */
export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/** An API key's id has this form: a stored client's id never does (both authenticate clients). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The problem with `id` as the id of a client kept in the store, or null: the shape of
 * {@link CLIENT_ID}, not `keypebble:…` (the server's own clients), not a UUID (an API key's id).
 * The problem is a phrase to follow the field's name ("must be …").
 */
export function storedClientIdProblem(id: unknown): string | null {
  return typeof id !== "string" || !CLIENT_ID.test(id) || id.startsWith("keypebble:") ||
      UUID.test(id)
    ? 'must be 1 to 128 letters, digits and . _ : - (not a UUID, not "keypebble:…")'
    : null;
}

/**
 * A stored client's scopes as kept: each once, without the identity scopes (every sign-in client
 * has those already).
 */
export function storedClientScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].filter((s) => !IDENTITY_SCOPES.includes(s));
}

/**
 * Any config client (sign-in or client-credentials) in the one client view, for listings; see
 * {@link clientFromConfig} for the clients that can sign people in.
 */
export function clientViewOfConfig(c: OAuthClientConfig): OidcClient {
  return {
    id: c.id,
    name: c.name ?? c.id,
    secretHash: c.secretHash ?? null,
    redirectUris: c.redirectUris,
    postLogoutRedirectUris: c.postLogoutRedirectUris,
    scopes: c.scopes,
    audiences: c.audiences,
    firstParty: c.firstParty,
    source: "config",
  };
}

/** A config client as an OIDC client, or null when it has no redirect URIs (not a sign-in one). */
export function clientFromConfig(c: OAuthClientConfig): OidcClient | null {
  return c.redirectUris.length === 0 ? null : clientViewOfConfig(c);
}

/** A stored client as an OIDC client. */
export function clientFromRecord(r: OidcClientRecord): OidcClient {
  return {
    id: r.id,
    name: r.name,
    secretHash: r.secretHash,
    redirectUris: r.redirectUris,
    postLogoutRedirectUris: r.postLogoutRedirectUris,
    scopes: r.scopes,
    audiences: r.audiences,
    firstParty: r.firstParty,
    source: "store",
  };
}

/** Finds a client by id: config first, then the store. */
export type ClientLookup = (clientId: string) => Promise<OidcClient | undefined>;

/**
 * A {@link ClientLookup} over the config's clients (indexed once) and, when given, the store's.
 *
 * @example
 * ```ts
 * const lookup = clientLookup(rt.config.oauth?.clients ?? [], (id) => store.oidcClients.byId(id));
 * ```
 */
export function clientLookup(
  configClients: readonly OAuthClientConfig[],
  stored?: (id: string) => Promise<OidcClientRecord | undefined>,
): ClientLookup {
  const declared = new Map<string, OidcClient | null>();
  for (const c of configClients) declared.set(c.id, clientFromConfig(c));
  return async (id: string) => {
    if (declared.has(id)) return declared.get(id) ?? undefined;
    if (stored === undefined) return undefined;
    const r = await stored(id);
    return r === undefined ? undefined : clientFromRecord(r);
  };
}

/** Whether `client` may be granted `scope`. */
export function scopeAllowed(client: OidcClient, scope: string): boolean {
  return IDENTITY_SCOPES.includes(scope) || client.scopes.includes(scope);
}
