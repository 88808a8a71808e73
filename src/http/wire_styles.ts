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
    case "html":
      return htmlError(e.status, e.code, e.message, e.headers);
    default:
      return errorResponse(e.code, e.message, _isEmpty(e.headers) ? undefined : e.headers);
  }
}

/** Headers of an HTML error: nothing may load, frame or be cached (CSP Level 3, RFC 7034). */
const HTML_ERROR_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy":
    "default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * A self-contained HTML error page (the `html` style): the message and the stable code, every
 * character escaped, no script, no style, no link. The code is also sent as `X-Error-Code`.
 */
export function htmlError(
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Error</title></head>
<body>
<h1>Error</h1>
<p>${_escape(message)}</p>
<p>Error code: <code>${_escape(code)}</code></p>
</body>
</html>
`;
  return new Response(body, {
    status,
    headers: { ...headers, ...HTML_ERROR_HEADERS, "x-error-code": code },
  });
}

function _escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function _withDetail(e: KeypebbleError, status: number): Response {
  return json({ error: e.code, message: e.message, detail: e.message }, status, { ...e.headers });
}

function _isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
