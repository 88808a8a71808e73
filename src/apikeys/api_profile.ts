/**
 * The `api` token profile: what a JWT exchanged for an API key carries. `sub` and `client_id` are
 * the key's id (RFC 9068 §2.2 for client credentials), `org` its organisation, `scope` the granted
 * scopes, `aud` one of the key's audiences (or the config's audience), then the key's stored
 * claims; the registered claims are the server's. The lifetime is `store.token_ttl_seconds`,
 * capped by `max_ttl_seconds`.
 *
 * Minting goes through the one signing path (`signAccessToken`); this adapter is the single
 * place to re-point when the profile table takes over.
 */

import { clampTtl, randomJti, registeredClaims } from "../claims/mod.ts";
import type { RequestContext } from "../http/context.ts";
import { signAccessToken } from "../http/issue.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";

/** Claims no stored key claim may replace. */
const FIXED = new Set([
  "iss",
  "sub",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
  "scope",
  "client_id",
  "org",
]);

/** The claims of an `api` token. */
export function apiTokenClaims(
  key: ApiKeyWithOrg,
  input: {
    issuer: string;
    now: number;
    ttlSeconds: number;
    jti: string;
    scopes: readonly string[];
    audience?: string;
  },
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(key.claims)) if (!FIXED.has(k)) claims[k] = v;
  claims.sub = key.id;
  claims.client_id = key.id;
  claims.org = key.orgName;
  if (input.scopes.length > 0) claims.scope = input.scopes.join(" ");
  if (input.audience !== undefined) claims.aud = input.audience;
  return {
    ...claims,
    ...registeredClaims({
      issuer: input.issuer,
      now: input.now,
      ttlSeconds: input.ttlSeconds,
      jti: input.jti,
    }),
  };
}

/** Sign an `api` token for `key`. */
export async function mintApiToken(
  ctx: RequestContext,
  input: { key: ApiKeyWithOrg; scopes: readonly string[]; audience?: string },
): Promise<{ token: string; expiresIn: number }> {
  const { config } = ctx.rt;
  const ttl = clampTtl(ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900, {
    defaultTtl: 900,
    maxTtl: config.maxTtlSeconds,
  });
  const audience = input.audience ?? input.key.audiences[0] ?? config.audience;
  const claims = apiTokenClaims(input.key, {
    issuer: config.issuer,
    now: ctx.nowSec,
    ttlSeconds: ttl,
    jti: randomJti(),
    scopes: input.scopes,
    ...(audience === undefined ? {} : { audience }),
  });
  return { token: await signAccessToken(ctx, { kind: "api", claims }), expiresIn: ttl };
}
