/**
 * Verifying a token someone presents to us (an RFC 8693 subject token, or a token to
 * introspect or revoke): one of our own (any kind; our keys and issuer; its `jti` not revoked)
 * or a JWT of a configured trusted issuer (its cached JWKS, its issuer, one of the audiences we
 * accept). The header `typ` is whatever the token declares: every kind is told apart by it, and
 * the caller decides which kinds it accepts.
 */

import type { TrustedIssuerConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { decodeJws, verifyJws } from "../jose/mod.ts";
import type { Store } from "../store/mod.ts";

/** A verified token. */
export interface VerifiedToken {
  readonly payload: Record<string, unknown>;
  readonly typ: string;
  /** Undefined for our own tokens. */
  readonly trusted?: TrustedIssuerConfig;
}

/** The store where revocations live, when there is one. */
export function revocationStore(ctx: RequestContext): Store | undefined {
  return ctx.services.accounts?.store ?? ctx.services.apiKeys?.store;
}

/** Verify a presented JWT, or throw `invalid_token` (or another token error). */
export async function verifyPresentedJwt(
  ctx: RequestContext,
  token: string,
  options: { trustedIssuers: boolean },
): Promise<VerifiedToken> {
  const { header, payload } = decodeJws(token);
  const typ = typeof header.typ === "string" ? header.typ : "JWT";
  const opts = { now: ctx.nowSec, leeway: 0, ...(typeof header.typ === "string" ? { typ } : {}) };
  if (payload.iss === ctx.rt.config.issuer) {
    const v = await verifyJws(token, ctx.rt.keyring.keys, {
      ...opts,
      issuer: ctx.rt.config.issuer,
    });
    const jti = v.payload.jti;
    const store = revocationStore(ctx);
    if (typeof jti === "string" && store !== undefined && await store.revocations.isRevoked(jti)) {
      throw new KeypebbleError("invalid_token", "The token has been revoked");
    }
    // An account token (the only kind with `org_id`) is valid while its account is active.
    if (typeof v.payload.org_id === "string" && ctx.services.accounts !== undefined) {
      const user = typeof v.payload.sub === "string"
        ? await ctx.services.accounts.store.users.byId(v.payload.sub)
        : undefined;
      if (user === undefined || user.status !== "active") {
        throw new KeypebbleError("invalid_token", "The token's account is not active");
      }
    }
    return { payload: v.payload, typ };
  }
  const trusted = options.trustedIssuers
    ? ctx.rt.config.oauth?.trustedIssuers.find((t) => t.issuer === payload.iss)
    : undefined;
  if (trusted === undefined || ctx.services.issuerKeys === undefined) {
    throw new KeypebbleError("invalid_issuer", "The token's issuer is not trusted");
  }
  const kid = typeof header.kid === "string" ? header.kid : undefined;
  const keys = await ctx.services.issuerKeys.keys(trusted, kid);
  const v = await verifyJws(token, keys, { ...opts, issuer: trusted.issuer });
  const aud = v.payload.aud;
  const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => trusted.audiences.includes(a))) {
    throw new KeypebbleError("invalid_audience", "The token is not meant for this server");
  }
  return { payload: v.payload, typ, trusted };
}
