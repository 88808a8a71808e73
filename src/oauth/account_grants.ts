/**
 * The `password` (RFC 6749 §4.3) and `refresh_token` (§6) grants for stored accounts. Client
 * authentication is optional, as at pico-auth's login (the password or the refresh token is the
 * credential); when a client authenticates, the refresh family is bound to it and only it may
 * refresh (at this endpoint: pico-auth's refresh route has no client authentication and refuses a
 * bound family). `username` is an e-mail address (with `@`) or a username. Refresh tokens rotate:
 * each is single use, and a used one presented again revokes its family. Requested scopes are
 * ignored (accounts carry a role, not scopes; §3.3 lets the server ignore them). An account
 * with a second factor sends its code as `otp` with the password (issue 24); a public sign-in
 * client refreshes the family of its codes by naming itself with `client_id`.
 */

import { tokenPair } from "../accounts_api/account_tokens.ts";
import { KeypebbleError } from "../errors.ts";
import {
  admitAccount,
  clientsOf,
  type Ctx,
  loginWithSecondFactor,
  requireAccounts,
  signinOn,
} from "../trust/mod.ts";
import type { TokenResponse } from "./grants.ts";

function _required(form: URLSearchParams, name: string): string {
  const v = form.get(name);
  if (v === null || v === "") throw KeypebbleError.answer("invalid_request", `${name} is required`);
  return v;
}

/**
 * The client's id: the authenticated client's, or a public sign-in client's named by
 * `client_id` (it has no secret; RFC 6749 §3.2.1), or null when no client is named.
 */
async function _clientId(ctx: Ctx): Promise<string | null> {
  const c = ctx.caller;
  if (c !== null && (c.kind === "client" || c.kind === "api_key")) return c.subject;
  const named = ctx.form.get("client_id");
  if (named === null || named === "" || !signinOn(ctx)) return null;
  const client = await clientsOf(ctx.rt.config, requireAccounts(ctx).store)(named.slice(0, 128));
  return client !== undefined && client.secretHash === null ? client.id : null;
}

/** Handle `grant_type=password`. */
export async function passwordGrant(ctx: Ctx): Promise<TokenResponse> {
  const svc = requireAccounts(ctx);
  const clientId = await _clientId(ctx);
  const username = _required(ctx.form, "username");
  const password = _required(ctx.form, "password");
  let user;
  try {
    // `otp`: the second factor of an account that has one (issue 24; not in RFC 6749).
    user = await loginWithSecondFactor(
      ctx,
      username.includes("@") ? { email: username } : { username },
      password,
      ctx.form.get("otp"),
    );
  } catch (e) {
    // §5.2: bad resource owner credentials are invalid_grant (400), not a 401.
    if (e instanceof KeypebbleError && (e.code === "unauthorized" || e.code === "forbidden")) {
      throw KeypebbleError.answer("invalid_grant", e.message);
    }
    throw e;
  }
  const refresh = await svc.issueRefresh(user, { clientId });
  const pair = await tokenPair(ctx, user, refresh, clientId === null ? {} : { clientId });
  return pair as unknown as TokenResponse;
}

/** Handle `grant_type=refresh_token` (account refresh tokens, rotated). */
export async function refreshTokenGrant(ctx: Ctx): Promise<TokenResponse> {
  const svc = requireAccounts(ctx);
  const raw = _required(ctx.form, "refresh_token");
  const rotation = await svc.rotate(raw, {
    clientId: await _clientId(ctx),
    logger: ctx.services.logger,
  });
  try {
    await admitAccount(ctx, rotation.user);
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "forbidden") {
      throw KeypebbleError.answer("invalid_grant", e.message);
    }
    throw e;
  }
  // A family started by sign-in keeps its scope (`openid profile email`): its next access
  // tokens still reach /userinfo (OpenID Connect Core §12.2).
  const pair = await tokenPair(
    ctx,
    rotation.user,
    { raw: rotation.refreshToken, record: rotation.record },
    {
      ...(rotation.record.clientId === null ? {} : { clientId: rotation.record.clientId }),
      ...(rotation.record.scope === null ? {} : { scope: rotation.record.scope }),
    },
  );
  return pair as unknown as TokenResponse;
}
