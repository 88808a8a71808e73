/**
 * The one rate-limit algorithm, the sliding window counter, as pure arithmetic shared by the
 * memory backend and (written out again in Lua, operation for operation) the Redis backend, so
 * both decide alike for the same counts and clock.
 *
 * Each key keeps the count of the current fixed window and of the previous one; the previous
 * count is weighted by how much of it still overlaps the sliding window:
 *
 *     estimate = previous × (1 − elapsed fraction of the current window) + current
 *
 * A request is allowed when `estimate + 1 ≤ limit`, and only allowed requests are counted, so a
 * client that keeps hammering while refused does not push its own reset further out. O(1) memory
 * per key, and no burst of twice the limit at a window edge as with a plain fixed window.
 *
 * A fixed period (a calendar month of a quota) is the same arithmetic with no previous window.
 *
 * @module
 */

/** Absorbs float rounding in the weighted estimate so the retry time we advertise really works. */
export const EPSILON = 1e-9;

/** Start (ms) of the fixed window of `windowMs` that holds `now`. */
export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** The weighted count of the sliding window ending at `now`. */
export function estimate(
  prev: number,
  curr: number,
  start: number,
  windowMs: number,
  now: number,
): number {
  const elapsed = Math.min(Math.max((now - start) / windowMs, 0), 1);
  return prev * (1 - elapsed) + curr;
}

/** Whether one more request fits under `limit` (the Lua script tests exactly this). */
export function fits(est: number, limit: number): boolean {
  return est + 1 <= limit + EPSILON;
}

/**
 * Earliest whole second (from `now`) at which one more request fits, given the counts after this
 * request was or was not counted.
 */
export function retryAfterSeconds(
  prev: number,
  curr: number,
  start: number,
  windowMs: number,
  limit: number,
  now: number,
): number {
  let at: number;
  if (limit < 1) {
    // Nothing is ever allowed; advertise one window rather than forever.
    at = now + windowMs;
  } else if (curr + 1 <= limit) {
    // Fits within this window once the previous window's weight has decayed enough:
    // prev × (1 − f) ≤ limit − 1 − curr.
    const f = 1 - (limit - 1 - curr) / prev;
    at = start + f * windowMs;
  } else {
    // Must wait for the next window, where this window's count becomes the previous one:
    // curr × (1 − f) ≤ limit − 1.
    const f = Math.max(0, 1 - (limit - 1) / curr);
    at = start + windowMs + f * windowMs;
  }
  return Math.max(1, Math.ceil((at - now) / 1000));
}
