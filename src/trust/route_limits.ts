/**
 * Named per-address limits of an application's own routes (`limits.routes.NAME`, issue 22), for
 * gateways: `GET /forward-auth?limit=NAME` asks "may this client address call the route again?"
 * as keyguard's `rate_limit_by_ip` answers it inside an app, and
 * `POST /forward-auth/failures?limit=NAME` lets the application say an attempt failed.
 *
 * - `requests` per `window_seconds`: the calls of one client address (the one client address,
 *   `ctx.client`: behind a trusted gateway, the address it names in `trusted_proxy_header`). Over
 *   the limit: 429 `rate_limited` with `Retry-After`, through the one limiter (limits.ts: memory,
 *   or Redis in fleet mode).
 * - `lock_after` (optional) and `lock_seconds`: failures of one address within `window_seconds`
 *   that lock it out of this limit: every call is then 429 `locked_out` with `Retry-After` until
 *   the lock ends. A failure is a call refused by the limit (so, as keyguard's `lockout=`, an
 *   address that keeps calling past its limit is locked: `lock_after: 1` locks at the first call
 *   over it), or an attempt the application reports as failed (a wrong password at `/login`).
 *
 * Failures and locks go through the one lockout, in the bucket `route:NAME`.
 *
 * @module
 */

import type { RouteLimit } from "../config/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { FailResult, LockPolicy } from "../limits/mod.ts";
import { limitRate, type LockBucket, lockBucket, recordFailure, refuseLocked } from "./limits.ts";
import type { Ctx } from "./services.ts";

const LOCKED = "Too many attempts from this address; try again later";

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
  await refuseLocked(ctx, routeLockBucket(name, limit), [address]);
  try {
    // The limit is its own rate rule (`requests`, `windowSeconds`).
    await limitRate(ctx, { scope: "address", key: `route:${name}:${address}`, rule: limit });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "rate_limited" && limit.lockAfter !== undefined) {
      const failure = await recordRouteFailure(ctx, name, limit, address);
      if (failure.locked) {
        throw KeypebbleError.answer("locked_out", LOCKED, {
          headers: { "retry-after": String(failure.retryAfterSeconds) },
        });
      }
    }
    throw e;
  }
}

/**
 * Count a failed attempt of `address` against the limit `name`; the `lock_after`-th within
 * `window_seconds` locks the address out of the limit for `lock_seconds`. (A failure while locked
 * is not counted: `failures` is 0 and `locked` true.)
 */
export async function recordRouteFailure(
  ctx: Ctx,
  name: string,
  limit: RouteLimit,
  address: string,
): Promise<{ failures: number; locked: boolean; retryAfterSeconds: number }> {
  let r: FailResult | undefined;
  await recordFailure(ctx, routeLockBucket(name, limit), address, {
    remote: address,
    onResult: (result) => void (r = result),
  });
  if (r === undefined) return { failures: 0, locked: false, retryAfterSeconds: 0 }; // no lock_after
  return {
    failures: r.failures,
    locked: r.lockedMs > 0,
    retryAfterSeconds: r.lockedMs > 0 ? Math.max(1, Math.ceil(r.lockedMs / 1000)) : 0,
  };
}

/** A cached bucket, and the name it was built for. */
interface _CachedBucket {
  readonly name: string;
  readonly bucket: LockBucket;
}

/**
 * The buckets of the limits of the configs in force, by limit object: a config's limits are
 * frozen objects, one per name, built anew by each parse, so an entry lives exactly as long as
 * the config generation that holds its limit, and a reload gets new buckets.
 */
const BUCKETS = new WeakMap<RouteLimit, _CachedBucket>();

/**
 * The lockout bucket `route:NAME` of the limit `name` (its policy off without `lock_after`): one
 * object per limit of a config, built at its first use, so that a call builds no bucket nor
 * policy.
 */
export function routeLockBucket(name: string, limit: RouteLimit): LockBucket {
  const cached = BUCKETS.get(limit);
  if (cached !== undefined && cached.name === name) return cached.bucket;
  const policy: LockPolicy | undefined = limit.lockAfter === undefined ? undefined : Object.freeze({
    maxFailures: limit.lockAfter,
    windowSeconds: limit.windowSeconds,
    lockSeconds: limit.lockSeconds,
  });
  const bucket = lockBucket({
    name: `route:${name}`,
    message: LOCKED,
    policy: () => policy,
    logScope: () => "route_limit",
  });
  BUCKETS.set(limit, { name, bucket });
  return bucket;
}
