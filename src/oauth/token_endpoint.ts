/**
 * `POST /oauth2/token` (RFC 6749 §3.2): a form body (no parameter repeated), a `grant_type`
 * dispatched through {@link GRANTS} when this config serves it, and answers that are never cached
 * (§5.1: `Cache-Control: no-store`, `Pragma: no-cache`). Errors are written in the OAuth style by
 * the route (RFC 6749 §5.2 codes in `error`, with `error_description` and our `message`).
 */

import { KeypebbleError } from "../errors.ts";
import { json, NO_CACHE } from "../http/mod.ts";
import type { Ctx } from "../trust/mod.ts";
import { GRANTS, grantTypesServed } from "./grants.ts";

/** Handle `POST /oauth2/token`. */
export async function postOAuthToken(ctx: Ctx): Promise<Response> {
  const grantType = ctx.form.get("grant_type");
  if (grantType === null || grantType === "") {
    throw KeypebbleError.answer("invalid_request", "grant_type is required");
  }
  const grant = Object.hasOwn(GRANTS, grantType) && grantTypesServed(ctx).includes(grantType)
    ? GRANTS[grantType]
    : undefined;
  if (grant === undefined) {
    throw KeypebbleError.answer(
      "unsupported_grant_type",
      `Grant type ${JSON.stringify(grantType.slice(0, 64))} is not supported`,
    );
  }
  return json(await grant(ctx), 200, NO_CACHE);
}
