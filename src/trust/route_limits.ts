/**
 * Named per-address limits of an application's own routes (`limits.routes.NAME`, issue 22), for
 * gateways: `GET /forward-auth?limit=NAME` asks "may this client address call the route again?"
 * as keyguard's `rate_limit_by_ip` answers it inside an app, and
 * `POST /forward-auth/failures?limit=NAME` lets the application say an attempt failed.
 *
 * - `requests` per `window_seconds`: the calls of one client address (the one client address,
 *   `ctx.client`: behind a trusted gateway, the address it names in `trusted_proxy_header`). Over
 *   the limit: 429 `rate_limited` with `Retry-After`, through the same limiter as
 *   `rate_limit.per_address` (memory, or Redis in fleet mode).
 * - `lock_after` (optional) and `lock_seconds`: failures of one address within `window_seconds`
 *   that lock it out of this limit: every call is then 429 `locked_out` with `Retry-After` until
 *   the lock ends. A failure is a call refused by the limit (so, as keyguard's `lockout=`, an
 *   address that keeps calling past its limit is locked: `lock_after: 1` locks at the first call
 *   over it), or an attempt the application reports as failed (a wrong password at `/login`).
 *
 * Failures and locks are kept in counters (`lf`/`lk` under `route:NAME:`, fixed windows from the
 * first failure), in Redis in fleet mode and in this process otherwise.
 *
 * To be unified with the sign-in lockout (guard.ts) and the API-key lockout (keys.ts,
 * ApiKeyService.lockedFor/recordFailure) into one limiter and one lockout.
 *
 * @module
 */

import type { RouteLimit } from "../config/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { Counters } from "../limits/mod.ts";
import { enforceRateLimit } from "./rate_limit.ts";
import type { Ctx } from "./services.ts";

/** The limit a request names in `?limit=` (exactly once), or a refusal. */
export function namedRouteLimit(ctx: Ctx): { name: string; limit: RouteLimit } {
  const names = ctx.query.getAll("limit");
  if (names.length !== 1) {
    throw KeypebbleError.answer("invalid_request", 'Name one limit in "?limit="');
  }
  const name = names[0];
  const limit = Object.hasOwn(ctx.rt.config.limits.routes, name)
    ? ctx.rt.config.limits.routes[name]
    : undefined;
  if (limit === undefined) {
    // Closed unless opened: a name the operator did not configure lets nothing through.
    throw KeypebbleError.answer(
      "not_found",
      `No limit ${quoteForMessage(name, 64)} is configured (limits.routes)`,
    );
  }
  return { name, limit };
}

/** The client address a limit counts, or a refusal when the gateway did not name its client. */
export function limitedAddress(ctx: Ctx): string {
  if (!ctx.client.known) {
    // Limiting the gateway itself would limit all its clients at once: refuse instead (a 4xx
    // makes the gateway refuse the request), and say what the gateway must send.
    throw KeypebbleError.answer(
      "invalid_request",
      `The gateway did not name its client in "${ctx.rt.config.trustedProxyHeader}"`,
    );
  }
  return ctx.client.address;
}

/**
 * Count one call of `address` against the limit `name`: refused while the address is locked out
 * of it, or when the call is over `requests` (which is a failure towards `lock_after`).
 */
export async function checkRouteLimit(
  ctx: Ctx,
  name: string,
  limit: RouteLimit,
  address: string,
): Promise<void> {
  const id = _id(name, address);
  if (limit.lockAfter !== undefined) await _refuseLocked(ctx, id);
  try {
    await enforceRateLimit(ctx, {
      scope: "address",
      key: id,
      spec: { requests: limit.requests, windowSeconds: limit.windowSeconds },
    });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "rate_limited" && limit.lockAfter !== undefined) {
      const failure = await recordRouteFailure(ctx, name, limit, address);
      if (failure.locked) throw _locked(failure.retryAfterSeconds);
    }
    throw e;
  }
}

/**
 * Count a failed attempt of `address` against the limit `name`; the `lock_after`-th within
 * `window_seconds` locks the address out of the limit for `lock_seconds`.
 */
export async function recordRouteFailure(
  ctx: Ctx,
  name: string,
  limit: RouteLimit,
  address: string,
): Promise<{ failures: number; locked: boolean; retryAfterSeconds: number }> {
  const counters = _counters(ctx);
  const id = _id(name, address);
  const already = await _lockedFor(counters, id);
  if (already > 0) return { failures: 0, locked: true, retryAfterSeconds: already };
  if (limit.lockAfter === undefined) return { failures: 0, locked: false, retryAfterSeconds: 0 };
  const c = await counters.incr(`lf:${id}`, limit.windowSeconds * 1000);
  if (c.value < limit.lockAfter) {
    return { failures: c.value, locked: false, retryAfterSeconds: 0 };
  }
  await counters.setFlag(`lk:${id}`, limit.lockSeconds * 1000);
  await counters.reset(`lf:${id}`);
  ctx.services.metrics.lockouts.labels("address").inc();
  ctx.services.logger.warn("lockout", {
    scope: "route_limit",
    limit: name,
    remote: address,
    lock_seconds: limit.lockSeconds,
  });
  return { failures: c.value, locked: true, retryAfterSeconds: limit.lockSeconds };
}

async function _refuseLocked(ctx: Ctx, id: string): Promise<void> {
  const s = await _lockedFor(_counters(ctx), id);
  if (s > 0) throw _locked(s);
}

async function _lockedFor(counters: Counters, id: string): Promise<number> {
  const ms = await counters.flagTtl(`lk:${id}`);
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0;
}

function _locked(seconds: number): KeypebbleError {
  return KeypebbleError.answer(
    "locked_out",
    "Too many attempts from this address; try again later",
    { headers: { "retry-after": String(seconds) } },
  );
}

function _counters(ctx: Ctx): Counters {
  return ctx.services.shared ?? ctx.services.routeCounters;
}

function _id(name: string, address: string): string {
  return `route:${name}:${address}`;
}
