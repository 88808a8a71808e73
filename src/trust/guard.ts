/**
 * What surrounds every credential check: the lockout (refused before any check, so a right
 * password leaks nothing while locked), failure accounting, and the per-principal rate limit.
 *
 * Lockout keys: the client address (src/identity/address.ts; not when a trusted proxy did not say
 * who its client is) and the principal tried. A success clears only the principal's count, never
 * the address's: an address that keeps failing is locked whatever else succeeds from it. When the
 * client address is unknown, attempts are charged to the target principal's rate limit before
 * the credential is checked, so a proxy cannot be used to try passwords (and burn PBKDF2) without
 * limit.
 *
 * In fleet mode the counts are shared through Redis (`lf:` failures, `lk:` locks) by every
 * instance; in memory they are this process's.
 */

import { KeypebbleError } from "../errors.ts";
import { basicChallenge } from "../identity/mod.ts";
import type { Counters } from "../limits/mod.ts";
import { enforceRateLimit } from "./rate_limit.ts";
import type { Ctx } from "./services.ts";

/** The one `WWW-Authenticate` challenge of Basic routes (RFC 7617 §2). */
export function challengeHeaders(ctx: Ctx): Record<string, string> {
  return { "www-authenticate": basicChallenge(ctx.rt.config.realm) };
}

/** The lockout key of the client address, or none when it is unknown. */
export function addressKey(ctx: Ctx): string | undefined {
  return ctx.client.known ? `addr:${ctx.client.address}` : undefined;
}

/**
 * Run a credential check under the lockout: refused while any of `keys` is locked; a failure
 * (the check throws `unauthorized`, or resolves to `null`) is counted against every key. `label`
 * names the failure in `keypebble_auth_failures_total`.
 */
export async function guarded<T>(
  ctx: Ctx,
  keys: readonly string[],
  label: string,
  check: () => Promise<T | null>,
): Promise<T | null> {
  const lockout = ctx.rt.config.lockout.enabled;
  if (lockout) await refuseLocked(ctx, keys);
  let out: T | null;
  try {
    out = await check();
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      await _failed(ctx, keys, label);
    }
    throw e;
  }
  if (out === null) await _failed(ctx, keys, label);
  return out;
}

async function _failed(ctx: Ctx, keys: readonly string[], label: string): Promise<void> {
  const { services, rt } = ctx;
  services.metrics.authFailures.labels(label).inc();
  if (!rt.config.lockout.enabled) return;
  for (const key of keys) {
    if (await recordLockoutFailure(ctx, key)) {
      const scope = key.startsWith("addr:") ? "address" : "principal";
      services.metrics.lockouts.labels(scope).inc();
      services.logger.warn("lockout", {
        scope: scope === "address" ? "address" : key.slice(0, key.indexOf(":")),
        remote: ctx.client.address,
        lock_seconds: rt.config.lockout.lockSeconds,
      });
    }
  }
}

/** Refuse (429 `locked_out` with `Retry-After`) when any of `keys` is locked. */
export async function refuseLocked(ctx: Ctx, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const state = await lockoutState(ctx, key);
    if (state.locked) {
      ctx.services.metrics.authFailures.labels("locked_out").inc();
      // Credentials are not even checked while locked, so a right password leaks nothing.
      throw KeypebbleError.answer(
        "locked_out",
        "Too many failed sign-in attempts; try again later",
        { headers: { "retry-after": String(state.retryAfterSeconds) } },
      );
    }
  }
}

/** A lockout key's state: in the shared counters in fleet mode, else in this process. */
export function lockoutState(
  ctx: Ctx,
  key: string,
): Promise<{ locked: boolean; retryAfterSeconds: number }> {
  const shared = ctx.services.shared;
  return shared === undefined
    ? Promise.resolve(ctx.services.lockout.isLocked(key, ctx.services.now()))
    : _sharedLocked(shared, key);
}

/** Count a failed attempt against a lockout key (shared in fleet mode); true when it locks now. */
export async function recordLockoutFailure(ctx: Ctx, key: string): Promise<boolean> {
  const shared = ctx.services.shared;
  const r = shared === undefined
    ? ctx.services.lockout.recordFailure(key, ctx.services.now())
    : await _sharedFailure(ctx, shared, key);
  return r.lockedNow;
}

/** Forget a lockout key's failures after a success (shared in fleet mode). */
export async function clearLockoutFailures(ctx: Ctx, key: string): Promise<void> {
  const shared = ctx.services.shared;
  if (shared === undefined) ctx.services.lockout.recordSuccess(key);
  else await shared.reset(`lf:${key}`);
}

/**
 * Fleet mode: a failure counted in the shared counters (`lf:` within `lockout.window_seconds`);
 * the `max_failures`-th locks the key (`lk:`) for `lockout.lock_seconds` on every instance.
 */
async function _sharedFailure(
  ctx: Ctx,
  shared: Counters,
  key: string,
): Promise<{ lockedNow: boolean }> {
  const lo = ctx.rt.config.lockout;
  const c = await shared.incr(`lf:${key}`, lo.windowSeconds * 1000);
  if (c.value !== lo.maxFailures) return { lockedNow: false };
  await shared.setFlag(`lk:${key}`, lo.lockSeconds * 1000);
  await shared.reset(`lf:${key}`);
  return { lockedNow: true };
}

async function _sharedLocked(
  shared: Counters,
  key: string,
): Promise<{ locked: boolean; retryAfterSeconds: number }> {
  const ms = await shared.flagTtl(`lk:${key}`);
  return { locked: ms > 0, retryAfterSeconds: ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 0 };
}

/**
 * The per-principal rate limit (`rate_limit.per_principal`, or the policy user's own
 * `rate_limit`), for every authenticated caller but API keys (which have their own).
 */
export function limitPrincipal(ctx: Ctx, subject: string): void | Promise<void> {
  const spec = ctx.rt.config.rateLimit.perPrincipal;
  const override = ctx.rt.policy?.users.get(subject)?.rateLimit;
  const limit = override ?? spec;
  if (limit === undefined) return;
  return enforceRateLimit(ctx, {
    scope: "principal",
    key: `sub:${subject.slice(0, 128)}`,
    spec: limit,
  });
}

/**
 * A per-address budget for one costly action (`action` names its bucket, e.g. `register`), on
 * top of the general per-address limit: 429 with `Retry-After` when spent. Nothing when the client
 * address is unknown (a trusted proxy that names no client).
 */
export function limitAddress(
  ctx: Ctx,
  action: string,
  spec: { requests: number; windowSeconds: number },
): void | Promise<void> {
  if (!ctx.client.known) return;
  return enforceRateLimit(ctx, {
    scope: "address",
    key: `${action}:${ctx.client.address}`,
    spec,
  });
}
