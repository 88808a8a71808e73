/**
 * The `password` (RFC 6749 §4.3) and `refresh_token` (§6) grants for stored accounts. Client
 * authentication is optional, as at pico-auth's login (the password or the refresh token is the
 * credential); when a client authenticates, the refresh family is bound to it and only it may
 * refresh. `username` is an e-mail address (with `@`) or a username. Refresh tokens rotate: each
 * is single use, and a used one presented again revokes its family. Requested scopes are ignored
 * (accounts carry a role, not scopes; §3.3 lets the server ignore them).
 */

import { loginAccount } from "../accounts/login.ts";
import { accountService, tokenPair } from "../accounts/token.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { authenticateClient } from "./client_auth.ts";
import type { TokenResponse } from "./grants.ts";

function _accounts(ctx: RequestContext, grant: string) {
  if (ctx.services.accounts === undefined) {
    // Without accounts the grant does not exist here (RFC 6749 §5.2).
    throw KeypebbleError.answer("unsupported_grant_type", `Grant type "${grant}" is not supported`);
  }
  return accountService(ctx);
}

function _required(form: URLSearchParams, name: string): string {
  const v = form.get(name);
  if (v === null || v === "") throw KeypebbleError.answer("invalid_request", `${name} is required`);
  return v;
}

/** Handle `grant_type=password`. */
export async function passwordGrant(
  ctx: RequestContext,
  form: URLSearchParams,
): Promise<TokenResponse> {
  const svc = _accounts(ctx, "password");
  const client = await authenticateClient(ctx, form, { required: false });
  const username = _required(form, "username");
  const password = _required(form, "password");
  let user;
  try {
    user = await loginAccount(
      ctx,
      username.includes("@") ? { email: username } : { username },
      password,
    );
  } catch (e) {
    // §5.2: bad resource owner credentials are invalid_grant (400), not a 401.
    if (e instanceof KeypebbleError && (e.code === "unauthorized" || e.code === "forbidden")) {
      throw KeypebbleError.answer("invalid_grant", e.message);
    }
    throw e;
  }
  const { raw } = await svc.issueRefresh(user, { clientId: client?.id ?? null });
  const pair = await tokenPair(ctx, user, raw, client === null ? {} : { clientId: client.id });
  return pair as unknown as TokenResponse;
}

/** Handle `grant_type=refresh_token` (account refresh tokens, rotated). */
export async function refreshTokenGrant(
  ctx: RequestContext,
  form: URLSearchParams,
): Promise<TokenResponse> {
  const svc = _accounts(ctx, "refresh_token");
  const client = await authenticateClient(ctx, form, { required: false });
  const raw = _required(form, "refresh_token");
  const rotation = await svc.rotate(raw, {
    clientId: client?.id ?? null,
    logger: ctx.services.logger,
  });
  ctx.subject = rotation.user.id;
  const pair = await tokenPair(
    ctx,
    rotation.user,
    rotation.refreshToken,
    rotation.record.clientId === null ? {} : { clientId: rotation.record.clientId },
  );
  return pair as unknown as TokenResponse;
}
