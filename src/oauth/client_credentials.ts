/**
 * The client credentials grant (RFC 6749 §4.4), for two kinds of client: an API key
 * (`client_id` the key's id, the secret the key itself; the token is of the `api` profile with
 * the key's scopes and stored claims) and a client declared in the config (`oauth.clients`; the
 * token's `sub` and `client_id` are the client id, `scope` within its scopes, `aud` one of its
 * audiences). A requested `scope` must be a subset of what the client holds (§3.3), a requested
 * `audience` (or `resource`, RFC 8707) one of its audiences.
 */

import { KeypebbleError } from "../errors.ts";
import { mint } from "../profiles/mint.ts";
import { type Ctx, issuedBy } from "../trust/mod.ts";
import { mintApiToken } from "./api_profile.ts";
import type { TokenResponse } from "./grants.ts";

/** Requested scopes (space-separated, RFC 6749 §3.3) within `held`; all of `held` when none. */
export function grantedScopes(requested: string | null, held: readonly string[]): string[] {
  if (requested === null || requested.trim() === "") return [...held];
  const wanted = requested.trim().split(/ +/);
  const missing = wanted.filter((s) => !held.includes(s));
  if (missing.length > 0) {
    throw KeypebbleError.answer(
      "invalid_scope",
      `The client does not hold scope ${JSON.stringify(missing[0].slice(0, 128))}`,
    );
  }
  return [...new Set(wanted)];
}

/** Handle `grant_type=client_credentials`. */
export async function clientCredentialsGrant(ctx: Ctx): Promise<TokenResponse> {
  const client = ctx.caller;
  const form = ctx.form;
  if (client === null || (client.kind !== "api_key" && client.kind !== "client")) {
    throw KeypebbleError.answer(
      "invalid_client",
      "Client authentication is required: client_id and client_secret, or HTTP Basic",
      { headers: { "www-authenticate": `Basic realm="${ctx.rt.config.realm}"` } },
    );
  }
  const audience = form.get("audience") ?? form.get("resource") ?? undefined;
  if (client.kind === "api_key") {
    const { key } = client;
    const scopes = grantedScopes(form.get("scope"), key.scopes);
    if (audience !== undefined && !key.audiences.includes(audience)) {
      throw KeypebbleError.answer("invalid_target", "The audience is not allowed for this key");
    }
    const minted = await mintApiToken(ctx, {
      key,
      scopes,
      ...(audience === undefined ? {} : { audience }),
    });
    return {
      access_token: minted.token,
      token_type: "Bearer",
      expires_in: minted.expiresIn,
      ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
    };
  }
  if (client.stored === true) {
    // Its tokens would die at once: a client's token lives while `oauth.clients` declares it.
    throw KeypebbleError.answer(
      "unauthorized_client",
      "A sign-in client kept in the store has no client credentials grant; declare it in oauth.clients",
    );
  }
  const c = client.client;
  const scopes = grantedScopes(form.get("scope"), c.scopes);
  if (audience !== undefined && !c.audiences.includes(audience)) {
    throw KeypebbleError.answer("invalid_target", "The audience is not allowed for this client");
  }
  const profile = ctx.rt.profiles.client;
  const minted = await mint(profile, {
    now: ctx.nowSec,
    subject: c.id,
    audience: audience ?? c.audiences[0] ?? profile.audiences?.[0] ?? ctx.rt.config.issuer,
    own: { client_id: c.id, ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }) },
    ttlSeconds: ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900,
    record: issuedBy(ctx),
  });
  return {
    access_token: minted.token,
    token_type: "Bearer",
    expires_in: minted.ttl,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
  };
}
