/**
 * Building responses: JSON bodies, the error format `{"error": code, "message": sentence}`, and
 * the mapping of any thrown value to one. Codes map to statuses in `src/errors.ts` only.
 */

import { type ErrorCode, KeypebbleError, statusFor } from "../errors.ts";

const JSON_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/** A JSON response; token responses are never cacheable (RFC 6749 §5.1). */
export function json(
  body: unknown,
  status = 200,
  headers?: Readonly<Record<string, string>>,
): Response {
  return jsonText(JSON.stringify(body), status, headers);
}

/** A JSON response whose body is already serialised, with the same headers as {@link json}. */
export function jsonText(
  text: string,
  status = 200,
  headers?: Readonly<Record<string, string>>,
): Response {
  if (status === 200 && headers === undefined) return new Response(text, OK_INIT);
  return new Response(text, {
    status,
    headers: headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...headers },
  });
}

/** The init of a plain 200 JSON answer (the constructor copies it; nothing writes to it). */
const OK_INIT: ResponseInit = { status: 200, headers: JSON_HEADERS };

/** A JSON error response for a stable code. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return json({ error: code, message }, statusFor(code), headers);
}

/** Turn a thrown value into a response. Unknown errors are a 500 with no detail leaked. */
export function responseForError(e: unknown): Response {
  if (e instanceof KeypebbleError) {
    const status = e.status;
    // Operator-side codes never reach a client with their text: it may name files.
    if (status >= 500 && e.code !== "store_unavailable") {
      return errorResponse("internal_error", "Internal error");
    }
    return errorResponse(e.code, e.message, { ...e.headers });
  }
  return errorResponse("internal_error", "Internal error");
}
