/**
 * Per-key request rate limiting with the sliding window counter: each key keeps the count of
 * the current fixed window and of the previous one, and the previous count is weighted by how
 * much of it still overlaps the sliding window. O(1) memory and time per key, and no burst of
 * 2x the limit at a window edge as with a plain fixed window.
 *
 * estimate = previous × (1 − elapsed fraction of current window) + current
 *
 * A request is allowed when `estimate + 1 ≤ limit`, and only allowed requests are counted, so
 * a client that keeps hammering while refused does not push its own reset further out.
 *
 * The clock is a parameter (`now`, in milliseconds), so tests never sleep.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ requests: 10, windowSeconds: 60 });
 * const d = limiter.check("addr:192.0.2.1", Date.now());
 * if (!d.allowed) throw new KeypebbleError("rate_limited", "Too many requests", { headers: rateLimitHeaders(d) });
 * ```
 */

import { KeypebbleError } from "../errors.ts";

/** A limit: at most `requests` per `windowSeconds`. */
export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

/** Options for {@link RateLimiter}. */
export interface RateLimiterOptions extends RateLimit {
  /** Most keys kept; least recently used keys are dropped beyond this. Default 10 000. */
  maxKeys?: number;
}

/** The outcome of one {@link RateLimiter.check}. */
export interface RateDecision {
  /** Whether this request may proceed (it has been counted if so). */
  allowed: boolean;
  /** The request quota of the window. */
  limit: number;
  /** Requests left in the window after this one (0 when refused). */
  remaining: number;
  /**
   * Seconds until quota is available: the end of the current window while requests remain,
   * otherwise the time until the next request fits (equal to `retryAfterSeconds` when refused).
   */
  resetSeconds: number;
  /** When refused: seconds until a request would be allowed (at least 1). 0 when allowed. */
  retryAfterSeconds: number;
}

/** Default cap on tracked keys. */
export const DEFAULT_MAX_KEYS = 10_000;

interface _Entry {
  windowMs: number;
  /** Start (ms) of the current fixed window, aligned to a multiple of windowMs. */
  start: number;
  prev: number;
  curr: number;
}

// Absorbs float rounding in the weighted estimate so the retry time we advertise really works.
const EPSILON = 1e-9;

/** Sliding-window-counter rate limiter over string keys, with bounded memory. */
export class RateLimiter {
  readonly requests: number;
  readonly windowSeconds: number;
  readonly maxKeys: number;
  // Map iteration order is insertion order: re-inserting on every touch makes the first key
  // the least recently used, so eviction is O(1).
  readonly #entries = new Map<string, _Entry>();

  constructor(opts: RateLimiterOptions) {
    _validate(opts);
    const maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new KeypebbleError(
        "config_invalid",
        `Rate limit maxKeys "${maxKeys}" must be a positive integer`,
      );
    }
    this.requests = opts.requests;
    this.windowSeconds = opts.windowSeconds;
    this.maxKeys = maxKeys;
  }

  /** Number of keys currently tracked (never more than `maxKeys`). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Counts one request for `key` at `now` (ms since the epoch) and decides. `override` replaces
   * the default limit for this key (e.g. a per-user limit); changing a key's window resets it.
   */
  check(key: string, now: number, override?: RateLimit): RateDecision {
    if (override !== undefined) _validate(override);
    const limit = override?.requests ?? this.requests;
    const windowMs = (override?.windowSeconds ?? this.windowSeconds) * 1000;
    const start = Math.floor(now / windowMs) * windowMs;

    let e = this.#entries.get(key);
    if (e !== undefined) this.#entries.delete(key);
    if (e === undefined || e.windowMs !== windowMs) {
      e = { windowMs, start, prev: 0, curr: 0 };
    } else if (start > e.start) {
      // The previous window only counts if it is the one right before the current one.
      e.prev = start - e.start === windowMs ? e.curr : 0;
      e.curr = 0;
      e.start = start;
    }
    // (start < e.start means the clock went back: keep counting in the newer window.)
    this.#entries.set(key, e);
    if (this.#entries.size > this.maxKeys) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }

    const elapsed = Math.min(Math.max((now - e.start) / windowMs, 0), 1);
    const estimate = e.prev * (1 - elapsed) + e.curr;
    const windowEnd = Math.max(1, Math.ceil(Math.min(e.start + windowMs - now, windowMs) / 1000));

    if (estimate + 1 <= limit + EPSILON) {
      e.curr++;
      const remaining = Math.max(0, Math.floor(limit - estimate - 1 + EPSILON));
      return {
        allowed: true,
        limit,
        remaining,
        // Quota used up: reset is when the next request fits, so a client that waits for it
        // is not refused.
        resetSeconds: remaining > 0 ? windowEnd : _retryAfter(e, limit, now),
        retryAfterSeconds: 0,
      };
    }
    const retryAfterSeconds = _retryAfter(e, limit, now);
    return {
      allowed: false,
      limit,
      remaining: 0,
      resetSeconds: retryAfterSeconds,
      retryAfterSeconds,
    };
  }

  /** Forgets a key (e.g. in tests or after an operator action). */
  reset(key: string): void {
    this.#entries.delete(key);
  }
}

/** Earliest whole second at which one more request fits under the estimate. */
function _retryAfter(e: _Entry, limit: number, now: number): number {
  const w = e.windowMs;
  let at: number;
  if (limit < 1) {
    // Nothing is ever allowed; advertise one window rather than forever.
    at = now + w;
  } else if (e.curr + 1 <= limit) {
    // Fits within this window once the previous window's weight has decayed enough:
    // prev × (1 − f) ≤ limit − 1 − curr.
    const f = 1 - (limit - 1 - e.curr) / e.prev;
    at = e.start + f * w;
  } else {
    // Must wait for the next window, where this window's count becomes the previous one:
    // curr × (1 − f) ≤ limit − 1.
    const f = Math.max(0, 1 - (limit - 1) / e.curr);
    at = e.start + w + f * w;
  }
  return Math.max(1, Math.ceil((at - now) / 1000));
}

function _validate(l: RateLimit): void {
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
