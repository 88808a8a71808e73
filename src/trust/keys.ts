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
import type { MemoryLimits, RateDecision } from "../limits/mod.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";
import {
  countQuota,
  flushLimits,
  keyGuessBucket,
  knownLocked,
  limitRate,
  recordFailure,
  refuseLocked,
} from "./limits.ts";
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
 * Guessed keys count towards the lockout (`keyGuessBucket`: per client address, one bucket; a
 * route may keep its own bucket, e.g. the admin API's).
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
  const bucket = keyGuessBucket(options.lockoutBucket);
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
  if (addr !== undefined) {
    const locked = refuseLocked(ctx, bucket, [addr]);
    if (locked !== undefined) await locked;
    // With Redis the lock check travels with the request's other steps, unless this address is
    // known to be locked: then it is run now, and a locked address costs no store lookup.
    else if (knownLocked(ctx, bucket, addr)) await flushLimits(ctx);
  }
  const check = await svc.check(raw);
  if (!check.ok) {
    ctx.services.metrics.authFailures.labels(`api_key_${check.reason}`).inc();
    // Only guesses count towards lockout: a real key that was revoked, expired or suspended is
    // refused on its own and must not lock out the address (often a NAT shared with others).
    if (addr !== undefined && _guess(check.reason)) {
      const failed = recordFailure(ctx, bucket, addr);
      if (failed !== undefined) await failed;
    }
    if (check.reason === "malformed" || check.reason === "wrong_prefix") {
      throw unauthorized("The API key is malformed", "api_key");
    }
    throw unauthorized(NOT_VALID, "api_key");
  }
  const key = check.key;
  ctx.subject = key.id;
  const counted = options.counted !== false;
  const principalBlock = await svc.blocked("principal", [key.id, key.orgId, key.orgName]);
  if (principalBlock !== undefined) {
    _refused(ctx, key, counted);
    throw KeypebbleError.answer("blocked", "This API key is blocked", {
      headers: { "retry-after": String(Math.max(1, principalBlock.until - ctx.nowSec)) },
    });
  }
  const caller: { -readonly [K in keyof KeyCaller]: KeyCaller[K] } = {
    kind: "api_key",
    subject: key.id,
    method: "api_key",
    key,
  };
  const admitted = _admitKey(ctx, key, caller, counted);
  if (admitted !== undefined) await admitted;
  // Counted as allowed or refused when the route has answered (`settle`).
  return caller;
}

/**
 * Count one request against the key's per-minute limit, then its monthly quota (one limiter; the
 * steps travel with the request's others in fleet mode). The decisions land in
 * `caller.admission`, for the `RateLimit` headers.
 */
function _admitKey(
  ctx: Ctx,
  key: ApiKeyWithOrg,
  caller: { admission?: Admission },
  counted: boolean,
): void | Promise<void> {
  let limited: void | Promise<void> = undefined;
  if (key.rateLimitPerMinute !== null) {
    limited = limitRate(ctx, {
      scope: "principal",
      key: `key:${key.id}`,
      rule: { requests: key.rateLimitPerMinute, windowSeconds: 60 },
      onDecision: (d) => {
        caller.admission = _admission(d);
        if (!d.allowed) throw _overLimit(ctx, key, caller.admission, "rate_limited", counted);
      },
    });
  }
  if (key.monthlyQuota === null) return limited;
  const quota = _month(key.monthlyQuota, ctx.services.now());
  const count = () =>
    countQuota(ctx, {
      key: `quota:${key.id}`,
      quota,
      onDecision: (d) => {
        if (d.allowed) return;
        const a: Admission = {
          allowed: false,
          reason: "quota_exceeded",
          ...(caller.admission === undefined
            ? {}
            : { limit: caller.admission.limit, remaining: caller.admission.remaining }),
          resetSeconds: d.resetSeconds,
        };
        throw _overLimit(ctx, key, a, "quota_exceeded", counted);
      },
    });
  const backend = ctx.services.limits.backend;
  if (
    backend.kind === "memory" &&
    !(backend as MemoryLimits).hasPeriod(`quota:${key.id}`, quota.start)
  ) {
    // In memory, a restart must not hand out a fresh month: start from the stored usage (a
    // store read once per key and month; with N workers each starts from its share).
    return (async () => {
      if (limited !== undefined) await limited;
      await _seedQuota(ctx, key, quota);
      const c = count();
      if (c !== undefined) await c;
    })();
  }
  if (limited === undefined) return count();
  return limited.then(count);
}

async function _seedQuota(
  ctx: Ctx,
  key: ApiKeyWithOrg,
  quota: { start: number; end: number },
): Promise<void> {
  const used = await requireKeys(ctx).store.usage.forKey(key.id, Math.floor(quota.start / 1000));
  const backend = ctx.services.limits.backend as MemoryLimits;
  const share = ctx.services.limits.limiter.share;
  const k = `quota:${key.id}`;
  if (backend.hasPeriod(k, quota.start)) return; // another request seeded it meanwhile
  backend.seedPeriod(k, quota.start, quota.end, Math.ceil(used / share), ctx.services.now());
}

/** The calendar month (UTC) holding `now`, as a quota period. */
function _month(limit: number, now: number): { limit: number; start: number; end: number } {
  const d = new Date(now);
  return {
    limit,
    start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
  };
}

function _admission(d: RateDecision): Admission {
  return d.allowed
    ? { allowed: true, limit: d.limit, remaining: d.remaining, resetSeconds: d.resetSeconds }
    : {
      allowed: false,
      reason: "rate_limited",
      limit: d.limit,
      remaining: 0,
      resetSeconds: d.resetSeconds,
    };
}

function _refused(ctx: Ctx, key: ApiKeyWithOrg, counted: boolean): void {
  if (counted) ctx.services.apiKeys?.recordUse(key.id, true);
  apiKeyRequests(ctx.services.metrics).labels(orgLabel(ctx, key.orgName), "refused").inc();
}

function _overLimit(
  ctx: Ctx,
  key: ApiKeyWithOrg,
  admission: Admission,
  reason: "rate_limited" | "quota_exceeded",
  counted: boolean,
): KeypebbleError {
  _refused(ctx, key, counted);
  ctx.services.metrics.rateLimited.labels("principal").inc();
  return KeypebbleError.answer(
    reason,
    reason === "quota_exceeded"
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
export function admissionHeaders(
  a: Admission,
  into: Record<string, string> = {},
): Record<string, string> {
  if (a.limit === undefined) return into;
  const remaining = String(a.remaining ?? 0);
  const reset = String(a.resetSeconds ?? 60);
  into["ratelimit"] = `limit=${a.limit}, remaining=${remaining}, reset=${reset}`;
  into["ratelimit-policy"] = `${a.limit};w=60`;
  into["x-ratelimit-limit"] = String(a.limit);
  into["x-ratelimit-remaining"] = remaining;
  into["x-ratelimit-reset"] = reset;
  return into;
}
