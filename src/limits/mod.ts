/**
 * Abuse protection: one limiter (the sliding window counter, and fixed periods for quotas) and one
 * lockout, each with a memory backend and a Redis backend that decide alike; a request's steps run
 * in one backend call (one Redis round trip). Bounded memory, and an injected clock.
 *
 * @module
 */

export {
  type ClearStep,
  type FailResult,
  type FailStep,
  type LimitBackend,
  type LimitStep,
  type LockedResult,
  type LockedStep,
  type PeriodResult,
  type PeriodStep,
  type RateResult,
  type RateStep,
  refuses,
  type StepResult,
} from "./backend.ts";
export {
  Limiter,
  type LimiterOptions,
  type Quota,
  type RateDecision,
  type RateLimit,
  rateLimitHeaders,
  validateRateLimit,
} from "./limiter.ts";
export {
  DEFAULT_LOCK_POLICY,
  type FailOutcome,
  failOutcome,
  Lockout,
  type LockPolicy,
  type LockState,
  lockState,
  validateLockPolicy,
} from "./lockout.ts";
export { DEFAULT_MAX_KEYS, MemoryLimits, type MemoryLimitsOptions } from "./memory_limits.ts";
export { connectRedisLimits, LIMITS_SCRIPT, RedisLimits } from "./redis_limits.ts";
export { type Limits, limitsOver, memoryLimits, redisLimits } from "./open.ts";
export { shareOf } from "./shares.ts";
