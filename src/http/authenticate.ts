/**
 * Caller identity for the HTTP layer: lockout before any credential check, the identity layer
 * (Basic against the policy, or a trusted proxy's header), failure accounting, and the
 * per-principal rate limit. The route table says per route whether a caller is optional or
 * required; the OAuth2 grants use {@link checkPassword} and {@link admitPrincipal} directly.
 *
 * Lockout keys: the client address (unless it is a trusted proxy, which speaks for many clients)
 * and the user name tried. A success clears only the user's count, never the address's: an
 * address that keeps failing is locked whatever else succeeds from it. Attempts arriving through
 * a trusted proxy are charged to the target user's rate limit before the password is checked, so
 * a proxy cannot be used to try passwords (and burn PBKDF2) without limit.
 */

import { presentedKey } from "../apikeys/format.ts";
import { authenticateKey } from "../apikeys/http.ts";
import { KeypebbleError } from "../errors.ts";
import {
  basicChallenge,
  type Caller,
  identifyCaller,
  parseBasicAuth,
  verifyCredentials,
} from "../identity/mod.ts";
import type { Counters } from "../limits/mod.ts";
import type { RequestContext } from "./context.ts";
import { enforceRateLimit } from "./rate_limit.ts";

/** The one `WWW-Authenticate` challenge every 401 carries (RFC 7617 §2). */
export function challengeHeaders(ctx: RequestContext): Record<string, string> {
  return { "www-authenticate": basicChallenge(ctx.rt.config.realm) };
}

/** Identify the caller; `null` when no credentials were offered. Throws on bad credentials. */
export async function optionalCaller(ctx: RequestContext): Promise<Caller | null> {
  const apiKey = _apiKeyCaller(ctx);
  if (apiKey !== undefined) return await apiKey;
  const offered = ctx.req.headers.has("authorization");
  const asserted = ctx.peerIsTrustedProxy && ctx.req.headers.has("x-authenticated-user");
  // Nothing offered: the common anonymous case costs two header lookups.
  if (!offered && !asserted) return null;
  const user = asserted ? undefined : _basicUser(ctx.req);
  const { rt, services } = ctx;
  const caller = await _guarded(
    ctx,
    user,
    offered && !asserted,
    () =>
      identifyCaller(ctx.req, ctx.peer, {
        ...(rt.policy === undefined ? {} : { policy: rt.policy }),
        trustedProxies: rt.trustedProxies,
        cache: services.credentials,
        now: services.now(),
        realm: rt.config.realm,
      }),
  );
  if (caller === null) return null;
  await _admitted(ctx, caller.subject, user !== undefined);
  return caller;
}

/**
 * An API key as the caller (`X-API-Key`, or `Authorization: Bearer` with a key prefix), when a
 * store is configured; the subject is the key's id, for the policy to decide on.
 */
function _apiKeyCaller(ctx: RequestContext): Promise<Caller> | undefined {
  const svc = ctx.services.apiKeys;
  if (svc === undefined) return undefined;
  const raw = presentedKey(ctx.req.headers, svc.config.acceptedPrefixes);
  if (raw === undefined) return undefined;
  return authenticateKey(ctx, raw, { challenge: `Basic realm="${ctx.rt.config.realm}"` }).then(
    async ({ key }) => {
      ctx.subject = key.id;
      await _limitPrincipal(ctx, key.id);
      return { subject: key.id, method: "api_key" as const };
    },
  );
}

/** Identify the caller or answer 401 with a `WWW-Authenticate` challenge. */
export async function requireCaller(ctx: RequestContext): Promise<Caller> {
  const caller = await optionalCaller(ctx);
  if (caller === null) {
    ctx.services.metrics.authFailures.labels("missing_credentials").inc();
    throw KeypebbleError.answer("unauthorized", "Authentication is required", {
      headers: challengeHeaders(ctx),
    });
  }
  return caller;
}

/**
 * Check a user name and password as a Basic login is checked (lockout, limits, equal work for
 * unknown users): the OAuth2 password grant calls this instead of building a request.
 */
export async function checkPassword(
  ctx: RequestContext,
  user: string,
  password: string,
): Promise<Caller> {
  const { rt, services } = ctx;
  const name = user.slice(0, 128);
  const caller = await _guarded(ctx, name, true, () =>
    verifyCredentials(user, password, {
      ...(rt.policy === undefined ? {} : { policy: rt.policy }),
      cache: services.credentials,
      now: services.now(),
      realm: rt.config.realm,
    }));
  await _admitted(ctx, caller.subject, true);
  return caller;
}

/**
 * Admit a principal presenting a grant that is not a password (a refresh token): a locked-out
 * user is refused as at login, and the per-principal rate limit applies.
 */
export async function admitPrincipal(ctx: RequestContext, subject: string): Promise<void> {
  if (ctx.rt.config.lockout.enabled) await _refuseLocked(ctx, [`user:${subject.slice(0, 128)}`]);
  ctx.subject = subject;
  await _limitPrincipal(ctx, subject);
}

async function _guarded<T>(
  ctx: RequestContext,
  user: string | undefined,
  passwordOffered: boolean,
  check: () => Promise<T>,
): Promise<T> {
  const { rt, services } = ctx;
  const keys = passwordOffered ? _lockoutKeys(ctx, user) : [];
  const lockout = rt.config.lockout.enabled;
  if (lockout) await _refuseLocked(ctx, keys);
  if (passwordOffered && ctx.peerIsTrustedProxy && user !== undefined) {
    // Behind a proxy there is no client address to limit: charge the target user per attempt.
    await _limitPrincipal(ctx, user);
  }
  try {
    return await check();
  } catch (e) {
    if (!(e instanceof KeypebbleError) || e.code !== "unauthorized") throw e;
    services.metrics.authFailures.labels(
      passwordOffered ? "bad_credentials" : "bad_identity_header",
    )
      .inc();
    if (lockout) {
      const nowMs = services.now();
      for (const key of keys) {
        const r = services.shared === undefined
          ? services.lockout.recordFailure(key, nowMs)
          : await _sharedFailure(ctx, services.shared, key);
        if (r.lockedNow) {
          const scope = key.startsWith("addr:") ? "address" : "principal";
          services.metrics.lockouts.labels(scope).inc();
          services.logger.warn("lockout", {
            scope: scope === "address" ? "address" : "user",
            remote: ctx.peer,
            lock_seconds: rt.config.lockout.lockSeconds,
          });
        }
      }
    }
    throw KeypebbleError.answer("unauthorized", e.message, { headers: challengeHeaders(ctx) });
  }
}

/**
 * A lockout key's state for routes that check credentials of their own (stored accounts, OAuth2
 * clients): in the shared counters in fleet mode, else in this process.
 */
export function lockoutState(
  ctx: RequestContext,
  key: string,
): Promise<{ locked: boolean; retryAfterSeconds: number }> {
  const shared = ctx.services.shared;
  return shared === undefined
    ? Promise.resolve(ctx.services.lockout.isLocked(key, ctx.services.now()))
    : _sharedLocked(shared, key);
}

/** Count a failed attempt against a lockout key (shared in fleet mode); true when it locks now. */
export async function recordLockoutFailure(ctx: RequestContext, key: string): Promise<boolean> {
  const shared = ctx.services.shared;
  const r = shared === undefined
    ? ctx.services.lockout.recordFailure(key, ctx.services.now())
    : await _sharedFailure(ctx, shared, key);
  return r.lockedNow;
}

/** Forget a lockout key's failures after a success (shared in fleet mode). */
export async function clearLockoutFailures(ctx: RequestContext, key: string): Promise<void> {
  const shared = ctx.services.shared;
  if (shared === undefined) ctx.services.lockout.recordSuccess(key);
  else await shared.reset(`lf:${key}`);
}

async function _refuseLocked(ctx: RequestContext, keys: readonly string[]): Promise<void> {
  const nowMs = ctx.services.now();
  const shared = ctx.services.shared;
  for (const key of keys) {
    const state = shared === undefined
      ? ctx.services.lockout.isLocked(key, nowMs)
      : await _sharedLocked(shared, key);
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

/** After a successful check: clear the user's failures (not the address's), then limit. */
async function _admitted(
  ctx: RequestContext,
  subject: string,
  viaPassword: boolean,
): Promise<void> {
  if (viaPassword) {
    const key = `user:${subject.slice(0, 128)}`;
    if (ctx.services.shared === undefined) ctx.services.lockout.recordSuccess(key);
    else await ctx.services.shared.reset(`lf:${key}`);
  }
  ctx.subject = subject;
  // Through a proxy the attempt was already charged to this user.
  if (!(viaPassword && ctx.peerIsTrustedProxy)) await _limitPrincipal(ctx, subject);
}

/**
 * Fleet mode: a failure counted in the shared counters (`lf:` within `lockout.window_seconds`);
 * the `max_failures`-th locks the key (`lk:`) for `lockout.lock_seconds` on every instance.
 */
async function _sharedFailure(
  ctx: RequestContext,
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

function _limitPrincipal(ctx: RequestContext, subject: string): void | Promise<void> {
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

function _lockoutKeys(ctx: RequestContext, user: string | undefined): string[] {
  const keys: string[] = [];
  if (!ctx.peerIsTrustedProxy) keys.push(`addr:${ctx.peer}`);
  if (user !== undefined) keys.push(`user:${user}`);
  return keys;
}

/** The user name of a Basic header, for lockout keys only (never logged). */
function _basicUser(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  if (h === null || h.length > 4096) return undefined;
  try {
    return parseBasicAuth(h)?.user.slice(0, 128);
  } catch {
    return undefined;
  }
}
