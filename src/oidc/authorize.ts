/**
 * Validating an authorization request (`GET /authorize`, OpenID Connect Core 1.0 §3.1.2.1 with
 * the rules of OAuth 2.1), with no HTTP in it: the route hands over the query and a client
 * lookup, and gets back one of three outcomes.
 *
 * - `error_page`: the client or the redirect URI cannot be trusted (unknown `client_id`, missing
 *   or unregistered `redirect_uri`, either repeated). RFC 6749 §4.1.2.1: the browser MUST NOT be
 *   redirected then, or an attacker could use us as an open redirector.
 * - `redirect_error`: every other problem, sent back to the verified redirect URI with `error`,
 *   `error_description`, `state` and `iss` (RFC 9207).
 * - `ok`: a request to go on with (sign-in, consent, code).
 *
 * Rules: `response_type=code` only (OAuth 2.1 §4.1.1 drops the implicit grant); the redirect URI
 * must match a registered one exactly (loopback: any port, RFC 8252 §7.3); PKCE `S256` for every
 * client (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1); scopes limited to the identity scopes and the
 * client's own; `prompt` in none, login, consent (none alone); `max_age` a non-negative integer;
 * `response_mode` query only; request objects and registration refused with their OIDC errors
 * (Core §6, §3.1.2.6); a nonce already bound to one of this client's recent codes is refused.
 *
 * @module
 */

import type { ClientLookup, OidcClient } from "./clients.ts";
import { CLIENT_ID, isScopeToken, scopeAllowed } from "./clients.ts";
import { checkPkceRequest } from "./pkce.ts";
import { findRedirectUri } from "./redirect_uri.ts";

/** The `prompt` values understood (Core §3.1.2.1). */
export type Prompt = "none" | "login" | "consent";

/** A validated authorization request. */
export interface AuthorizationRequest {
  readonly client: OidcClient;
  /** The redirect URI exactly as presented (a loopback one with its port). */
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | null;
  readonly nonce: string | null;
  /** The S256 challenge. */
  readonly codeChallenge: string;
  readonly prompt: ReadonlySet<Prompt>;
  /** Seconds; the person must have authenticated within this long (Core §3.1.2.1). */
  readonly maxAge: number | null;
  readonly loginHint: string | null;
  /** The raw `id_token_hint`, for the route to verify (signature, issuer) when it is used. */
  readonly idTokenHint: string | null;
}

/** OAuth 2.0 / OpenID Connect authorization error codes (RFC 6749 §4.1.2.1, Core §3.1.2.6). */
export type AuthorizeErrorCode =
  | "invalid_request"
  | "unauthorized_client"
  | "access_denied"
  | "unsupported_response_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable"
  | "interaction_required"
  | "login_required"
  | "consent_required"
  | "request_not_supported"
  | "request_uri_not_supported"
  | "registration_not_supported";

/** What to do with an authorization request. */
export type AuthorizeOutcome =
  | { readonly kind: "ok"; readonly request: AuthorizationRequest }
  /** Show the error page; never redirect (the status is 400). */
  | { readonly kind: "error_page"; readonly error: "invalid_request"; readonly message: string }
  /** Redirect the browser to `location` (303 after a POST, 302 after a GET). */
  | {
    readonly kind: "redirect_error";
    readonly location: string;
    readonly error: AuthorizeErrorCode;
  };

/** Options of {@link validateAuthorizationRequest}. */
export interface ValidateOptions {
  /** Our issuer identifier, sent as `iss` with every response (RFC 9207 §2). */
  readonly issuer: string;
  readonly lookup: ClientLookup;
  /** Whether this client already had a code for this nonce recently (replay). */
  readonly nonceSeen?: (clientId: string, nonce: string) => Promise<boolean>;
}

/** Longest value accepted for any parameter. */
const MAX_PARAM = 2048;
/** Longest `state` echoed back (it travels in a Location header). */
const MAX_STATE = 1024;
const KNOWN = [
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "state",
  "nonce",
  "prompt",
  "max_age",
  "login_hint",
  "id_token_hint",
  "code_challenge",
  "code_challenge_method",
  "request",
  "request_uri",
  "registration",
];

/**
 * Build a redirect to `redirectUri` carrying `params` and `iss` (RFC 9207 §2), keeping the
 * registered URI's own query (RFC 6749 §3.1.2: it MUST be retained).
 */
export function redirectWith(
  redirectUri: string,
  params: Readonly<Record<string, string | null | undefined>>,
  issuer: string,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, v);
  q.set("iss", issuer);
  return `${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${q.toString()}`;
}

/** The error redirect for a request whose client and redirect URI were verified. */
export function errorRedirect(
  target: { redirectUri: string; state: string | null },
  error: AuthorizeErrorCode,
  description: string,
  issuer: string,
): AuthorizeOutcome {
  return {
    kind: "redirect_error",
    error,
    location: redirectWith(target.redirectUri, {
      error,
      error_description: description,
      state: target.state,
    }, issuer),
  };
}

/** The success redirect with the code (RFC 6749 §4.1.2, RFC 9207 §2). */
export function codeRedirect(request: AuthorizationRequest, code: string, issuer: string): string {
  return redirectWith(request.redirectUri, { code, state: request.state }, issuer);
}

/** Validate the parameters of an authorization request (query of a GET, or form of a POST). */
export async function validateAuthorizationRequest(
  params: URLSearchParams,
  options: ValidateOptions,
): Promise<AuthorizeOutcome> {
  const page = (message: string): AuthorizeOutcome => ({
    kind: "error_page",
    error: "invalid_request",
    message,
  });
  // 1. The client and the redirect URI, before anything may be sent back to it.
  const clientIds = params.getAll("client_id");
  if (clientIds.length !== 1 || clientIds[0] === "") {
    return page(clientIds.length > 1 ? "client_id is repeated" : "client_id is required");
  }
  const clientId = clientIds[0];
  if (!CLIENT_ID.test(clientId)) return page("The client_id is not valid");
  const client = await options.lookup(clientId);
  if (client === undefined) return page("The client is unknown");
  const redirects = params.getAll("redirect_uri");
  if (redirects.length !== 1 || redirects[0] === "") {
    // OpenID Connect Core §3.1.2.1: redirect_uri is REQUIRED.
    return page(redirects.length > 1 ? "redirect_uri is repeated" : "redirect_uri is required");
  }
  const redirectUri = redirects[0];
  if (
    redirectUri.length > MAX_PARAM || findRedirectUri(client.redirectUris, redirectUri) === null
  ) {
    return page("The redirect_uri is not registered for this client");
  }
  // 2. Everything else goes back to the client. State is echoed only when it can be.
  const stateRaw = params.get("state");
  if (stateRaw !== null && stateRaw.length > MAX_STATE) {
    return page(`state is longer than ${MAX_STATE} characters`);
  }
  const state = stateRaw === "" ? null : stateRaw;
  const fail = (error: AuthorizeErrorCode, description: string) =>
    errorRedirect({ redirectUri, state }, error, description, options.issuer);

  for (const name of KNOWN) {
    const all = params.getAll(name);
    if (all.length > 1) return fail("invalid_request", `${name} is repeated`);
    if (all.length === 1 && all[0].length > MAX_PARAM) {
      return fail("invalid_request", `${name} is too long`);
    }
  }
  if (params.has("request")) {
    return fail("request_not_supported", "Request objects are not supported");
  }
  if (params.has("request_uri")) {
    return fail("request_uri_not_supported", "request_uri is not supported");
  }
  if (params.has("registration")) {
    return fail("registration_not_supported", "Dynamic registration is not supported");
  }
  const responseType = params.get("response_type");
  if (responseType === null || responseType === "") {
    return fail("invalid_request", "response_type is required");
  }
  if (responseType !== "code") {
    return fail("unsupported_response_type", 'Only response_type "code" is supported');
  }
  const responseMode = params.get("response_mode");
  if (responseMode !== null && responseMode !== "query") {
    return fail("invalid_request", 'Only response_mode "query" is supported');
  }
  const scopeRaw = params.get("scope");
  if (scopeRaw === null || scopeRaw.trim() === "") {
    return fail("invalid_scope", 'scope is required (e.g. "openid")');
  }
  const scopes: string[] = [];
  for (const s of scopeRaw.split(" ")) {
    if (s === "") continue;
    if (!isScopeToken(s) || !scopeAllowed(client, s)) {
      return fail("invalid_scope", "A requested scope is not allowed for this client");
    }
    if (!scopes.includes(s)) scopes.push(s);
  }
  const pkce = checkPkceRequest(params.get("code_challenge"), params.get("code_challenge_method"));
  if (pkce !== null) return fail("invalid_request", pkce);
  const prompt = new Set<Prompt>();
  for (const p of (params.get("prompt") ?? "").split(" ")) {
    if (p === "") continue;
    if (p !== "none" && p !== "login" && p !== "consent") {
      return fail("invalid_request", "prompt may only hold none, login and consent");
    }
    prompt.add(p);
  }
  if (prompt.has("none") && prompt.size > 1) {
    // Core §3.1.2.1: none with any other value is an error.
    return fail("invalid_request", "prompt=none cannot be combined with other values");
  }
  let maxAge: number | null = null;
  const maxAgeRaw = params.get("max_age");
  if (maxAgeRaw !== null) {
    if (!/^[0-9]{1,10}$/.test(maxAgeRaw)) {
      return fail("invalid_request", "max_age must be a non-negative integer (seconds)");
    }
    maxAge = Number(maxAgeRaw);
  }
  const nonceRaw = params.get("nonce");
  const nonce = nonceRaw === null || nonceRaw === "" ? null : nonceRaw;
  if (nonce !== null && options.nonceSeen !== undefined) {
    if (await options.nonceSeen(client.id, nonce)) {
      return fail("invalid_request", "This nonce was already used");
    }
  }
  const hint = params.get("login_hint");
  return {
    kind: "ok",
    request: {
      client,
      redirectUri,
      scopes,
      state,
      nonce,
      codeChallenge: params.get("code_challenge")!,
      prompt,
      maxAge,
      loginHint: hint === null || hint === "" ? null : hint.slice(0, 320),
      idTokenHint: params.get("id_token_hint"),
    },
  };
}
