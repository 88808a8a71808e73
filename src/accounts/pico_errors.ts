/**
 * Errors on pico-auth's paths: our usual body (`error`, a stable code, and `message`) plus
 * `detail`, the field pico-auth's clients read on a 401 or 403 (its FastAPI layer answers
 * `{"detail": …}` there), so those clients see the refusal where they look for it.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";

/** A route handler. */
type Handle = (ctx: RequestContext) => Response | Promise<Response>;

/** Wrap a pico-auth route so that its client errors also carry `detail`. */
export function picoRoute(fn: Handle): Handle {
  return async (ctx) => {
    try {
      return await fn(ctx);
    } catch (e) {
      if (e instanceof KeypebbleError && e.status < 500) {
        return json({ error: e.code, message: e.message, detail: e.message }, e.status, {
          ...e.headers,
        });
      }
      throw e;
    }
  };
}
