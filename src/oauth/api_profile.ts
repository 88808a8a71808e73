/**
 * Minting the `api` kind (`src/profiles/table.ts`) for a key, through the one mint path: `sub` and
 * `client_id` are the key's id (RFC 9068 §2.2 for client credentials), `org` its organisation,
 * `scope` the granted scopes, `aud` the requested audience or the key's first (else the profile's
 * first audience, the config's `audience`, or the issuer itself), then the claims stored with the
 * key (checked by the mint against every kind's reserved claims); `iss`, `iat`, `nbf`, `exp` and
 * `jti` are the server's. The lifetime is `store.token_ttl_seconds`, capped by the profile.
 */

import { mint } from "../profiles/mint.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";
import type { Ctx } from "../trust/mod.ts";

/** Sign an `api` token for `key`. */
export async function mintApiToken(
  ctx: Ctx,
  input: { key: ApiKeyWithOrg; scopes: readonly string[]; audience?: string },
): Promise<{ token: string; expiresIn: number; jti: string }> {
  const { config } = ctx.rt;
  const profile = ctx.rt.profiles.api;
  const audience = input.audience ?? input.key.audiences[0] ?? profile.defaultAudience ??
    config.issuer;
  const minted = await mint(profile, {
    now: ctx.nowSec,
    subject: input.key.id,
    audience,
    claims: input.key.claims,
    own: {
      client_id: input.key.id,
      org: input.key.orgName,
      ...(input.scopes.length === 0 ? {} : { scope: input.scopes.join(" ") }),
    },
    ttlSeconds: ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900,
  });
  ctx.services.metrics.tokensIssued.labels("api", minted.alg).inc();
  return { token: minted.token, expiresIn: minted.ttl, jti: minted.jti };
}
