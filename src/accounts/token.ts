/**
 * The `account` token profile: what a stored account's access token carries. `sub` is the
 * account id, then `email`, `role`, `org_id` and `groups` (group ids, as pico-auth puts them),
 * `scope` when asked, `client_id` (the authenticated client, or {@link PUBLIC_CLIENT_ID}), `aud` from `accounts.audience` or
 * the config's audience, and the registered claims, always the server's. The header `typ` is
 * `at+jwt` (RFC 9068 §2.1), which no other kind uses: an account token is recognised by it, so
 * no other kind can pass for one. Lifetime: `accounts.access_ttl_seconds`, capped by
 * `max_ttl_seconds`.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { verifyJws } from "../jose/mod.ts";
import { mint } from "../profiles/mint.ts";
import type { UserRecord } from "../store/mod.ts";
import type { AccountService } from "./service.ts";

/**
 * `client_id` of account tokens issued without an authenticated client (pico-auth's login, the
 * password grant of a public client): RFC 9068 §2.2 requires the claim, and no configured client
 * may take this id.
 */
export const PUBLIC_CLIENT_ID = "keypebble:accounts";

/** The header `typ` of account access tokens (RFC 9068). */
export const ACCOUNT_TYP = "at+jwt";

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

/** The account service, or 404 when accounts are not configured. */
export function accountService(ctx: RequestContext): AccountService {
  const svc = ctx.services.accounts;
  if (svc === undefined) {
    throw new KeypebbleError("not_found", "Accounts are not enabled (no accounts section)");
  }
  return svc;
}

/** Sign an access token for `user` through the one mint path (`account` profile). */
export async function mintAccountToken(
  ctx: RequestContext,
  user: UserRecord,
  options: { scope?: string; clientId?: string } = {},
): Promise<{ token: string; expiresIn: number }> {
  const svc = accountService(ctx);
  const { config } = ctx.rt;
  const profile = ctx.rt.profiles.account;
  const minted = await mint(profile, {
    now: ctx.nowSec,
    subject: user.id,
    // The top-level `audience` is the registry's service: never an account token's.
    audience: svc.config.audience ?? profile.audiences?.[0] ?? config.issuer,
    own: accountClaims(user, { groups: await svc.groupIds(user.id), ...options }),
    ttlSeconds: svc.config.accessTtlSeconds,
  });
  ctx.services.metrics.tokensIssued.labels("account", minted.alg).inc();
  return { token: minted.token, expiresIn: minted.ttl };
}

/** pico-auth's login answer: access and refresh token, `Bearer`, lifetime in seconds. */
export async function tokenPair(
  ctx: RequestContext,
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

function _bearerError(message: string, code = "invalid_token"): KeypebbleError {
  return new KeypebbleError("unauthorized", message, {
    headers: { "www-authenticate": `Bearer error="${code}"` },
  });
}

/**
 * The account behind `Authorization: Bearer <account token>`: the token is verified (our keys,
 * our issuer, `typ` `at+jwt`), its `jti` must not be revoked, and the account must exist and be
 * active. The role is read from the store, not the token, so a role change applies at once.
 */
export async function requireAccount(ctx: RequestContext): Promise<UserRecord> {
  const svc = accountService(ctx);
  const header = ctx.req.headers.get("authorization");
  const m = header === null ? null : /^Bearer +([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (m === null) {
    ctx.services.metrics.authFailures.labels("missing_credentials").inc();
    throw new KeypebbleError("unauthorized", "A bearer access token is required", {
      headers: { "www-authenticate": `Bearer realm="${ctx.rt.config.realm}"` },
    });
  }
  let payload: Record<string, unknown>;
  const profile = ctx.rt.profiles.account;
  try {
    ({ payload } = await verifyJws(m[1], ctx.rt.keyring.keys, {
      now: ctx.nowSec,
      issuer: profile.issuer,
      typ: String(profile.signer.header.typ),
      leeway: 0,
    }));
    // The account kind's own claim: only an account token carries it (profile table).
    if (typeof payload.org_id !== "string") {
      throw new KeypebbleError("invalid_token_type", "This is not an account's access token");
    }
  } catch (e) {
    ctx.services.metrics.authFailures.labels("bad_token").inc();
    if (e instanceof KeypebbleError) {
      throw _bearerError(`The access token is not valid: ${e.message}`);
    }
    throw e;
  }
  if (typeof payload.jti === "string" && await svc.store.revocations.isRevoked(payload.jti)) {
    throw _bearerError("The access token has been revoked");
  }
  const user = typeof payload.sub === "string"
    ? await svc.store.users.byId(payload.sub)
    : undefined;
  if (user === undefined) throw _bearerError("The account no longer exists");
  if (user.status !== "active") throw _bearerError("The account is suspended");
  ctx.subject = user.id;
  return user;
}
