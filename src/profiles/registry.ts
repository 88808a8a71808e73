/**
 * The distribution registry token service: `GET /v2/token` (docs/spec/auth/token.md) and
 * `POST /v2/token`, the OAuth2 flow (docs/spec/auth/oauth.md).
 *
 * - `service` becomes `aud` (a plain string: registry 2.8 refuses an array) and must be one the
 *   config accepts.
 * - The `access` claim is what was asked for intersected with what the policy grants; a partial or
 *   empty grant is still a 200, as the spec says.
 * - Refresh tokens are stateless JWTs signed with the active key but typed `kp-refresh+jwt`, with
 *   an audience no registry accepts, bound to subject, service and client. They are not rotated on
 *   use, and the current policy is applied again each time one is redeemed.
 */

import { randomJti, registeredClaims } from "../claims/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { Caller } from "../identity/mod.ts";
import { verifyJws } from "../jose/mod.ts";
import {
  type AccessEntry,
  evaluateAccess,
  formatScope,
  generateAccess,
  parseScopes,
  userRule,
} from "../policy/mod.ts";
import { REFRESH_TYP } from "../runtime/mod.ts";
import { readForm } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { rfc3339, signAccessToken } from "../http/issue.ts";
import { json } from "../http/responses.ts";
import { optionalCaller, requireCaller } from "../http/authenticate.ts";

/** `aud` of refresh tokens: no registry is configured with this service name. */
export const REFRESH_AUDIENCE = "urn:keypebble:refresh";

/** Handle `GET /v2/token`. */
export async function getRegistryToken(ctx: RequestContext): Promise<Response> {
  const q = ctx.url.searchParams;
  _refuseWithoutPolicy(ctx);
  const caller = await requireCaller(ctx);
  const service = _service(ctx, q.get("service"));
  const account = q.get("account");
  if (account !== null && account !== "" && account !== caller.subject) {
    throw new KeypebbleError(
      "account_mismatch",
      "The account parameter does not match the authenticated user",
    );
  }
  const requested = q.getAll("scope");
  const header = ctx.req.headers.get("x-scopes");
  if (header !== null) requested.push(header);
  const generate = (ctx.req.headers.get("x-policy-generate") ?? "").toLowerCase() === "true";
  const access = _grant(ctx, caller.subject, requested, generate);
  const issued = await _issue(ctx, caller.subject, service, access);
  const body: Record<string, unknown> = {
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.ttl,
    issued_at: rfc3339(ctx.nowSec),
    // As the Python Keypebble's answer: the claims that were signed.
    claims: issued.claims,
  };
  if (q.get("offline_token") === "true") {
    body.refresh_token = await _refreshToken(ctx, caller.subject, service, q.get("client_id"));
  }
  return json(body);
}

/**
 * Handle `POST /v2/token` (OAuth2 password and refresh_token grants). Errors also carry
 * `error_description`, as RFC 6749 §5.2 clients expect.
 */
export async function postRegistryToken(ctx: RequestContext): Promise<Response> {
  try {
    return await _postRegistryToken(ctx);
  } catch (e) {
    if (!(e instanceof KeypebbleError) || e.status >= 500) throw e;
    return json(
      { error: e.code, message: e.message, error_description: e.message },
      e.status,
      { ...e.headers },
    );
  }
}

async function _postRegistryToken(ctx: RequestContext): Promise<Response> {
  const form = await readForm(ctx.req, ctx.rt.config.limits.maxBodyBytes);
  const grant = form.get("grant_type");
  const service = _service(ctx, form.get("service"), "invalid_request");
  const clientId = form.get("client_id");
  if (clientId === null || clientId === "") {
    throw new KeypebbleError("invalid_request", '"client_id" is required');
  }
  const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
  let subject: string;
  let refresh: string | undefined;
  if (grant === "password") {
    const username = form.get("username");
    const password = form.get("password");
    if (!username || password === null) {
      throw new KeypebbleError("invalid_request", '"username" and "password" are required');
    }
    _refuseWithoutPolicy(ctx);
    subject = await _passwordGrant(ctx, username, password);
    if (form.get("access_type") === "offline") {
      refresh = await _refreshToken(ctx, subject, service, clientId);
    }
  } else if (grant === "refresh_token") {
    const presented = form.get("refresh_token");
    if (!presented) throw new KeypebbleError("invalid_request", '"refresh_token" is required');
    subject = await _redeemRefresh(ctx, presented, service, clientId);
    // Not rotated: the docker engine keeps using the first refresh token it was given.
  } else if (grant === null || grant === "") {
    throw new KeypebbleError("invalid_request", '"grant_type" is required');
  } else {
    throw new KeypebbleError(
      "unsupported_grant_type",
      `Grant type ${quoteForMessage(grant, 40)} is not supported`,
    );
  }
  ctx.subject = subject;
  const access = _grant(ctx, subject, scopes, false);
  const issued = await _issue(ctx, subject, service, access);
  const body: Record<string, unknown> = {
    access_token: issued.token,
    token_type: "Bearer",
    expires_in: issued.ttl,
    issued_at: rfc3339(ctx.nowSec),
    scope: access.map(formatScope).join(" "),
  };
  if (refresh !== undefined) body.refresh_token = refresh;
  return json(body);
}

/**
 * Without a policy no password can match: say so instead of "Invalid username or password",
 * which sends operators hunting for a typo. A trusted proxy's header still identifies callers.
 */
function _refuseWithoutPolicy(ctx: RequestContext): void {
  if (ctx.rt.policy !== undefined) return;
  if (ctx.peerIsTrustedProxy && ctx.req.headers.has("x-authenticated-user")) return;
  throw new KeypebbleError(
    "unauthorized",
    "No policy is loaded, so no user can sign in: the operator must set policy_path",
    { headers: { "www-authenticate": `Basic realm="${ctx.rt.config.realm}"` } },
  );
}

function _service(
  ctx: RequestContext,
  requested: string | null,
  code: "unsupported_service" | "invalid_request" = "unsupported_service",
): string {
  const services = ctx.rt.config.services;
  const service = requested === null || requested === "" ? services[0] : requested;
  if (service === undefined || !services.includes(service)) {
    throw new KeypebbleError(
      code,
      service === undefined
        ? 'No "service" was given and none is configured'
        : `Service ${quoteForMessage(service)} is not served here`,
    );
  }
  return service;
}

function _grant(
  ctx: RequestContext,
  subject: string,
  requested: string[],
  generate: boolean,
): AccessEntry[] {
  const policy = ctx.rt.policy;
  // Parse even without a policy: a malformed scope is a 400 whatever would be granted.
  const scopes = parseScopes(requested, { maxScopes: ctx.rt.config.limits.maxScopes });
  if (policy === undefined) return [];
  if (generate) return generateAccess(policy, subject).access;
  return evaluateAccess(policy, subject, scopes);
}

async function _issue(
  ctx: RequestContext,
  subject: string,
  service: string,
  access: AccessEntry[],
): Promise<{ token: string; ttl: number; claims: Record<string, unknown> }> {
  const { config } = ctx.rt;
  // The token spec: clients assume 60 seconds when expires_in is missing; never issue less.
  const ttl = Math.max(60, config.defaultTtlSeconds);
  const claims = {
    sub: subject,
    aud: service,
    // The Python Keypebble also signed `service` and `scope`; `scope` here is what was granted
    // (never a scope that was asked for and refused), space-separated as in the answer.
    service,
    scope: access.map(formatScope).join(" "),
    access,
    ...registeredClaims({
      issuer: config.issuer,
      now: ctx.nowSec,
      ttlSeconds: ttl,
      jti: randomJti(),
    }),
  };
  return { token: await signAccessToken(ctx, { kind: "registry", claims }), ttl, claims };
}

async function _refreshToken(
  ctx: RequestContext,
  subject: string,
  service: string,
  clientId: string | null,
): Promise<string> {
  const { config, keyring } = ctx.rt;
  const claims = {
    sub: subject,
    aud: REFRESH_AUDIENCE,
    service,
    client_id: clientId ?? "",
    ...registeredClaims({
      issuer: config.issuer,
      now: ctx.nowSec,
      ttlSeconds: config.refreshTtlSeconds,
      jti: randomJti(),
    }),
  };
  const token = await keyring.refreshSigner.sign(claims);
  ctx.services.metrics.tokensIssued.labels("refresh", keyring.refreshSigner.alg).inc();
  return token;
}

async function _passwordGrant(
  ctx: RequestContext,
  username: string,
  password: string,
): Promise<string> {
  // The password grant is Basic authentication with the form's credentials: same checks,
  // same lockout, same timing for unknown users.
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  const basic = new Request(ctx.url, { headers: { authorization: `Basic ${btoa(bin)}` } });
  let caller: Caller | null;
  try {
    caller = await optionalCaller({ ...ctx, req: basic });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      throw new KeypebbleError("invalid_grant", "Invalid username or password");
    }
    throw e;
  }
  if (caller === null) throw new KeypebbleError("invalid_grant", "Invalid username or password");
  return caller.subject;
}

async function _redeemRefresh(
  ctx: RequestContext,
  token: string,
  service: string,
  clientId: string,
): Promise<string> {
  const { config, keyring, policy } = ctx.rt;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await verifyJws(token, keyring.keys, {
      now: ctx.nowSec,
      issuer: config.issuer,
      audience: REFRESH_AUDIENCE,
      typ: REFRESH_TYP,
    }));
  } catch (e) {
    if (e instanceof KeypebbleError) {
      throw new KeypebbleError("invalid_grant", `The refresh token is not valid: ${e.message}`);
    }
    throw e;
  }
  const sub = payload.sub;
  if (typeof sub !== "string" || sub === "") {
    throw new KeypebbleError("invalid_grant", "The refresh token has no subject");
  }
  if (payload.service !== service) {
    throw new KeypebbleError("invalid_grant", "The refresh token was issued for another service");
  }
  if (payload.client_id !== clientId) {
    throw new KeypebbleError("invalid_grant", "The refresh token was issued to another client");
  }
  if (policy === undefined || userRule(policy, sub) === undefined) {
    throw new KeypebbleError("invalid_grant", "The refresh token's subject is no longer allowed");
  }
  return sub;
}
