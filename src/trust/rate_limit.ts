/**
 * Enforcing a rate limit for a request: one check against the right limiter, the metric, and a
 * 429 `rate_limited` carrying `Retry-After` and the `RateLimit-*` headers. Used per client
 * address (the handler) and per authenticated principal (authentication).
 */

import type { RateLimitSpec } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { type Counters, rateLimitHeaders } from "../limits/mod.ts";
import type { Ctx } from "./services.ts";

const MESSAGES = {
  address: "Too many requests from this address; slow down",
  principal: "Too many requests for this account; slow down",
} as const;

/**
 * Count one request for `key`; throw a 429 when `limit` is exceeded. In fleet mode the count is
 * shared (a fixed window of `windowSeconds` in Redis) and the result is a promise; when Redis
 * cannot answer the request is refused (503), never waved through.
 */
export function enforceRateLimit(
  ctx: Ctx,
  limit: { scope: "address" | "principal"; key: string; spec: RateLimitSpec },
): void | Promise<void> {
  const { services } = ctx;
  if (services.shared !== undefined) return _shared(ctx, services.shared, limit);
  const limiter = limit.scope === "address" ? services.addressLimiter : services.principalLimiter;
  const d = limiter.check(limit.key, services.now(), limit.spec);
  if (d.allowed) return;
  services.metrics.rateLimited.labels(limit.scope).inc();
  // With N workers `spec.requests` is this worker's share; clients are told the configured limit.
  throw KeypebbleError.answer("rate_limited", MESSAGES[limit.scope], {
    headers: rateLimitHeaders({ ...d, limit: limit.spec.configured ?? d.limit }),
  });
}

async function _shared(
  ctx: Ctx,
  counters: Counters,
  limit: { scope: "address" | "principal"; key: string; spec: RateLimitSpec },
): Promise<void> {
  const now = ctx.services.now();
  const windowMs = limit.spec.windowSeconds * 1000;
  const window = Math.floor(now / windowMs);
  const c = await counters.incr(`rl:${limit.key}:${window}`, windowMs - (now % windowMs));
  if (c.value <= limit.spec.requests) return;
  ctx.services.metrics.rateLimited.labels(limit.scope).inc();
  const reset = Math.max(1, Math.ceil(c.ttlMs / 1000));
  throw KeypebbleError.answer("rate_limited", MESSAGES[limit.scope], {
    headers: rateLimitHeaders({
      allowed: false,
      limit: limit.spec.requests,
      remaining: 0,
      resetSeconds: reset,
      retryAfterSeconds: reset,
    }),
  });
}
