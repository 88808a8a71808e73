/**
 * An API key as the caller, the same way on every route that accepts one (`/forward-auth`, the
 * admin API, the token routes, OAuth2 client authentication): the address lockout first, then
 * the key (cache or store), principal blocks, and the key's rate limit and quota. Every refusal
 * is a {@link KeypebbleError} with the right status and headers. (Address blocks are checked for
 * every route before this, by the admission step.)
 *
 * What a refused caller learns is the same for every reason a key is not usable (unknown,
 * revoked, expired, of a suspended organisation): 401 "The API key is not valid". Which one it was
 * goes to the metrics (`keypebble_auth_failures_total{reason="api_key_…"}`) and the operator's
 * log, never to the caller.
 */

import { apiKeyRequests } from "../apikeys/metrics.ts";
import type { Admission, KeyRefusal } from "../apikeys/service.ts";
import { KeypebbleError } from "../errors.ts";
import type { KeyCaller } from "../identity/mod.ts";
import type { Ctx } from "./services.ts";

/** The API key service, or 404 when no store is configured. */
export function requireKeys(ctx: Ctx): NonNullable<Ctx["services"]["apiKeys"]> {
  const svc = ctx.services.apiKeys;
  if (svc === undefined) {
    throw KeypebbleError.answer("not_found", "API keys are not enabled (no store is configured)");
  }
  return svc;
}

const MISSING = "An API key is required (X-API-Key or Authorization: Bearer)";
const NOT_VALID = "The API key is not valid";

/**
 * Authenticate `raw` (undefined: none was presented) as the caller. Counts the request against
 * the key's limit and quota (429 with `Retry-After` when over) and for the usage statistics.
 */
export async function keyCaller(
  ctx: Ctx,
  raw: string | undefined,
  options: {
    challenge?: string;
    /** The route's lockout bucket (`CallerDecl.lockoutBucket`); default the shared one. */
    lockoutBucket?: string;
    /** False where the key's calls are not usage (`CallerDecl.counted`). */
    counted?: boolean;
  } = {},
): Promise<KeyCaller> {
  const svc = requireKeys(ctx);
  const addr = ctx.client.known ? ctx.client.address : undefined;
  const challenge = options.challenge ?? `Bearer realm="${ctx.rt.config.realm}"`;
  const unauthorized = (message: string, refused?: "api_key") =>
    KeypebbleError.answer("unauthorized", message, {
      headers: { "www-authenticate": challenge },
      ...(refused === undefined ? {} : { refused }),
    });
  if (raw === undefined) {
    ctx.services.metrics.authFailures.labels("api_key_missing").inc();
    throw unauthorized(MISSING);
  }
  const bucket = options.lockoutBucket;
  const locked = addr === undefined ? 0 : await svc.lockedFor(addr, bucket);
  if (locked > 0) {
    ctx.services.metrics.authFailures.labels("locked_out").inc();
    throw KeypebbleError.answer(
      "locked_out",
      "Too many invalid API keys from this address; try again later",
      { headers: { "retry-after": String(locked) } },
    );
  }
  const check = await svc.check(raw);
  if (!check.ok) {
    ctx.services.metrics.authFailures.labels(`api_key_${check.reason}`).inc();
    // Only guesses count towards lockout: a real key that was revoked, expired or suspended is
    // refused on its own and must not lock out the address (often a NAT shared with others).
    if (addr !== undefined && _guess(check.reason) && await svc.recordFailure(addr, bucket)) {
      ctx.services.metrics.lockouts.labels("address").inc();
      ctx.services.logger.warn("lockout", {
        scope: bucket === undefined ? "api_key_address" : `api_key_address_${bucket}`,
        remote: addr,
      });
    }
    if (check.reason === "malformed" || check.reason === "wrong_prefix") {
      throw unauthorized("The API key is malformed", "api_key");
    }
    throw unauthorized(NOT_VALID, "api_key");
  }
  const key = check.key;
  ctx.subject = key.id;
  const counter = apiKeyRequests(ctx.services.metrics);
  const principalBlock = await svc.blocked("principal", [key.id, key.orgId, key.orgName]);
  const counted = options.counted !== false;
  if (principalBlock !== undefined) {
    if (counted) svc.recordUse(key.id, true);
    counter.labels(orgLabel(ctx, key.orgName), "refused").inc();
    throw KeypebbleError.answer("blocked", "This API key is blocked", {
      headers: { "retry-after": String(Math.max(1, principalBlock.until - ctx.nowSec)) },
    });
  }
  const admission = await svc.admit(key);
  if (!admission.allowed) {
    if (counted) svc.recordUse(key.id, true);
    counter.labels(orgLabel(ctx, key.orgName), "refused").inc();
    ctx.services.metrics.rateLimited.labels("principal").inc();
    throw KeypebbleError.answer(
      admission.reason ?? "rate_limited",
      admission.reason === "quota_exceeded"
        ? "The API key's monthly quota is used up"
        : "Too many requests for this API key; slow down",
      {
        headers: {
          ...admissionHeaders(admission),
          "retry-after": String(admission.resetSeconds ?? 60),
        },
      },
    );
  }
  // Counted as allowed or refused when the route has answered (`settle`).
  return { kind: "api_key", subject: key.id, method: "api_key", key, admission };
}

/**
 * The `org` label of per-organisation series: the name only when `metrics.org_labels` is on
 * (anyone who can scrape `/metrics` reads it), else `all`.
 */
export function orgLabel(ctx: Ctx, org: string): string {
  return ctx.rt.config.metrics.orgLabels ? org : "all";
}

function _guess(reason: KeyRefusal): boolean {
  return reason === "unknown" || reason === "malformed" || reason === "wrong_prefix";
}

/**
 * Count a request of an authenticated key once the route has answered: in its usage statistics
 * (an error when the answer is a refusal) and in `keypebble_api_key_requests_total`.
 */
export function settleKey(ctx: Ctx, caller: KeyCaller, status: number): void {
  const refused = status >= 400;
  ctx.services.apiKeys?.recordUse(caller.key.id, refused);
  apiKeyRequests(ctx.services.metrics).labels(
    orgLabel(ctx, caller.key.orgName),
    refused ? "refused" : "allowed",
  )
    .inc();
}

/**
 * Rate-limit headers for a key: `RateLimit` and `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-
 * headers) and the widespread `X-RateLimit-Limit/-Remaining/-Reset`.
 */
export function admissionHeaders(a: Admission): Record<string, string> {
  if (a.limit === undefined) return {};
  const remaining = String(a.remaining ?? 0);
  const reset = String(a.resetSeconds ?? 60);
  return {
    "ratelimit": `limit=${a.limit}, remaining=${remaining}, reset=${reset}`,
    "ratelimit-policy": `${a.limit};w=60`,
    "x-ratelimit-limit": String(a.limit),
    "x-ratelimit-remaining": remaining,
    "x-ratelimit-reset": reset,
  };
}
