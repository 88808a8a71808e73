/**
 * Users of the policy file as callers: HTTP Basic (the password against the policy's hash),
 * `X-Authenticated-User` from a trusted proxy, a client certificate, and the OAuth2 grants of
 * `POST /v2/token` that carry a password or a refresh token in the body. Each runs under the
 * lockout and the per-principal limit (src/trust/guard.ts).
 */

import { KeypebbleError } from "../errors.ts";
import {
  identifyCaller,
  parseBasicAuth,
  type SpiffeCaller,
  type UserCaller,
  verifyCredentials,
} from "../identity/mod.ts";
import type { PeerCertificate } from "../http/mod.ts";
import {
  addressKey,
  challengeHeaders,
  clearSignInFailures,
  guarded,
  limitPrincipal,
  refuseSignInLocked,
} from "./guard.ts";
import { gatherLimits, limitsPending, settleLimits } from "./limits.ts";
import type { Ctx } from "./services.ts";

/**
 * The caller behind `Authorization: Basic` or a trusted proxy's `X-Authenticated-User`, or null
 * when neither is offered. Throws `unauthorized` (with the Basic challenge) for bad credentials.
 */
export async function policyUser(ctx: Ctx): Promise<UserCaller | null> {
  const asserted = ctx.peerIsTrustedProxy && ctx.req.headers.has("x-authenticated-user");
  const authorization = ctx.req.headers.get("authorization");
  const basic = !asserted && authorization !== null && /^basic(\s|$)/i.test(authorization.trim());
  if (!asserted && !basic) return null;
  const { rt, services } = ctx;
  // A Basic value verified a moment ago is known from the header itself (its HMAC): nothing is
  // decoded or hashed again. Lockout and limits apply exactly as for a first check.
  const phcOf = (u: string) => rt.policy?.users.get(u)?.passwordHash;
  const known = basic
    ? services.credentials.basicUser(authorization!, phcOf, services.now())
    : undefined;
  if (known !== undefined) return await _rememberedBasic(ctx, known);
  const creds = basic ? _basicCreds(authorization!) : undefined;
  const user = creds?.user;
  const keys = basic ? _keys(ctx, user) : [];
  if (basic && !ctx.client.known && user !== undefined) {
    // Behind a proxy that names no client there is no address to limit: charge the target user
    // per attempt, before the password costs anything.
    await limitPrincipal(ctx, user);
  }
  let caller: UserCaller | null;
  try {
    caller = await guarded(
      ctx,
      keys,
      basic ? "bad_credentials" : "bad_identity_header",
      () =>
        identifyCaller(ctx.req, ctx.peer, {
          ...(rt.policy === undefined ? {} : { policy: rt.policy }),
          trustedProxies: rt.trustedProxies,
          cache: services.credentials,
          now: services.now(),
          realm: rt.config.realm,
        }),
      // With Redis, a remembered password lets the lock check travel with the other steps.
      { cheap: !basic || (limitsPending(ctx) && _remembered(ctx, creds)) },
    );
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      throw KeypebbleError.answer("unauthorized", e.message, { headers: challengeHeaders(ctx) });
    }
    throw e;
  }
  if (caller === null) return null;
  if (basic) {
    const phc = phcOf(caller.subject);
    if (phc !== undefined) {
      services.credentials.rememberBasic(authorization!, caller.subject, phc, services.now());
    }
  }
  await _admitted(ctx, caller.subject, basic);
  return caller;
}

/** A Basic caller known from its header: the same lockout, failures cleared, limit applied. */
async function _rememberedBasic(ctx: Ctx, user: string): Promise<UserCaller> {
  if (!ctx.client.known) await limitPrincipal(ctx, user);
  const caller = await guarded(
    ctx,
    _keys(ctx, user),
    "bad_credentials",
    () => Promise.resolve<UserCaller>({ kind: "user", subject: user, method: "basic" }),
    { cheap: true },
  );
  await _admitted(ctx, user, true);
  return caller!;
}

/**
 * The caller behind a verified client certificate: a SPIFFE ID in a URI SAN is matched against
 * the policy's users first (a workload listed by its ID), then the certificate's CN; a name the
 * policy does not list is refused.
 */
export async function certificateUser(
  ctx: Ctx,
  cert: PeerCertificate,
): Promise<UserCaller | SpiffeCaller> {
  const policy = ctx.rt.policy;
  const names = [...cert.sanUris, ..._commonNames(cert.subject)];
  const found = names.find((n) => policy?.users.has(n));
  if (found === undefined) {
    ctx.services.metrics.authFailures.labels("bad_certificate").inc();
    throw KeypebbleError.answer(
      "unauthorized",
      "The client certificate names no user of the policy",
    );
  }
  await limitPrincipal(ctx, found);
  ctx.subject = found;
  return found.startsWith("spiffe://")
    ? { kind: "spiffe", subject: found, method: "mtls" }
    : { kind: "user", subject: found, method: "mtls" };
}

function _commonNames(subject: string): string[] {
  const out: string[] = [];
  for (const part of subject.split(/,(?=\s*[A-Za-z]+=)/)) {
    const m = /^\s*CN=(.+)$/i.exec(part);
    if (m !== null) out.push(m[1].trim());
  }
  return out;
}

/**
 * Check a user name and password as a Basic login is checked (lockout, limits, equal work for
 * unknown users): the password grant of `POST /v2/token`.
 */
export async function checkPolicyPassword(
  ctx: Ctx,
  user: string,
  password: string,
): Promise<UserCaller> {
  const { rt, services } = ctx;
  const name = user.slice(0, 128);
  if (!ctx.client.known) await limitPrincipal(ctx, name);
  const caller = await guarded(
    ctx,
    _keys(ctx, name),
    "bad_credentials",
    () =>
      verifyCredentials(user, password, {
        ...(rt.policy === undefined ? {} : { policy: rt.policy }),
        cache: services.credentials,
        now: services.now(),
        realm: rt.config.realm,
      }),
  );
  await _admitted(ctx, caller!.subject, true);
  return caller!;
}

/**
 * Admit a policy user presenting a grant that is not a password (a registry refresh token): a
 * locked-out user is refused as at login, and the per-principal rate limit applies.
 */
export async function admitPolicyUser(ctx: Ctx, subject: string): Promise<void> {
  // One round trip with Redis: the lock check and the limit travel together.
  gatherLimits(ctx);
  await refuseSignInLocked(ctx, [`user:${subject.slice(0, 128)}`]);
  ctx.subject = subject;
  await limitPrincipal(ctx, subject);
  await settleLimits(ctx);
}

/** After a successful check: clear the user's failures (not the address's), then limit. */
async function _admitted(ctx: Ctx, subject: string, viaPassword: boolean): Promise<void> {
  if (viaPassword) await clearSignInFailures(ctx, `user:${subject.slice(0, 128)}`);
  ctx.subject = subject;
  // Without a client address the attempt was already charged to this user.
  if (!(viaPassword && !ctx.client.known)) await limitPrincipal(ctx, subject);
}

function _keys(ctx: Ctx, user: string | undefined): string[] {
  const keys: string[] = [];
  const addr = addressKey(ctx);
  if (addr !== undefined) keys.push(addr);
  if (user !== undefined) keys.push(`user:${user}`);
  return keys;
}

/** The credentials of a Basic header, for lockout keys and the cache (never logged). */
function _basicCreds(h: string): { user: string; password: string } | undefined {
  if (h.length > 4096) return undefined;
  try {
    const c = parseBasicAuth(h);
    return c === null ? undefined : { user: c.user.slice(0, 128), password: c.password };
  } catch {
    return undefined;
  }
}

/** Whether these credentials verified recently (the check will cost no hashing). */
function _remembered(ctx: Ctx, creds: { user: string; password: string } | undefined): boolean {
  if (creds === undefined) return true; // malformed: refused without hashing
  const phc = ctx.rt.policy?.users.get(creds.user)?.passwordHash;
  return phc !== undefined &&
    ctx.services.credentials.peek(creds.user, creds.password, phc, ctx.services.now());
}
