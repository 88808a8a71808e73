/**
 * Per-worker shares. Each worker of `serve --workers N` without Redis keeps its own counts
 * (nothing is shared between threads), so each enforces `max(1, floor(limit / N))` of a limit:
 * however the kernel spreads a client's connections over the N workers, the client gets at most
 * the configured number of requests (or failed logins) per window in total, as long as the limit
 * is at least N. A client on one keep-alive connection meets its worker's share. With Redis the
 * counts are the whole process's and the full limits apply. See docs/operations.md "Workers".
 *
 * The share is what a worker enforces, never what it tells: rate-limit headers show the
 * configured limit.
 *
 * @module
 */

/** A limit's share for one of `workers` workers. */
export function shareOf(limit: number, workers: number): number {
  return workers <= 1 || limit < 1 ? limit : Math.max(1, Math.floor(limit / workers));
}
