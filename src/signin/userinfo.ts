/**
 * `GET /userinfo` and `POST /userinfo` (OpenID Connect Core §5.3): the claims of the account
 * behind a bearer access token (RFC 6750 §2.1, the `Authorization` header), limited by the
 * token's scope: `sub` always, the name claims with `profile`, the address with `email`
 * (`src/oidc/userinfo.ts`). The token must be an `account` access token (the route's declared
 * caller: the one authentication step verifies it, its revocation and the account's status) that
 * was granted `openid`. Errors follow RFC 6750 §3: 401 with `WWW-Authenticate: Bearer
 * error="invalid_token"`, 403 `insufficient_scope`.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { json, NO_CACHE } from "../http/mod.ts";
import { userinfoAllowed, userinfoClaims } from "../oidc/mod.ts";
import { type Ctx, requireSignin } from "../trust/mod.ts";

/** Handle `GET|POST /userinfo`. */
export async function userinfo(ctx: Ctx): Promise<Response> {
  await requireSignin(ctx);
  const c = ctx.caller;
  if (c === null || c.kind !== "account") {
    throw KeypebbleError.answer("unauthorized", "A bearer access token is required", {
      headers: { "www-authenticate": `Bearer realm="${ctx.rt.config.realm}"` },
    });
  }
  const scopes = (c.token.scope ?? "").split(" ").filter((x) => x !== "");
  if (!userinfoAllowed(scopes)) {
    // RFC 6750 §3.1: the token is valid but was not granted what this resource needs.
    throw KeypebbleError.answer(
      "insufficient_scope",
      'The access token was not granted the "openid" scope',
      {
        headers: {
          "www-authenticate": 'Bearer error="insufficient_scope", scope="openid"',
        },
      },
    );
  }
  return json(userinfoClaims(c.account, scopes), 200, NO_CACHE);
}
