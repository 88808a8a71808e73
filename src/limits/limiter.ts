/**
 * The one limiter: every rate limit (per client address, per principal, per API key, per named
 * route) and every quota counts through it, with one algorithm (the sliding window counter,
 * sliding_window.ts; a quota is a fixed period) on one backend: this process's memory, or Redis
 * for a fleet, which decide alike.
 *
 * A limiter makes steps for its backend ({@link Limiter.step}, {@link Limiter.periodStep}) and
 * reads their results into decisions ({@link Limiter.decision}); a request that touches several
 * limits runs all its steps in one backend call (one Redis round trip, src/trust/limits.ts).
 * {@link Limiter.check} does both for one limit.
 *
 * With N workers counting in memory, each enforces its share of a limit (shares.ts), and the
 * decision still reports the configured limit (the share is an internal detail), with the
 * remaining count scaled to it.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(new MemoryLimits());
 * const d = limiter.check("addr:192.0.2.1", { requests: 10, windowSeconds: 60 }, Date.now());
 * if (!d.allowed) throw KeypebbleError.answer("rate_limited", "Slow down", { headers: rateLimitHeaders(d) });
 * ```
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { LimitBackend, PeriodResult, PeriodStep, RateResult, RateStep } from "./backend.ts";
import { shareOf } from "./shares.ts";
import { EPSILON, estimate, retryAfterSeconds, windowStart } from "./sliding_window.ts";

/** A limit: at most `requests` per `windowSeconds`. */
export interface RateLimit {
  readonly requests: number;
  readonly windowSeconds: number;
}

/** A quota: at most `limit` requests in the period [`start`, `end`) (ms). */
export interface Quota {
  readonly limit: number;
  readonly start: number;
  readonly end: number;
}

/** The outcome of counting one request. */
export interface RateDecision {
  /** Whether this request may proceed (it has been counted if so). */
  readonly allowed: boolean;
  /** The configured limit of the window (never a worker's share). */
  readonly limit: number;
  /** Requests left in the window after this one (0 when refused), scaled to `limit`. */
  readonly remaining: number;
  /**
   * Seconds until quota is available: the end of the current window while requests remain,
   * otherwise the time until the next request fits (equal to `retryAfterSeconds` when refused).
   */
  readonly resetSeconds: number;
  /** When refused: seconds until a request would be allowed (at least 1). 0 when allowed. */
  readonly retryAfterSeconds: number;
}

/** Options of {@link Limiter}. */
export interface LimiterOptions {
  /**
   * Workers of one process counting in memory apart (`serve --workers N`); each enforces
   * `floor(limit / N)`. Ignored with a Redis backend, where the counts are the process's. Default 1.
   */
  readonly workers?: number;
}

/** Counts requests against limits and quotas, on one backend. */
export class Limiter {
  readonly backend: LimitBackend;
  /** The divisor of every limit enforced here (1 with Redis). */
  readonly share: number;

  constructor(backend: LimitBackend, options: LimiterOptions = {}) {
    this.backend = backend;
    this.share = backend.kind === "memory" ? Math.max(1, options.workers ?? 1) : 1;
  }

  /** The step that counts one request for `key` against `rule`. */
  step(key: string, rule: RateLimit): RateStep {
    validateRateLimit(rule);
    return {
      op: "rate",
      key,
      limit: shareOf(rule.requests, this.share),
      windowMs: rule.windowSeconds * 1000,
    };
  }

  /** The decision a rate step's result means, at the clock the step ran at. */
  decision(rule: RateLimit, r: RateResult, now: number): RateDecision {
    const enforced = shareOf(rule.requests, this.share);
    const windowMs = rule.windowSeconds * 1000;
    const start = windowStart(now, windowMs);
    if (!r.allowed) {
      const retry = retryAfterSeconds(r.prev, r.curr, start, windowMs, enforced, now);
      return {
        allowed: false,
        limit: rule.requests,
        remaining: 0,
        resetSeconds: retry,
        retryAfterSeconds: retry,
      };
    }
    const est = estimate(r.prev, r.curr, start, windowMs, now);
    const remaining = Math.max(0, Math.floor(enforced - est - 1 + EPSILON));
    const windowEnd = Math.max(1, Math.ceil(Math.min(start + windowMs - now, windowMs) / 1000));
    return {
      allowed: true,
      limit: rule.requests,
      remaining: this.#scaled(remaining, rule.requests, enforced),
      // Quota used up: reset is when the next request fits, so a client that waits for it is
      // not refused.
      resetSeconds: remaining > 0
        ? windowEnd
        : retryAfterSeconds(r.prev, r.curr + 1, start, windowMs, enforced, now),
      retryAfterSeconds: 0,
    };
  }

  /** The step that counts one request for `key` against `quota`. */
  periodStep(key: string, quota: Quota): PeriodStep {
    return {
      op: "period",
      key,
      limit: shareOf(quota.limit, this.share),
      start: quota.start,
      end: quota.end,
    };
  }

  /** The decision a period step's result means. */
  periodDecision(quota: Quota, r: PeriodResult, now: number): RateDecision {
    const enforced = shareOf(quota.limit, this.share);
    const reset = Math.max(1, Math.ceil((quota.end - now) / 1000));
    const remaining = r.allowed ? Math.max(0, enforced - r.used - 1) : 0;
    return {
      allowed: r.allowed,
      limit: quota.limit,
      remaining: this.#scaled(remaining, quota.limit, enforced),
      resetSeconds: reset,
      retryAfterSeconds: r.allowed ? 0 : reset,
    };
  }

  /** Count one request for `key` against `rule` and decide (memory: at once; Redis: one call). */
  check(key: string, rule: RateLimit, now: number): RateDecision | Promise<RateDecision> {
    const ran = this.backend.run([this.step(key, rule)], now);
    return ran instanceof Promise
      ? ran.then((r) => this.decision(rule, r[0] as RateResult, now))
      : this.decision(rule, ran[0] as RateResult, now);
  }

  #scaled(remaining: number, configured: number, enforced: number): number {
    return enforced === configured || enforced === 0
      ? remaining
      : Math.min(configured, Math.floor(remaining * configured / enforced));
  }
}

/** Refuse a limit that cannot be enforced (a config or a caller's mistake, never a client's). */
export function validateRateLimit(l: RateLimit): void {
  if (!Number.isInteger(l.requests) || l.requests < 0) {
    throw new KeypebbleError(
      "config_invalid",
      `Rate limit requests "${l.requests}" must be a non-negative integer`,
    );
  }
  if (!Number.isFinite(l.windowSeconds) || l.windowSeconds <= 0) {
    throw new KeypebbleError(
      "config_invalid",
      `Rate limit windowSeconds "${l.windowSeconds}" must be a positive number`,
    );
  }
}

/**
 * Response headers for a decision, in the style of the IETF draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers, the separate
 * `RateLimit-Limit` / `-Remaining` / `-Reset` fields, delta-seconds), plus `Retry-After`
 * (RFC 9110 §10.2.3, delay-seconds) when the request is refused.
 */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const h: Record<string, string> = {
    "RateLimit-Limit": String(d.limit),
    "RateLimit-Remaining": String(d.remaining),
    "RateLimit-Reset": String(d.resetSeconds),
  };
  if (!d.allowed) h["Retry-After"] = String(d.retryAfterSeconds);
  return h;
}
