/**
 * Enforcing a rate limit for a request: one check against the right limiter, the metric, and a
 * 429 `rate_limited` carrying `Retry-After` and the `RateLimit-*` headers. Used per client
 * address (the handler) and per authenticated principal (authentication).
 */

import type { RateLimitSpec } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { rateLimitHeaders } from "../limits/mod.ts";
import type { RequestContext } from "./context.ts";

const MESSAGES = {
  address: "Too many requests from this address; slow down",
  principal: "Too many requests for this account; slow down",
} as const;

/** Count one request for `key`; throw a 429 when `limit` is exceeded. */
export function enforceRateLimit(
  ctx: RequestContext,
  limit: { scope: "address" | "principal"; key: string; spec: RateLimitSpec },
): void {
  const { services } = ctx;
  const limiter = limit.scope === "address" ? services.addressLimiter : services.principalLimiter;
  const d = limiter.check(limit.key, services.now(), limit.spec);
  if (d.allowed) return;
  services.metrics.rateLimited.labels(limit.scope).inc();
  throw new KeypebbleError("rate_limited", MESSAGES[limit.scope], {
    headers: rateLimitHeaders(d),
  });
}
