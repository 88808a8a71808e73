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

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { NO_POLICY } from "../identity/caller.ts";
import {
  type AccessEntry,
  evaluateAccess,
  formatScope,
  generateAccess,
  parseScopes,
  type Policy,
} from "../policy/mod.ts";
import type { ProfileRequest, Reply } from "./context.ts";
import { rfc3339 } from "./context.ts";
import { mint } from "./mint.ts";
import { REFRESH_AUDIENCE } from "./table.ts";

export { REFRESH_AUDIENCE };

/** The authorisation step of `GET /v2/token`: `account`, when given, must be the caller. */
export function authorizeRegistryGet(req: ProfileRequest): string {
  const caller = req.caller!;
  const account = req.query.get("account");
  if (account !== null && account !== "" && account !== caller.subject) {
    throw KeypebbleError.answer(
      "account_mismatch",
      "The account parameter does not match the authenticated user",
    );
  }
  return caller.subject;
}

/** Handle `GET /v2/token`. */
export async function getRegistryToken(req: ProfileRequest): Promise<Reply> {
  const q = req.query;
  const subject = req.subject!;
  const service = _service(req, q.get("service"));
  const offline = q.get("offline_token") === "true";
  const clientId = q.get("client_id");
  if (offline && (clientId === null || clientId === "")) {
    // A refresh token is bound to its client; one bound to no client could never be redeemed.
    throw KeypebbleError.answer("invalid_request", '"client_id" is required with "offline_token"');
  }
  const requested = q.getAll("scope");
  const header = req.headers.get("x-scopes");
  if (header !== null) requested.push(header);
  const generate = (req.headers.get("x-policy-generate") ?? "").toLowerCase() === "true";
  const access = _grant(req, subject, requested, generate);
  const issued = await _issue(req, subject, service, access);
  const body: Record<string, unknown> = {
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.ttl,
    issued_at: rfc3339(req.nowSec),
    // As the Python Keypebble's answer: the claims that were signed.
    claims: issued.claims,
  };
  if (offline) body.refresh_token = await _refreshToken(req, subject, service, clientId!);
  return { json: body };
}

/**
 * Handle `POST /v2/token` (OAuth2 password and refresh_token grants). The route writes errors in
 * the OAuth style (RFC 6749 §5.2: `error_description`, `Cache-Control: no-store`, `Pragma:
 * no-cache`), as Docker's and other OAuth2 clients expect.
 */
export async function postRegistryToken(req: ProfileRequest): Promise<Reply> {
  const form = req.form;
  const grant = form.get("grant_type");
  const service = _service(req, form.get("service"), "invalid_request");
  const clientId = form.get("client_id");
  if (clientId === null || clientId === "") {
    throw KeypebbleError.answer("invalid_request", '"client_id" is required');
  }
  const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s !== "");
  let subject: string;
  let refresh: string | undefined;
  if (grant === "password") {
    const username = form.get("username");
    const password = form.get("password");
    if (!username || password === null) {
      throw KeypebbleError.answer("invalid_request", '"username" and "password" are required');
    }
    subject = await _passwordGrant(req, username, password);
    if (form.get("access_type") === "offline") {
      refresh = await _refreshToken(req, subject, service, clientId);
    }
  } else if (grant === "refresh_token") {
    const presented = form.get("refresh_token");
    if (!presented) throw KeypebbleError.answer("invalid_request", '"refresh_token" is required');
    subject = await _redeemRefresh(req, presented, service, clientId);
    // Not rotated: the docker engine keeps using the first refresh token it was given.
  } else if (grant === null || grant === "") {
    throw KeypebbleError.answer("invalid_request", '"grant_type" is required');
  } else {
    throw KeypebbleError.answer(
      "unsupported_grant_type",
      `Grant type ${quoteForMessage(grant, 40)} is not supported`,
    );
  }
  req.noteSubject(subject);
  const access = _grant(req, subject, scopes, false);
  const issued = await _issue(req, subject, service, access);
  const body: Record<string, unknown> = {
    access_token: issued.token,
    token_type: "Bearer",
    expires_in: issued.ttl,
    issued_at: rfc3339(req.nowSec),
    scope: access.map(formatScope).join(" "),
  };
  if (refresh !== undefined) body.refresh_token = refresh;
  return { json: body };
}

function _service(
  req: ProfileRequest,
  requested: string | null,
  code: "unsupported_service" | "invalid_request" = "unsupported_service",
): string {
  const services = req.config.services;
  const service = requested === null || requested === "" ? services[0] : requested;
  if (service === undefined || !services.includes(service)) {
    throw KeypebbleError.answer(
      code,
      service === undefined
        ? 'No "service" was given and none is configured'
        : `Service ${quoteForMessage(service)} is not served here`,
    );
  }
  return service;
}

/**
 * The grants a policy decided, by scope limit, subject and requested scopes, one map per policy
 * object (a reload brings a new policy, so old decisions are never used again). A registry asks
 * the same few questions on every pull; the answer is a pure function of these, so it is worked
 * out once. Only grants are kept, never an error, frozen (they become claims), short questions
 * only, at most {@link DECISIONS_MAX} per policy (then the map starts again).
 */
const _decisions = new WeakMap<Policy, Map<string, AccessEntry[]>>();
const DECISIONS_MAX = 4096;
const DECISION_KEY_MAX = 1024;

function _grant(
  req: ProfileRequest,
  subject: string,
  requested: string[],
  generate: boolean,
): AccessEntry[] {
  const policy = req.policy;
  const maxScopes = req.config.limits.maxScopes;
  if (policy !== undefined && !generate) {
    // JSON: no subject or scope text can make two questions one key (a newline inside a scope
    // must stay the 400 it is, not read as two scopes already decided).
    const key = JSON.stringify([maxScopes, subject, requested]);
    let known = _decisions.get(policy);
    const hit = known?.get(key);
    if (hit !== undefined) return hit;
    const access = _deepFreeze(
      evaluateAccess(policy, subject, parseScopes(requested, { maxScopes })),
    );
    if (key.length <= DECISION_KEY_MAX) {
      if (known === undefined) _decisions.set(policy, known = new Map());
      else if (known.size >= DECISIONS_MAX) known.clear();
      known.set(key, access);
    }
    return access;
  }
  // Parse even without a policy: a malformed scope is a 400 whatever would be granted.
  parseScopes(requested, { maxScopes });
  if (policy === undefined) return [];
  return generateAccess(policy, subject).access;
}

function _deepFreeze(access: AccessEntry[]): AccessEntry[] {
  for (const e of access) {
    Object.freeze(e.actions);
    Object.freeze(e);
  }
  return Object.freeze(access) as AccessEntry[];
}

async function _issue(
  req: ProfileRequest,
  subject: string,
  service: string,
  access: AccessEntry[],
): Promise<{ token: string; ttl: number; claims: Readonly<Record<string, unknown>> }> {
  const minted = await mint(req.profiles.registry, {
    now: req.nowSec,
    subject,
    audience: service,
    // The Python Keypebble also signed `service` and `scope`; `scope` here is what was granted
    // (never a scope that was asked for and refused), space-separated as in the POST answer.
    own: { access, service, scope: access.map(formatScope).join(" ") },
    record: req.recordIssue,
  });
  return { token: minted.token, ttl: minted.ttl, claims: minted.claims };
}

async function _refreshToken(
  req: ProfileRequest,
  subject: string,
  service: string,
  clientId: string,
): Promise<string> {
  const minted = await mint(req.profiles.refresh, {
    now: req.nowSec,
    subject,
    own: { service, client_id: clientId },
    record: req.recordIssue,
  });
  return minted.token;
}

/** The password grant is a login: the same credential check, lockout and limits as Basic. */
async function _passwordGrant(
  req: ProfileRequest,
  username: string,
  password: string,
): Promise<string> {
  try {
    return (await req.grants.checkPassword(username, password)).subject;
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      throw KeypebbleError.answer(
        "invalid_grant",
        e.message === NO_POLICY ? NO_POLICY : "Invalid username or password",
      );
    }
    throw e;
  }
}

/**
 * A refresh grant is checked like a login: the token must verify, be bound to this service and
 * client, its subject must still have its own entry in the current policy (the `"*"` entry does
 * not revive a removed user), and the subject's lockout and rate limit apply.
 */
async function _redeemRefresh(
  req: ProfileRequest,
  token: string,
  service: string,
  clientId: string,
): Promise<string> {
  const { policy } = req;
  let payload: Readonly<Record<string, unknown>>;
  try {
    // Our signature, the refresh kind, its lifetime and the one revocation list (a refresh token
    // revoked at /oauth2/revoke is refused here).
    payload = await req.grants.verifyRefresh(token);
  } catch (e) {
    if (e instanceof KeypebbleError && e.status < 500) {
      throw KeypebbleError.answer("invalid_grant", `The refresh token is not valid: ${e.message}`);
    }
    throw e;
  }
  const sub = payload.sub;
  if (typeof sub !== "string" || sub === "") {
    throw KeypebbleError.answer("invalid_grant", "The refresh token has no subject");
  }
  if (payload.service !== service) {
    throw KeypebbleError.answer(
      "invalid_grant",
      "The refresh token was issued for another service",
    );
  }
  if (payload.client_id !== clientId) {
    throw KeypebbleError.answer("invalid_grant", "The refresh token was issued to another client");
  }
  if (policy === undefined || !policy.users.has(sub)) {
    throw KeypebbleError.answer(
      "invalid_grant",
      "The refresh token's subject is no longer allowed",
    );
  }
  await req.grants.admitPrincipal(sub);
  return sub;
}
