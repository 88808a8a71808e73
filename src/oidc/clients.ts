/**
 * One view of an OpenID Connect client, whether declared in the config (`oauth.clients[]` with
 * `redirect_uris`) or kept in the store (the admin API). A config client wins over a stored one
 * of the same id, so the operator's file is the last word.
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

/** A config client as an OIDC client, or null when it has no redirect URIs (not a sign-in one). */
export function clientFromConfig(c: OAuthClientConfig): OidcClient | null {
  if (c.redirectUris.length === 0) return null;
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
