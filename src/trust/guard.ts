/**
 * What surrounds every credential check of a sign-in: the lockout (refused before any check, so
 * a right password leaks nothing while locked), failure accounting, and the per-principal rate
 * limit. All of it counts through the one limiter and lockout (src/trust/limits.ts), in the
 * {@link SIGNIN} bucket.
 *
 * Lockout keys: the client address (src/identity/address.ts; not when a trusted proxy did not say
 * who its client is) and the principal tried. A success clears only the principal's count, never
 * the address's: an address that keeps failing is locked whatever else succeeds from it. When the
 * client address is unknown, attempts are charged to the target principal's rate limit before
 * the credential is checked, so a proxy cannot be used to try passwords (and burn PBKDF2) without
 * limit.
 */

import { KeypebbleError } from "../errors.ts";
import { basicChallenge } from "../identity/mod.ts";
import {
  clearFailures,
  flushLimits,
  limitRate,
  limitsPending,
  recordFailure,
  refuseLocked,
  SIGNIN,
} from "./limits.ts";
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
 * Run a credential check under the sign-in lockout: refused while any of `keys` is locked; a
 * failure (the check throws `unauthorized`, or resolves to `null`) is counted against every key.
 * `label` names the failure in `keypebble_auth_failures_total`. `cheap` says the check costs no
 * hashing (a remembered credential): with Redis its lock check may then travel with the request's
 * other steps instead of before the check.
 */
export async function guarded<T>(
  ctx: Ctx,
  keys: readonly string[],
  label: string,
  check: () => Promise<T | null>,
  options: { cheap?: boolean } = {},
): Promise<T | null> {
  const locked = refuseLocked(ctx, SIGNIN, keys);
  if (locked !== undefined) await locked;
  if (!options.cheap && limitsPending(ctx)) await flushLimits(ctx);
  let out: T | null;
  try {
    out = await check();
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") await _failed(ctx, keys, label);
    throw e;
  }
  if (out === null) await _failed(ctx, keys, label);
  return out;
}

async function _failed(ctx: Ctx, keys: readonly string[], label: string): Promise<void> {
  ctx.services.metrics.authFailures.labels(label).inc();
  for (const key of keys) {
    const r = recordFailure(ctx, SIGNIN, key);
    if (r !== undefined) await r;
  }
}

/** Clear a principal's sign-in failures after a success (the address's stay). */
export function clearSignInFailures(ctx: Ctx, key: string): void | Promise<void> {
  return clearFailures(ctx, SIGNIN, key);
}

/** Refuse when any of `keys` is locked out of sign-in. */
export function refuseSignInLocked(ctx: Ctx, keys: readonly string[]): void | Promise<void> {
  return refuseLocked(ctx, SIGNIN, keys);
}

/**
 * The per-principal rate limit (`rate_limit.per_principal`, or the policy user's own
 * `rate_limit`), for every authenticated caller but API keys (which have their own).
 */
export function limitPrincipal(ctx: Ctx, subject: string): void | Promise<void> {
  const spec = ctx.rt.config.rateLimit.perPrincipal;
  const override = ctx.rt.policy?.users.get(subject)?.rateLimit;
  const rule = override ?? spec;
  if (rule === undefined) return;
  return limitRate(ctx, { scope: "principal", key: `sub:${subject.slice(0, 128)}`, rule });
}

/**
 * A per-address budget for one costly action (`action` names its bucket, e.g. `register`), on
 * top of the general per-address limit: 429 with `Retry-After` when spent. Nothing when the client
 * address is unknown (a trusted proxy that names no client).
 */
export function limitAddress(
  ctx: Ctx,
  action: string,
  rule: { requests: number; windowSeconds: number },
): void | Promise<void> {
  if (!ctx.client.known) return;
  return limitRate(ctx, { scope: "address", key: `${action}:${ctx.client.address}`, rule });
}
