/**
 * Caller identity for the HTTP layer: lockout before any credential check, the identity layer
 * (Basic against the policy, or a trusted proxy's header), failure accounting, and the
 * per-principal rate limit once the caller is known.
 */

import { presentedKey } from "../apikeys/format.ts";
import { authenticateKey } from "../apikeys/http.ts";
import { KeypebbleError } from "../errors.ts";
import { type Caller, identifyCaller, parseBasicAuth } from "../identity/mod.ts";
import type { RequestContext } from "./context.ts";
import { enforceRateLimit } from "./rate_limit.ts";

/** Identify the caller; `null` when no credentials were offered. Throws on bad credentials. */
export async function optionalCaller(ctx: RequestContext): Promise<Caller | null> {
  const { services, rt } = ctx;
  const apiKey = _apiKeyCaller(ctx);
  if (apiKey !== undefined) return await apiKey;
  const offered = ctx.req.headers.has("authorization");
  // Nothing offered: the common anonymous case costs two header lookups.
  if (!offered && !ctx.req.headers.has("x-authenticated-user")) return null;
  const nowMs = services.now();
  const keys = offered ? _lockoutKeys(ctx) : [];
  if (offered && rt.config.lockout.enabled) {
    for (const key of keys) {
      const state = services.lockout.isLocked(key, nowMs);
      if (state.locked) {
        services.metrics.authFailures.labels("locked_out").inc();
        // Credentials are not even checked while locked, so a right password leaks nothing.
        throw new KeypebbleError(
          "locked_out",
          "Too many failed sign-in attempts; try again later",
          { headers: { "retry-after": String(state.retryAfterSeconds) } },
        );
      }
    }
  }
  let caller: Caller | null;
  try {
    caller = await identifyCaller(ctx.req, ctx.peer, {
      ...(rt.policy === undefined ? {} : { policy: rt.policy }),
      trustedProxies: rt.trustedProxies,
      cache: services.credentials,
      now: nowMs,
      realm: rt.config.realm,
    });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      services.metrics.authFailures.labels(offered ? "bad_credentials" : "bad_identity_header")
        .inc();
      if (offered && rt.config.lockout.enabled) {
        for (const key of keys) {
          const r = services.lockout.recordFailure(key, nowMs);
          if (r.lockedNow) {
            services.metrics.lockouts.labels(key.startsWith("addr:") ? "address" : "principal")
              .inc();
            services.logger.warn("lockout", {
              scope: key.startsWith("addr:") ? "address" : "user",
              remote: ctx.peer,
              lock_seconds: rt.config.lockout.lockSeconds,
            });
          }
        }
      }
      throw new KeypebbleError("unauthorized", e.message, {
        headers: { "www-authenticate": `Basic realm="${rt.config.realm}"` },
      });
    }
    throw e;
  }
  if (caller === null) return null;
  if (caller.method === "basic") {
    for (const key of keys) services.lockout.recordSuccess(key);
  }
  ctx.subject = caller.subject;
  _limitPrincipal(ctx, caller.subject);
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
    ({ key }) => {
      ctx.subject = key.id;
      _limitPrincipal(ctx, key.id);
      return { subject: key.id, method: "api_key" };
    },
  );
}

/** Identify the caller or answer 401 with a `WWW-Authenticate` challenge. */
export async function requireCaller(ctx: RequestContext): Promise<Caller> {
  const caller = await optionalCaller(ctx);
  if (caller === null) {
    ctx.services.metrics.authFailures.labels("missing_credentials").inc();
    throw new KeypebbleError("unauthorized", "Authentication is required", {
      headers: { "www-authenticate": `Basic realm="${ctx.rt.config.realm}"` },
    });
  }
  return caller;
}

function _limitPrincipal(ctx: RequestContext, subject: string): void {
  const spec = ctx.rt.config.rateLimit.perPrincipal;
  const override = ctx.rt.policy?.users.get(subject)?.rateLimit;
  const limit = override ?? spec;
  if (limit === undefined) return;
  enforceRateLimit(ctx, { scope: "principal", key: `sub:${subject}`, spec: limit });
}

/**
 * Lockout keys for a request: the client address (unless it is a trusted proxy, which speaks for
 * many clients) and the user name offered in a Basic header.
 */
function _lockoutKeys(ctx: RequestContext): string[] {
  const keys: string[] = [];
  if (!ctx.peerIsTrustedProxy) keys.push(`addr:${ctx.peer}`);
  const user = _basicUser(ctx.req);
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
