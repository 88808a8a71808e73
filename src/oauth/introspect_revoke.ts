/**
 * `POST /oauth2/introspect` (RFC 7662) and `POST /oauth2/revoke` (RFC 7009).
 *
 * Introspection needs an authenticated client (§2.1): a client of `oauth.clients`, or an API key
 * holding the `introspect` or `admin` scope. It answers `{"active": false}` for anything not
 * currently valid (unknown, expired, revoked, an account that is no longer active, another
 * issuer's token) and never says why (§2.2). For an active token: its claims, `token_type`, and
 * `username` (the account's e-mail) for account tokens.
 *
 * Revocation (§2.1) accepts an account refresh token (its whole family is revoked) or one of our
 * JWTs (its `jti` is kept as revoked until the token's expiry; introspection, the account routes,
 * token exchange and `keypebble verify` refuse it). Possessing a token is enough to revoke it;
 * when client credentials are sent they must be valid. An unknown or invalid token gets 200 too
 * (§2.2): revocation never tells a caller whether a token existed.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";
import { ACCOUNT_CLAIMS, TOKEN_CLAIMS } from "./claim_names.ts";
import { authenticateClient } from "./client_auth.ts";
import { NO_CACHE, oauthError, readOAuthForm } from "./form.ts";
import { revocationStore, verifyPresentedJwt } from "./subject_token.ts";

const SHOWN: readonly string[] = [...TOKEN_CLAIMS, ...ACCOUNT_CLAIMS];

/** Handle `POST /oauth2/introspect`. */
export async function postIntrospect(ctx: RequestContext): Promise<Response> {
  try {
    const form = await readOAuthForm(ctx);
    const client = (await authenticateClient(ctx, form, { required: true }))!;
    if (
      client.kind === "api_key" &&
      !client.key.scopes.includes("introspect") && !client.key.scopes.includes("admin")
    ) {
      throw new KeypebbleError(
        "insufficient_scope",
        'Introspection needs a key with the "introspect" scope',
      );
    }
    const token = form.get("token");
    if (token === null || token === "") {
      throw new KeypebbleError("invalid_request", "token is required");
    }
    return json(await _introspect(ctx, token), 200, NO_CACHE);
  } catch (e) {
    return oauthError(e);
  }
}

async function _introspect(ctx: RequestContext, token: string): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  const accounts = ctx.services.accounts;
  if (token.startsWith("kprt_")) {
    if (accounts === undefined) return inactive;
    const rec = await accounts.peekRefresh(token);
    if (
      rec === undefined || rec.usedAt !== null || rec.revokedAt !== null ||
      rec.expiresAt <= ctx.nowSec
    ) return inactive;
    const user = await accounts.store.users.byId(rec.userId);
    if (user === undefined || user.status !== "active") return inactive;
    return {
      active: true,
      token_type: "refresh_token",
      sub: user.id,
      username: user.email,
      iss: ctx.rt.config.issuer,
      iat: rec.createdAt,
      exp: rec.expiresAt,
      ...(rec.clientId === null ? {} : { client_id: rec.clientId }),
    };
  }
  let v;
  try {
    v = await verifyPresentedJwt(ctx, token, { trustedIssuers: false });
  } catch (e) {
    if (e instanceof KeypebbleError && e.status < 500) return inactive;
    throw e;
  }
  const out: Record<string, unknown> = { active: true, token_type: "Bearer" };
  for (const k of SHOWN) if (v.payload[k] !== undefined) out[k] = v.payload[k];
  if (typeof v.payload.email === "string") out.username = v.payload.email;
  return out;
}

/** Handle `POST /oauth2/revoke`. */
export async function postRevoke(ctx: RequestContext): Promise<Response> {
  try {
    const form = await readOAuthForm(ctx);
    await authenticateClient(ctx, form, { required: false });
    const token = form.get("token");
    if (token === null || token === "") {
      throw new KeypebbleError("invalid_request", "token is required");
    }
    const store = revocationStore(ctx);
    if (store === undefined) {
      throw new KeypebbleError("unsupported_token_type", "Revocation needs a store");
    }
    if (token.startsWith("kprt_")) {
      if (await ctx.services.accounts?.revokeRefresh(token)) {
        ctx.services.logger.info("token_revoked", { kind: "refresh_family" });
      }
    } else {
      try {
        const v = await verifyPresentedJwt(ctx, token, { trustedIssuers: false });
        const { jti, exp } = v.payload;
        if (typeof jti === "string" && typeof exp === "number") {
          await store.revocations.revoke(jti, Math.ceil(exp), ctx.nowSec);
          ctx.services.logger.info("token_revoked", { kind: "jwt", jti });
        }
      } catch (e) {
        // §2.2: invalid tokens do not cause an error response.
        if (!(e instanceof KeypebbleError && e.status < 500)) throw e;
      }
    }
    return new Response(null, { status: 200, headers: NO_CACHE });
  } catch (e) {
    return oauthError(e);
  }
}
