/**
 * Abuse protection: per-key rate limiting (sliding window counter) and lockout after repeated
 * authentication failures, both with bounded memory and an injected clock.
 *
 * @module
 */

export {
  DEFAULT_MAX_KEYS,
  type RateDecision,
  type RateLimit,
  RateLimiter,
  type RateLimiterOptions,
  rateLimitHeaders,
} from "./rate_limiter.ts";
export { Lockout, type LockoutOptions, type LockState } from "./lockout.ts";
export { type Counters, type CounterValue, MemoryCounters } from "./counters.ts";
export { connectRedisCounters } from "./redis_counters.ts";
