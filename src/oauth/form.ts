/**
 * What the OAuth endpoints (`/oauth2/token`, `/oauth2/introspect`, `/oauth2/revoke`) share: a
 * form body whose parameters must not be repeated (RFC 6749 §3.2), answers that are never cached
 * (§5.1), and errors with RFC 6749 §5.2 codes in `error`, plus `error_description` and our usual
 * `message`.
 */

import { KeypebbleError } from "../errors.ts";
import { readForm } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";

/** Headers for an OAuth answer that must not be cached. */
export const NO_CACHE = { "cache-control": "no-store", pragma: "no-cache" };

/** Read the form body, refusing a repeated parameter with `invalid_request`. */
export async function readOAuthForm(ctx: RequestContext): Promise<URLSearchParams> {
  const form = await readForm(ctx.req, ctx.rt.config.limits.maxBodyBytes);
  for (const [name] of form) {
    if (form.getAll(name).length > 1) {
      throw KeypebbleError.answer(
        "invalid_request",
        `Parameter "${name.slice(0, 32)}" is repeated`,
      );
    }
  }
  return form;
}

/** The answer for a client error (status below 500); anything else is rethrown. */
export function oauthError(e: unknown): Response {
  if (e instanceof KeypebbleError && e.status < 500) {
    return json(
      { error: e.code, error_description: e.message, message: e.message },
      e.status,
      { ...e.headers, ...NO_CACHE },
    );
  }
  throw e;
}
