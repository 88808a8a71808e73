/**
 * Per-worker shares of the rate limits and the lockout threshold. Each worker keeps its own
 * counters (nothing is shared between threads), so each enforces `max(1, floor(limit / N))` of
 * a limit: however the kernel spreads a client's connections over the N workers, the client gets
 * at most the configured number of requests (or failed logins) per window in total, as long as
 * the limit is at least N. A client on one keep-alive connection meets its worker's share. See
 * README "Workers".
 */

import type { Config, RateLimitSpec } from "../config/mod.ts";
import type { Runtime } from "../runtime/mod.ts";

/** A limit's share for one of `workers` workers. */
export function shareOf(limit: number, workers: number): number {
  return Math.max(1, Math.floor(limit / workers));
}

/** The runtime with its limits divided among `workers` (unchanged for one worker). */
export function shareLimits(rt: Runtime, workers: number): Runtime {
  // With shared_limits the counters live in Redis for the whole process: the full limits apply.
  if (workers <= 1 || rt.config.sharedLimits !== undefined) return rt;
  const c = rt.config;
  const share = (s: RateLimitSpec | undefined) =>
    s === undefined ? undefined : { ...s, requests: shareOf(s.requests, workers) };
  const perAddress = share(c.rateLimit.perAddress);
  const perPrincipal = share(c.rateLimit.perPrincipal);
  const config: Config = {
    ...c,
    rateLimit: {
      ...(perAddress === undefined ? {} : { perAddress }),
      ...(perPrincipal === undefined ? {} : { perPrincipal }),
    },
    lockout: { ...c.lockout, maxFailures: shareOf(c.lockout.maxFailures, workers) },
    limits: {
      ...c.limits,
      // Route limits (`limits.routes`): each worker counts its share of calls and failures.
      routes: Object.fromEntries(
        Object.entries(c.limits.routes).map(([name, l]) => [
          name,
          {
            ...l,
            requests: shareOf(l.requests, workers),
            ...(l.lockAfter === undefined ? {} : { lockAfter: shareOf(l.lockAfter, workers) }),
          },
        ]),
      ),
    },
  };
  return Object.freeze({ ...rt, config });
}
