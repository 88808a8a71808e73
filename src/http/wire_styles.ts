/**
 * One error writer per wire style, chosen by the route's declaration (`RouteDecl.style`): the
 * same refusal reaches each family of clients where it looks for it. Codes map to statuses in
 * `src/errors.ts`; a style adds fields and headers, and a peer's style (keyguard's) may answer a
 * code with that peer's status, from one table here.
 */

import type { ErrorCode, KeypebbleError } from "../errors.ts";
import { errorResponse, json } from "./responses.ts";
import type { WireStyle } from "./route.ts";

/** Headers of an OAuth answer that must not be cached (RFC 6749 §5.1). */
export const NO_CACHE: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  pragma: "no-cache",
};

/**
 * keyguard's statuses where they differ from ours, as its admin router (FastAPI) answers: a body
 * that fails validation is 422 (FastAPI's `RequestValidationError`), a duplicate organisation
 * 400. (An admin key it does not accept is 403, see {@link keyguardStatus}.)
 */
export const KEYGUARD_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {
  invalid_request: 422,
  invalid_json: 422,
  invalid_body: 422,
  invalid_scope: 422,
  invalid_claims: 422,
  invalid_name: 422,
  conflict: 400,
};

/**
 * The status keyguard's admin router answers `e` with: {@link KEYGUARD_STATUS}, and 403 for a key
 * presented and refused (`HTTPException(403, "Invalid admin key.")`). A missing key stays 401
 * with its challenge (keyguard: 422, FastAPI's missing header), as does an account's token.
 */
export function keyguardStatus(e: KeypebbleError): number {
  if (e.code === "unauthorized" && e.refused === "api_key") return 403;
  return KEYGUARD_STATUS[e.code] ?? e.status;
}

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
    case "keyguard_middleware":
      // pico-auth's and keyguard's FastAPI layers answer `{"detail": …}`: their clients read it.
      return _withDetail(e, e.status);
    case "keyguard":
      return _withDetail(e, keyguardStatus(e));
    default:
      return errorResponse(e.code, e.message, _isEmpty(e.headers) ? undefined : e.headers);
  }
}

function _withDetail(e: KeypebbleError, status: number): Response {
  return json({ error: e.code, message: e.message, detail: e.message }, status, { ...e.headers });
}

function _isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
