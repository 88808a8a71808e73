/**
 * `POST /oauth2/introspect` (RFC 7662) and `POST /oauth2/revoke` (RFC 7009).
 *
 * Introspection needs a caller holding the `introspect` capability (§2.1): a client of
 * `oauth.clients`, or an API key with the `introspect` or `admin` scope (the route declares it).
 * It answers `{"active": false}` for anything not currently valid and never says why (§2.2):
 * unknown, expired, revoked (the one revocation list), another issuer's token, and every kind the
 * `introspection` consumer does not accept (src/profiles/table.ts: tokens whose claims a caller
 * chose, registry tokens and refresh JWTs). For an active access token: its claims, `token_type`
 * `Bearer`, and `username` (the account's e-mail) for account tokens; an account refresh token
 * (`kprt_…`, or an imported pico-auth one) introspects as `token_type: "refresh_token"` while its family lives.
 *
 * Revocation (§2.1) accepts an account refresh token (its whole family is revoked) or one of our
 * JWTs of a kind the `revocation` consumer accepts (its `jti` is kept as revoked until the token's
 * expiry; every consumer refuses it and every token exchanged from it). Possessing a token is
 * enough to revoke it; when client credentials are sent they must be valid. An unknown or invalid
 * token gets 200 too (§2.2): revocation never tells a caller whether a token existed.
 */

import { hasRefreshTokenForm } from "../accounts/service.ts";
import { KeypebbleError } from "../errors.ts";
import { json, NO_CACHE } from "../http/mod.ts";
import { type Ctx, noteAudit, verifyOwnToken } from "../trust/mod.ts";
import { ACCOUNT_CLAIMS, TOKEN_CLAIMS } from "./claim_names.ts";

const SHOWN: readonly string[] = [...TOKEN_CLAIMS, ...ACCOUNT_CLAIMS, "act", "org"];

/** Handle `POST /oauth2/introspect` (the caller holds `introspect`). */
export async function postIntrospect(ctx: Ctx): Promise<Response> {
  const token = ctx.form.get("token");
  if (token === null || token === "") {
    throw KeypebbleError.answer("invalid_request", "token is required");
  }
  return json(await _introspect(ctx, token), 200, NO_CACHE);
}

const INACTIVE = Object.freeze({ active: false });

async function _introspect(ctx: Ctx, token: string): Promise<Record<string, unknown>> {
  const accounts = ctx.services.accounts;
  if (hasRefreshTokenForm(token)) {
    if (accounts === undefined) return INACTIVE;
    const rec = await accounts.peekRefresh(token);
    if (
      rec === undefined || rec.usedAt !== null || rec.revokedAt !== null ||
      rec.expiresAt <= ctx.nowSec
    ) return INACTIVE;
    const user = await accounts.store.users.byId(rec.userId);
    if (user === undefined || user.status !== "active") return INACTIVE;
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
    v = await verifyOwnToken(ctx, token, "introspection");
  } catch (e) {
    if (e instanceof KeypebbleError && e.status < 500) return INACTIVE;
    throw e;
  }
  const out: Record<string, unknown> = { active: true, token_type: "Bearer" };
  for (const k of SHOWN) if (v.payload[k] !== undefined) out[k] = v.payload[k];
  if (v.kind === "account" && typeof v.payload.email === "string") {
    out.username = v.payload.email;
  }
  return out;
}

/** Handle `POST /oauth2/revoke`. */
export async function postRevoke(ctx: Ctx): Promise<Response> {
  const token = ctx.form.get("token");
  if (token === null || token === "") {
    throw KeypebbleError.answer("invalid_request", "token is required");
  }
  const store = ctx.services.accounts?.store ?? ctx.services.apiKeys?.store;
  if (store === undefined) {
    throw KeypebbleError.answer("unsupported_token_type", "Revocation needs a store");
  }
  // The audit event (`token.revoked`) names what was revoked; nothing revoked, nothing recorded.
  noteAudit(ctx, { skip: true });
  if (hasRefreshTokenForm(token)) {
    const family = await ctx.services.accounts?.revokeRefresh(token);
    if (family !== undefined) {
      noteAudit(ctx, {
        skip: false,
        target: family.userId,
        details: { refresh_family: family.familyId },
      });
    }
  } else {
    try {
      const v = await verifyOwnToken(ctx, token, "revocation");
      const { jti, exp } = v.payload;
      if (typeof jti === "string" && typeof exp === "number") {
        await store.revocations.revoke(jti, Math.ceil(exp), ctx.nowSec);
        ctx.services.revocations.apply({ kind: "jti", jti });
        const sub = v.payload.sub;
        noteAudit(ctx, {
          skip: false,
          target: typeof sub === "string" ? sub : jti,
          details: { kind: v.kind, jti },
        });
      }
    } catch (e) {
      // §2.2: invalid tokens do not cause an error response.
      if (!(e instanceof KeypebbleError && e.status < 500)) throw e;
    }
  }
  return new Response(null, { status: 200, headers: NO_CACHE });
}
