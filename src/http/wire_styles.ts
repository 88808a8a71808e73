/**
 * One error writer per wire style, chosen by the route's declaration (`RouteDecl.style`): the
 * same refusal reaches each family of clients where it looks for it. Codes map to statuses in
 * `src/errors.ts` only; a style adds fields and headers.
 */

import type { KeypebbleError } from "../errors.ts";
import { errorResponse, json } from "./responses.ts";
import type { WireStyle } from "./route.ts";

/** Headers of an OAuth answer that must not be cached (RFC 6749 §5.1). */
export const NO_CACHE: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  pragma: "no-cache",
};

/** Write a client error (status below 500) in a route's wire style. */
export function styledError(style: WireStyle, e: KeypebbleError): Response {
  switch (style) {
    case "oauth":
      // RFC 6749 §5.2: `error` and `error_description`; our `message` too.
      return json(
        { error: e.code, error_description: e.message, message: e.message },
        e.status,
        { ...e.headers, ...NO_CACHE },
      );
    case "pico":
      // pico-auth's FastAPI layer answers `{"detail": …}`: its clients read that field.
      return json({ error: e.code, message: e.message, detail: e.message }, e.status, {
        ...e.headers,
      });
    default:
      return errorResponse(e.code, e.message, _isEmpty(e.headers) ? undefined : e.headers);
  }
}

function _isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
