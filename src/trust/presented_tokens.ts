/**
 * Verifying a token someone presents to us, for one consumer (src/profiles/table.ts `Consumer`):
 *
 * - one of our own: its kind (the `kp_kind` claim the mint path writes) must be one the consumer
 *   accepts (the profile table's `acceptedBy` column), then the signature with our keyring, the
 *   kind's issuer and `typ`, its lifetime, and the one revocation list (its `jti`, the tokens it
 *   was exchanged from, its key, organisation, account and subject cutoff); a client's token dies
 *   with the client's removal from `oauth.clients`;
 * - a JWT of a configured trusted issuer (token exchange only): its cached JWKS, its issuer, one
 *   of the audiences we accept.
 *
 * Kinds whose claims a caller chose (`auth`, `command`, `kubernetes`) carry no kind claim and are
 * accepted by no consumer, whatever they say.
 *
 * @module
 */

import type { TrustedIssuerConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { looksLikeFernet, verifyFernet } from "../fernet/mod.ts";
import { decodeJws, looksLikeJwe, unwrapJwe, verifyJws } from "../jose/mod.ts";
import { acceptsFormat, checkFernetKind } from "../profiles/formats.ts";
import {
  type Consumer,
  kindOfToken,
  PARENT_CLAIM,
  type ProfileName,
  PROFILES,
  REFRESH_AUDIENCE,
  ROOT_CLAIM,
} from "../profiles/table.ts";
import type { TokenFacts } from "./revocation.ts";
import type { Ctx } from "./services.ts";

/** One of our tokens, verified for a consumer. */
export interface OwnToken {
  readonly kind: ProfileName;
  readonly payload: Readonly<Record<string, unknown>>;
  /** What the revocation list was asked about (for exchange: the new token's lineage). */
  readonly facts: TokenFacts;
}

/** A trusted issuer's token, verified. */
export interface TrustedToken {
  readonly payload: Readonly<Record<string, unknown>>;
  readonly issuer: TrustedIssuerConfig;
}

/** What an exchanged token remembers of the first token of its chain (`kp_root`). */
export interface TokenRoot {
  readonly kind: ProfileName | "trusted";
  readonly sub: string;
  readonly org?: string;
}

/** Most exchanges in one chain: a token exchanged from a token exchanged from … */
export const MAX_LINEAGE = 4;

/**
 * Verify one of our tokens for `consumer`, or throw: `invalid_token_type` (a kind the consumer
 * does not accept), `invalid_token` (revoked, a removed client), or the signature and lifetime
 * errors of `verifyJws`.
 */
export async function verifyOwnToken(
  ctx: Ctx,
  token: string,
  consumer: Consumer,
): Promise<OwnToken> {
  // Our encrypted forms: a nested JWE holds one of our JWSs; a Fernet token holds the claims.
  // Each is accepted only for a kind issued in that format (src/profiles/formats.ts).
  if (looksLikeFernet(token)) return await _ownFernet(ctx, token, consumer);
  if (looksLikeJwe(token)) {
    const { jws } = await unwrapJwe(token, ctx.rt.keyring.decryptionKeys);
    const inner = await verifyOwnToken(ctx, jws, consumer);
    const profile = inner.kind === "svid" ? undefined : ctx.rt.profiles[inner.kind];
    if (profile === undefined || !acceptsFormat(profile, "jwe")) {
      throw KeypebbleError.answer("invalid_token_type", "This kind of token is not accepted here");
    }
    return inner;
  }
  const decoded = decodeJws(token);
  const { header, payload: unverified } = decoded;
  const typ = typeof header.typ === "string" ? header.typ : undefined;
  const claimed = kindOfToken(typ, unverified);
  if (claimed === undefined || !PROFILES[claimed].acceptedBy.includes(consumer)) {
    throw KeypebbleError.answer(
      "invalid_token_type",
      "This kind of token is not accepted here",
    );
  }
  const profile = claimed === "svid" ? undefined : ctx.rt.profiles[claimed];
  if (profile === undefined) {
    throw KeypebbleError.answer("invalid_token_type", "This kind of token is not accepted here");
  }
  const { payload } = await verifyJws(token, ctx.rt.keyring.keys, {
    now: ctx.nowSec,
    leeway: 0,
    issuer: profile.issuer,
    typ: String(profile.signer.header.typ ?? "JWT"),
    ...(claimed === "refresh" ? { audience: REFRESH_AUDIENCE } : {}),
  }, decoded);
  // The same bytes were verified: the kind read before the signature is the one signed.
  return await _notRevoked(ctx, claimed, payload);
}

/** The one revocation check of every form: the list, and a client still declared. */
async function _notRevoked(
  ctx: Ctx,
  kind: ProfileName,
  payload: Readonly<Record<string, unknown>>,
): Promise<OwnToken> {
  const facts = factsOf(kind, payload);
  const waiting = ctx.services.revocations.ready();
  if (waiting !== undefined) await waiting;
  const why = ctx.services.revocations.revoked(facts);
  if (why !== undefined || !_clientStillDeclared(ctx, kind, payload)) {
    throw KeypebbleError.answer("invalid_token", "The token has been revoked");
  }
  return { kind, payload, facts };
}

/** One of our Fernet tokens (the repository's keys, its TTL), of a kind issued as Fernet. */
async function _ownFernet(ctx: Ctx, token: string, consumer: Consumer): Promise<OwnToken> {
  const keys = ctx.rt.fernet;
  if (keys === undefined) {
    throw KeypebbleError.answer("invalid_token", "Fernet tokens are not issued here");
  }
  const f = await verifyFernet(token, keys, ctx.nowSec);
  const kind = kindOfToken(f.typ, f.claims);
  if (kind === undefined || !PROFILES[kind].acceptedBy.includes(consumer)) {
    throw KeypebbleError.answer("invalid_token_type", "This kind of token is not accepted here");
  }
  const profile = checkFernetKind(ctx.rt.profiles, f, { requireFormat: true });
  if (profile.def.name !== kind || f.claims.iss !== profile.issuer) {
    throw KeypebbleError.answer("invalid_token", "The token was not issued here");
  }
  return await _notRevoked(ctx, kind, f.claims);
}

/** What the revocation list must be asked about a verified token of `kind`. */
export function factsOf(kind: ProfileName, p: Readonly<Record<string, unknown>>): TokenFacts {
  const jti = typeof p.jti === "string" ? p.jti : undefined;
  const iat = typeof p.iat === "number" ? p.iat : undefined;
  const sub = typeof p.sub === "string" ? p.sub : undefined;
  const base = { ...(jti === undefined ? {} : { jti }), ...(iat === undefined ? {} : { iat }) };
  switch (kind) {
    case "api":
      return { ...base, ..._key(sub, p.org) };
    case "account":
      return { ...base, ..._account(sub, p.org_id) };
    case "exchange": {
      const parents = lineageOf(p);
      const root = rootOf(p);
      const anchor = root === undefined
        ? {}
        : root.kind === "api"
        ? _key(root.sub, root.org)
        : root.kind === "account"
        ? _account(root.sub, root.org)
        : {};
      return { ...base, parents, ...anchor };
    }
    default:
      return base;
  }
}

function _key(sub: string | undefined, org: unknown): TokenFacts {
  return {
    ...(sub === undefined ? {} : { keyId: sub }),
    ...(typeof org === "string" ? { org } : {}),
  };
}

function _account(sub: string | undefined, org: unknown): TokenFacts {
  return {
    ...(sub === undefined ? {} : { account: sub, subject: sub }),
    ...(typeof org === "string" ? { org } : {}),
  };
}

/** The `jti`s an exchanged token came from (`kp_parent`), nearest first. */
export function lineageOf(p: Readonly<Record<string, unknown>>): string[] {
  const v = p[PARENT_CLAIM];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** The first token of an exchanged token's chain (`kp_root`), when recorded. */
export function rootOf(p: Readonly<Record<string, unknown>>): TokenRoot | undefined {
  const v = p[ROOT_CLAIM];
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.kind !== "string" || typeof r.sub !== "string") return undefined;
  return {
    kind: r.kind as TokenRoot["kind"],
    sub: r.sub,
    ...(typeof r.org === "string" ? { org: r.org } : {}),
  };
}

/** A client's token (or one exchanged from it) lives only while the client is declared. */
function _clientStillDeclared(
  ctx: Ctx,
  kind: ProfileName,
  p: Readonly<Record<string, unknown>>,
): boolean {
  const id = kind === "client"
    ? p.sub
    : kind === "exchange" && rootOf(p)?.kind === "client"
    ? rootOf(p)!.sub
    : undefined;
  if (id === undefined) return true;
  return ctx.rt.config.oauth?.clients.some((c) => c.id === id) ?? false;
}

/**
 * Verify a trusted issuer's JWT (token exchange), or throw `invalid_issuer` when its issuer is
 * not one of `oauth.trusted_issuers`.
 */
export async function verifyTrustedToken(ctx: Ctx, token: string): Promise<TrustedToken> {
  const { header, payload } = decodeJws(token);
  const trusted = ctx.rt.config.oauth?.trustedIssuers.find((t) => t.issuer === payload.iss);
  if (trusted === undefined || ctx.services.issuerKeys === undefined) {
    throw KeypebbleError.answer("invalid_issuer", "The token's issuer is not trusted");
  }
  const kid = typeof header.kid === "string" ? header.kid : undefined;
  const keys = await ctx.services.issuerKeys.keys(trusted, kid);
  const typ = typeof header.typ === "string" ? { typ: header.typ } : {};
  const v = await verifyJws(token, keys, {
    now: ctx.nowSec,
    leeway: 0,
    issuer: trusted.issuer,
    ...typ,
  });
  const aud = v.payload.aud;
  const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => trusted.audiences.includes(a))) {
    throw KeypebbleError.answer("invalid_audience", "The token is not meant for this server");
  }
  return { payload: v.payload, issuer: trusted };
}

/** Whether `token` names one of our issuers (a profile's or the config's). */
export function isOurIssuer(ctx: Ctx, iss: unknown): boolean {
  if (iss === ctx.rt.config.issuer) return true;
  for (const p of Object.values(ctx.rt.profiles)) {
    if (p !== undefined && p.issuer === iss) return true;
  }
  return false;
}
