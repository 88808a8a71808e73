/**
 * `POST /oauth2/token` (RFC 6749 §3.2): a form body, a `grant_type` dispatched through
 * {@link GRANTS}, and answers that are never cached (§5.1: `Cache-Control: no-store`,
 * `Pragma: no-cache`). Errors carry RFC 6749 §5.2 codes in `error`, with `error_description`
 * and our usual `message`.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";
import { NO_CACHE, oauthError, readOAuthForm } from "./form.ts";
import { GRANTS } from "./grants.ts";

/** Handle `POST /oauth2/token`. */
export async function postOAuthToken(ctx: RequestContext): Promise<Response> {
  try {
    // §3.2: parameters must not be repeated.
    const form = await readOAuthForm(ctx);
    const grantType = form.get("grant_type");
    if (grantType === null || grantType === "") {
      throw KeypebbleError.answer("invalid_request", "grant_type is required");
    }
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
    if (grant === undefined) {
      throw KeypebbleError.answer(
        "unsupported_grant_type",
        `Grant type ${JSON.stringify(grantType.slice(0, 64))} is not supported`,
      );
    }
    return json(await grant(ctx, form), 200, NO_CACHE);
  } catch (e) {
    return oauthError(e);
  }
}
