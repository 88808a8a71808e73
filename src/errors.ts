/**
 * One error type for the whole program. Every failure a client or an operator can cause carries a
 * stable `code` from a closed union; the HTTP status for each code is decided here and nowhere
 * else, so a new code cannot ship without a status.
 *
 * Messages follow the Deno std style: sentence case, no trailing period, values in quotes, and
 * never a token, key, password or secret.
 *
 * @example
 * ```ts
 * throw new KeypebbleError("invalid_scope", 'Scope "repository:foo" has no actions');
 * ```
 */

/** Stable machine-readable error codes. Clients may depend on these strings. */
export type ErrorCode =
  // request shape
  | "invalid_request"
  | "invalid_json"
  | "invalid_body"
  | "invalid_scope"
  | "invalid_claims"
  | "invalid_name"
  | "unsupported_service"
  | "unsupported_media_type"
  | "payload_too_large"
  | "headers_too_large"
  | "not_found"
  | "method_not_allowed"
  | "request_timeout"
  // caller identity and policy
  | "unauthorized"
  | "forbidden"
  | "account_mismatch"
  | "rate_limited"
  | "locked_out"
  // tokens
  | "invalid_token"
  | "token_expired"
  | "token_not_yet_valid"
  | "invalid_signature"
  | "unsupported_algorithm"
  | "unknown_key"
  | "invalid_issuer"
  | "invalid_audience"
  | "invalid_token_type"
  // SPIFFE (spiffile PROFILE §4: an unknown identity is told apart from an invalid token)
  | "invalid_spiffe_id"
  | "unknown_identity"
  | "invalid_root"
  // OAuth 2.0 token endpoint (RFC 6749 §5.2)
  | "invalid_grant"
  | "unsupported_grant_type"
  | "invalid_client"
  | "unauthorized_client"
  | "invalid_target"
  | "unsupported_token_type"
  // API keys, blocks and the store (issue 12)
  | "insufficient_scope"
  | "blocked"
  | "quota_exceeded"
  | "conflict"
  | "store_unavailable"
  | "store_error"
  // accounts (issue 13)
  | "password_change_required"
  | "invalid_subject_token"
  // keys and configuration (operator side)
  | "invalid_key"
  | "weak_key"
  // a JWE kind's relying party key cannot be fetched (issue 25)
  | "encryption_key_unavailable"
  | "config_invalid"
  | "policy_invalid"
  | "internal_error";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_body: 400,
  invalid_scope: 400,
  invalid_claims: 400,
  invalid_name: 400,
  unsupported_service: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  headers_too_large: 431,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  unauthorized: 401,
  forbidden: 403,
  account_mismatch: 400,
  rate_limited: 429,
  locked_out: 429,
  invalid_token: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  invalid_signature: 401,
  unsupported_algorithm: 401,
  unknown_key: 401,
  invalid_issuer: 401,
  invalid_audience: 401,
  invalid_token_type: 401,
  invalid_spiffe_id: 400,
  unknown_identity: 401,
  invalid_root: 500,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
  unauthorized_client: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  insufficient_scope: 403,
  blocked: 403,
  quota_exceeded: 429,
  conflict: 409,
  store_unavailable: 503,
  store_error: 500,
  password_change_required: 403,
  invalid_subject_token: 400,
  invalid_key: 500,
  weak_key: 500,
  encryption_key_unavailable: 503,
  config_invalid: 500,
  policy_invalid: 500,
  internal_error: 500,
};

/** The HTTP status that an error code maps to. */
export function statusFor(code: ErrorCode): number {
  return STATUS[code];
}

/** The base error of Keypebble: a stable `code` plus a human sentence. */
export class KeypebbleError extends Error {
  readonly code: ErrorCode;
  /** Extra response headers, e.g. `Retry-After` for `rate_limited`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The kind of credential that was presented and refused (`api_key`), for the wire styles that
   * answer by it: keyguard's admin router says 403 to an admin key it does not accept, where a
   * missing one is 401. Never sent to the client.
   */
  readonly refused?: "api_key";

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string>; refused?: "api_key" } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KeypebbleError";
    this.code = code;
    this.headers = options.headers ?? {};
    if (options.refused !== undefined) this.refused = options.refused;
  }

  /** The HTTP status for this error. */
  get status(): number {
    return STATUS[this.code];
  }

  /**
   * The same error as `new KeypebbleError(code, message, { headers })` (same class, code,
   * message, headers and status), made without capturing a stack trace. For the answers clients
   * cause all the time on the token routes (bad credentials, bad body, rate limited, denied):
   * constructing an `Error` records its stack whatever `Error.stackTraceLimit` says, which cost
   * 9 µs in Deno and 6 µs in Bun against ~1.3 and ~2.9 µs for this one thrown through three
   * async frames. The stack of an expected answer is never read: the handler turns it into JSON.
   */
  static answer(
    code: ErrorCode,
    message: string,
    options: { headers?: Record<string, string>; refused?: "api_key" } = {},
  ): KeypebbleError {
    const e = Object.create(KeypebbleError.prototype);
    e.name = "KeypebbleError";
    e.message = message;
    e.code = code;
    e.headers = options.headers ?? {};
    if (options.refused !== undefined) e.refused = options.refused;
    return e;
  }
}

/** True when `e` is a KeypebbleError (works across module copies). */
export function isKeypebbleError(e: unknown): e is KeypebbleError {
  return e instanceof KeypebbleError;
}

/**
 * Quotes a client-supplied value for an error message: truncated, JSON-style quoted, and with
 * every character outside printable ASCII escaped, so a message can never carry control
 * characters into a log.
 */
export function quoteForMessage(value: string, max = 100): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut).replace(
    /[^\x20-\x7e]/g,
    (c) => c === "…" ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
