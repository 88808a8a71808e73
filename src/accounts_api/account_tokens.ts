/**
 * The `account` token profile: what a stored account's access token carries. `sub` is the
 * account id, then `email`, `role`, `org_id` and `groups` (group ids, as pico-auth puts them),
 * `preferred_username` when the account has one, `scope` when asked, `client_id` (the
 * authenticated client, or {@link PUBLIC_CLIENT_ID}), `aud` from `accounts.audience` (else the
 * kind's first configured audience, else the issuer), the kind claim, and the registered claims,
 * always the server's. The header `typ` is `at+jwt` (RFC 9068 §2.1). Lifetime:
 * `accounts.access_ttl_seconds`, capped by `max_ttl_seconds`.
 */

import type { UserRecord } from "../store/mod.ts";
import { mint } from "../profiles/mint.ts";
import { type Ctx, requireAccounts } from "../trust/mod.ts";

/**
 * `client_id` of account tokens issued without an authenticated client (pico-auth's login, the
 * password grant of a public client): RFC 9068 §2.2 requires the claim, and no configured client
 * may take this id.
 */
export const PUBLIC_CLIENT_ID = "keypebble:accounts";

/** An account's own claims (the `account` kind's, set by code, never by a request). */
export function accountClaims(
  user: UserRecord,
  input: { groups: readonly string[]; scope?: string; clientId?: string },
): Record<string, unknown> {
  return {
    email: user.email,
    role: user.role,
    org_id: user.orgId,
    groups: [...input.groups],
    ...(user.username === null ? {} : { preferred_username: user.username }),
    ...(input.scope === undefined ? {} : { scope: input.scope }),
    client_id: input.clientId ?? PUBLIC_CLIENT_ID,
  };
}

/** The `aud` of account tokens under the current config (the audience model's, resolved once). */
export function accountAudience(ctx: Ctx): string {
  return ctx.rt.profiles.account.defaultAudience ?? ctx.rt.config.issuer;
}

/** Sign an access token for `user` through the one mint path (`account` profile). */
export async function mintAccountToken(
  ctx: Ctx,
  user: UserRecord,
  options: { scope?: string; clientId?: string } = {},
): Promise<{ token: string; expiresIn: number; jti: string }> {
  const svc = requireAccounts(ctx);
  const minted = await mint(ctx.rt.profiles.account, {
    now: ctx.nowSec,
    subject: user.id,
    audience: accountAudience(ctx),
    own: accountClaims(user, { groups: await svc.groupIds(user.id), ...options }),
    ttlSeconds: svc.config.accessTtlSeconds,
  });
  ctx.services.metrics.tokensIssued.labels("account", minted.alg).inc();
  return { token: minted.token, expiresIn: minted.ttl, jti: minted.jti };
}

/** pico-auth's login answer: access and refresh token, `Bearer`, lifetime in seconds. */
export async function tokenPair(
  ctx: Ctx,
  user: UserRecord,
  refreshToken: string,
  options: { scope?: string; clientId?: string } = {},
): Promise<Record<string, unknown>> {
  const at = await mintAccountToken(ctx, user, options);
  return {
    access_token: at.token,
    refresh_token: refreshToken,
    token_type: "Bearer",
    expires_in: at.expiresIn,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  };
}
