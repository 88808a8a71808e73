/**
 * Authenticating a request by API key, the same way for every route that accepts one
 * (`/forward-auth`, `POST /oauth2/token`, the admin API, and API keys as the caller on the token
 * endpoints): address blocks and lockout first, then the key (cache or store), principal blocks,
 * the required scope, and the key's rate limit and quota. Every refusal is a
 * {@link KeypebbleError} with the right status and headers.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";
import { apiKeyRequests } from "./metrics.ts";
import type { Admission, ApiKeyService, KeyRefusal } from "./service.ts";

/** A key that passed every check, and what its limit said. */
export interface KeyAuth {
  readonly key: ApiKeyWithOrg;
  readonly admission: Admission;
}

const REFUSALS: Record<KeyRefusal, string> = {
  missing: "An API key is required (X-API-Key or Authorization: Bearer)",
  malformed: "The API key is malformed",
  wrong_prefix: "The API key does not have an accepted prefix",
  unknown: "The API key is not valid",
  revoked: "The API key has been revoked",
  expired: "The API key has expired",
  suspended: "The API key's organisation is suspended",
};

/** The API key service, or 404 when no store is configured. */
export function keyService(ctx: RequestContext): ApiKeyService {
  const svc = ctx.services.apiKeys;
  if (svc === undefined) {
    throw KeypebbleError.answer("not_found", "API keys are not enabled (no store is configured)");
  }
  return svc;
}

/**
 * The client's address: the peer, or when the peer is a trusted proxy, the address it reports
 * in `X-Real-IP` (or the last `X-Forwarded-For` entry).
 */
export function clientAddress(ctx: RequestContext): string {
  if (!ctx.peerIsTrustedProxy) return ctx.peer;
  const real = ctx.req.headers.get("x-real-ip")?.trim();
  if (real && real.length <= 64) return real;
  const xff = ctx.req.headers.get("x-forwarded-for");
  if (xff !== null && xff.length <= 1024) {
    const last = xff.split(",").pop()?.trim();
    if (last && last.length <= 64) return last;
  }
  return ctx.peer;
}

/**
 * Authenticate `raw` for this request. `scope`, when given, must be among the key's scopes
 * (403 `insufficient_scope` otherwise). Counts the request against the key's limit and quota
 * (429 with `Retry-After` when over) and for the usage statistics.
 */
export async function authenticateKey(
  ctx: RequestContext,
  raw: string | undefined,
  options: { scope?: string; challenge?: string } = {},
): Promise<KeyAuth> {
  const svc = keyService(ctx);
  const addr = clientAddress(ctx);
  const challenge = options.challenge ?? `Bearer realm="${ctx.rt.config.realm}"`;
  const addressBlock = await svc.blocked("address", [addr]);
  if (addressBlock !== undefined) {
    throw KeypebbleError.answer("blocked", "This address is blocked", {
      headers: { "retry-after": String(Math.max(1, addressBlock.until - ctx.nowSec)) },
    });
  }
  const locked = raw === undefined ? 0 : await svc.lockedFor(addr);
  if (locked > 0) {
    ctx.services.metrics.authFailures.labels("locked_out").inc();
    throw KeypebbleError.answer(
      "locked_out",
      "Too many invalid API keys from this address; try again later",
      {
        headers: { "retry-after": String(locked) },
      },
    );
  }
  const check = await svc.check(raw);
  if (!check.ok) {
    ctx.services.metrics.authFailures.labels(`api_key_${check.reason}`).inc();
    // Only guesses count towards lockout: a real key that was revoked, expired or suspended is
    // refused on its own and must not lock out the address (often a NAT shared with others).
    const guess = check.reason === "unknown" || check.reason === "malformed" ||
      check.reason === "wrong_prefix";
    if (guess && await svc.recordFailure(addr)) {
      ctx.services.metrics.lockouts.labels("address").inc();
      ctx.services.logger.warn("lockout", { scope: "api_key_address", remote: addr });
    }
    const code = check.reason === "suspended" ? "forbidden" : "unauthorized";
    throw KeypebbleError.answer(code, REFUSALS[check.reason], {
      headers: code === "unauthorized" ? { "www-authenticate": challenge } : {},
    });
  }
  const key = check.key;
  ctx.subject = key.id;
  const counter = apiKeyRequests(ctx.services.metrics);
  const principalBlock = await svc.blocked("principal", [key.id, key.orgName]);
  if (principalBlock !== undefined) {
    svc.recordUse(key.id, true);
    counter.labels(key.orgName, "refused").inc();
    throw KeypebbleError.answer("blocked", "This API key is blocked", {
      headers: { "retry-after": String(Math.max(1, principalBlock.until - ctx.nowSec)) },
    });
  }
  if (options.scope !== undefined && !key.scopes.includes(options.scope)) {
    svc.recordUse(key.id, true);
    counter.labels(key.orgName, "refused").inc();
    throw KeypebbleError.answer(
      "insufficient_scope",
      `The API key lacks the required scope ${JSON.stringify(options.scope.slice(0, 128))}`,
    );
  }
  const admission = await svc.admit(key);
  if (!admission.allowed) {
    svc.recordUse(key.id, true);
    counter.labels(key.orgName, "refused").inc();
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
  svc.recordUse(key.id, false);
  counter.labels(key.orgName, "allowed").inc();
  return { key, admission };
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
