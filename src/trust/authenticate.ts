/**
 * The one authentication step, run by the dispatcher from each route's declaration, and the two
 * steps around it: admission (before any route: address blocks, the per-address limit) and
 * authorisation (the capability the route needs). No handler authenticates on its own.
 *
 * Credentials are looked for in a fixed order, among those the route accepts: a verified client
 * certificate, OAuth2 client credentials, an API key, an account's bearer token, then Basic or a
 * trusted proxy's header. The first one offered decides: when it fails the request is refused
 * (a bad credential is never treated as none). When none is offered, the route's anonymous rule
 * decides; for routes that mint, that is the kind's rule (src/profiles/table.ts), closed unless
 * opened: an anonymous caller is let in only on a loopback listener or for a kind listed in
 * `anonymous:`, and never when `require_authentication.<kind>` is on.
 *
 * @module
 */

import { presentedKey } from "../apikeys/format.ts";
import type { Block } from "../store/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import type { Caller } from "../identity/mod.ts";
import type { AnonymousRule, CallerDecl } from "../http/mod.ts";
import { type ProfileName, PROFILES } from "../profiles/table.ts";
import { accountCaller } from "./accounts.ts";
import { settleAudit } from "./audit.ts";
import { type Capability, requireCapability } from "./capabilities.ts";
import { clientCaller } from "./clients.ts";
import { challengeHeaders, limitPrincipal } from "./guard.ts";
import { keyCaller, settleKey } from "./keys.ts";
import { gatherLimits, limitRate, settleLimits } from "./limits.ts";
import type { AppRoute, Ctx } from "./services.ts";
import { certificateUser, policyUser } from "./users.ts";

/** A compact JWS: three base64url segments. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Authenticate the caller of `decl`: a {@link Caller}, or null for an anonymous one let in. */
export async function authenticate(ctx: Ctx, decl: AppRoute): Promise<Caller | null> {
  if (decl.profile !== undefined && !kindEnabled(ctx, decl.profile)) {
    // A kind switched off has no routes: the same answer as a path that does not exist.
    throw KeypebbleError.answer("not_found", `No route for ${quoteForMessage(decl.template)}`);
  }
  const accepts = decl.caller.accepts;
  if (accepts.length === 0) return null;
  const caller = await _offered(ctx, decl.caller);
  if (caller !== null) {
    if (caller.kind !== "api_key") await _principalBlock(ctx, caller.subject);
    return caller;
  }
  if (anonymousAllowed(ctx, decl.caller.anonymous, decl.profile)) return null;
  throw _missing(ctx, decl.caller);
}

/** The caller behind the first credential offered, or null when none is. */
async function _offered(ctx: Ctx, decl: CallerDecl): Promise<Caller | null> {
  const accepts = decl.accepts;
  const h = ctx.req.headers;
  const cert = ctx.info.peerCertificate;
  if (cert !== undefined && accepts.includes("mtls")) return await certificateUser(ctx, cert);
  if (accepts.includes("client")) {
    const c = await clientCaller(ctx);
    if (c !== null) return c;
  }
  const auth = h.get("authorization");
  const bearer = auth !== null && /^bearer +/i.test(auth)
    ? auth.replace(/^bearer +/i, "").trim()
    : undefined;
  const account = accepts.includes("account");
  if (accepts.includes("api_key") && ctx.services.apiKeys !== undefined) {
    const prefixes = ctx.services.apiKeys.config.acceptedPrefixes;
    const admin = h.get("x-admin-key");
    const raw = admin ?? presentedKey(h, prefixes, {
      // Where no account token is accepted, any bearer is a key (a malformed one is refused as
      // such); elsewhere a JWT-shaped bearer is an account's token.
      anyBearer: !account || (bearer !== undefined && !JWT.test(bearer)),
    });
    if (raw !== undefined) {
      return await keyCaller(ctx, raw, {
        ...(_basicLike(decl) ? { challenge: _basic(ctx) } : {}),
        ...(decl.lockoutBucket === undefined ? {} : { lockoutBucket: decl.lockoutBucket }),
        ...(decl.counted === false ? { counted: false } : {}),
      });
    }
  }
  if (account && bearer !== undefined && ctx.services.accounts !== undefined) {
    return await accountCaller(ctx, bearer);
  }
  if (accepts.includes("basic") || accepts.includes("proxy")) return await policyUser(ctx);
  return null;
}

/**
 * The answer to a request that offered no usable credential where one is needed, by the first
 * credential the route accepts: 404 when the feature behind it is not configured, else 401 with
 * the challenge of that credential.
 */
function _missing(ctx: Ctx, decl: CallerDecl): KeypebbleError {
  const bearer = { "www-authenticate": `Bearer realm="${ctx.rt.config.realm}"` };
  switch (decl.accepts[0]) {
    case "client":
      _counted(ctx);
      return KeypebbleError.answer(
        "invalid_client",
        "Client authentication is required: client_id and client_secret, or HTTP Basic",
        { headers: { "www-authenticate": _basic(ctx) } },
      );
    case "api_key":
      if (ctx.services.apiKeys === undefined) {
        return KeypebbleError.answer(
          "not_found",
          "API keys are not enabled (no store is configured)",
        );
      }
      _counted(ctx);
      return KeypebbleError.answer(
        "unauthorized",
        "An API key is required (X-API-Key or Authorization: Bearer)",
        { headers: bearer },
      );
    case "account":
      if (ctx.services.accounts === undefined) {
        return KeypebbleError.answer("not_found", "Accounts are not enabled (no accounts section)");
      }
      _counted(ctx);
      return KeypebbleError.answer("unauthorized", "A bearer access token is required", {
        headers: bearer,
      });
    default:
      _counted(ctx);
      return KeypebbleError.answer("unauthorized", "Authentication is required", {
        headers: challengeHeaders(ctx),
      });
  }
}

function _counted(ctx: Ctx): void {
  ctx.services.metrics.authFailures.labels("missing_credentials").inc();
}

function _basicLike(decl: CallerDecl): boolean {
  return decl.accepts.includes("basic") || decl.accepts.includes("client");
}

function _basic(ctx: Ctx): string {
  return `Basic realm="${ctx.rt.config.realm}"`;
}

/** Whether the config has switched `kind` off (`profiles.<kind>.enabled: false`). */
export function kindEnabled(ctx: Pick<Ctx, "rt">, kind: ProfileName): boolean {
  return ctx.rt.config.profiles[kind]?.enabled !== false;
}

/** Whether the listener only accepts connections from this machine. */
export function loopbackListener(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}

/** Whether an anonymous caller is let in, by the route's rule (and the kind's for `per_kind`). */
export function anonymousAllowed(
  ctx: Pick<Ctx, "rt">,
  rule: AnonymousRule,
  kind: ProfileName | undefined,
): boolean {
  if (rule !== "per_kind") return rule === "always";
  if (kind === undefined) return false;
  const c = ctx.rt.config;
  const caller = PROFILES[kind].caller;
  const listed = (c.anonymous as readonly string[]).includes(kind);
  switch (caller.mode) {
    case "authenticated":
      return false;
    case "anonymous_if_listed":
      return listed;
    case "anonymous_unless_required":
      return !c.requireAuth[caller.requireKey] && (listed || loopbackListener(c.host));
  }
}

/** A principal block (by the caller's subject) applies to every kind of caller. */
async function _principalBlock(ctx: Ctx, subject: string): Promise<void> {
  const svc = ctx.services.apiKeys;
  if (svc === undefined) return;
  const b = await svc.blocked("principal", [subject]);
  if (b !== undefined) {
    throw KeypebbleError.answer("blocked", "This caller is blocked", {
      headers: { "retry-after": String(Math.max(1, b.until - ctx.nowSec)) },
    });
  }
}

/** The capability check of a route (`needs`), after authentication. */
export function authorize(ctx: Ctx, decl: AppRoute): void {
  if (decl.needs !== undefined) requireCapability(ctx.caller, decl.needs as Capability);
}

/**
 * Admission, before any route runs (not for probes and scrapes): a blocked client address is
 * refused on every route (403 `blocked`), then the per-address rate limit applies. Neither
 * applies when a trusted proxy did not name its client (limiting the proxy would throttle all
 * its clients): those callers are limited per principal.
 *
 * With Redis the request's limit steps are gathered from here to the end of the authentication
 * step and run in one round trip (src/trust/limits.ts, {@link admitted}).
 */
export function admit(ctx: Ctx): void | Promise<void> {
  gatherLimits(ctx);
  if (!ctx.client.known) return;
  const rule = ctx.rt.config.rateLimit.perAddress;
  const svc = ctx.services.apiKeys;
  const limit = () =>
    rule === undefined
      ? undefined
      : limitRate(ctx, { scope: "address", key: `addr:${ctx.client.address}`, rule });
  if (svc === undefined) return limit();
  const blocked = svc.blocked("address", [ctx.client.address]);
  if (!(blocked instanceof Promise)) {
    _refuseBlocked(ctx, blocked);
    return limit();
  }
  return blocked.then((b) => {
    _refuseBlocked(ctx, b);
    return limit();
  });
}

function _refuseBlocked(ctx: Ctx, b: Block | undefined): void {
  if (b === undefined) return;
  throw KeypebbleError.answer("blocked", "This address is blocked", {
    headers: { "retry-after": String(Math.max(1, b.until - ctx.nowSec)) },
  });
}

/**
 * The authentication step is over (`failure`: the error it threw): the limit steps gathered since
 * admission run now, in one round trip with Redis; a refusal among them answers instead of
 * `failure`, as it would have come first in memory.
 */
export function admitted(ctx: Ctx, failure?: unknown): void | Promise<void> {
  return settleLimits(ctx, failure);
}

/**
 * After a route answered: a request of an API key is counted in its usage statistics, as an
 * error when the answer is a refusal (a missing scope, a bad body, a denied grant), unless the
 * route's caller rule says its calls are not usage (the admin API); a route that changes
 * something writes its audit event (src/trust/audit.ts).
 */
export function settle(ctx: Ctx, status: number, decl: AppRoute, error?: KeypebbleError): void {
  const c = ctx.caller;
  if (c !== null && c.kind === "api_key" && decl.caller.counted !== false) {
    settleKey(ctx, c, status);
  }
  if (decl.audit !== undefined) settleAudit(ctx, decl, status, error);
}

/** Re-exported for the routes that admit a principal themselves (grants). */
export { limitPrincipal };
