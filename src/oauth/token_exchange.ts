/**
 * OAuth 2.0 Token Exchange (RFC 8693): `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`,
 * served only when `oauth.token_exchange: true` (and then listed in discovery).
 *
 * The `subject_token` is one of our tokens of a kind the `exchange_subject` consumer accepts (an
 * API key's, an account's, a client's, an exchanged one: never a kind whose claims a caller chose,
 * such as `/auth`, command or Kubernetes tokens), or a JWT of a trusted issuer
 * (`oauth.trusted_issuers`). An `actor_token` (delegation, §2.1) is one of our tokens the
 * `exchange_actor` consumer accepts; the new token then carries `act` (§4.1), nesting the subject
 * token's own `act`.
 *
 * What the new token carries is the server's decision, never the caller's: `sub` is the subject
 * token's (a trusted issuer's behind its `subject_prefix`); `scope` is what was asked within what
 * the subject holds; `aud` is one of `oauth.exchange_audiences`; an account token's `email` and
 * `groups` carry over (never `role` nor `org_id`: an exchanged token is no account's). It records
 * its lineage (`kp_parent`: the `jti`s it came from; `kp_root`: the first token's kind, subject and
 * organisation), so it dies with any of them: a revoked parent, key, organisation or account, or
 * a password change (the one revocation list). Its lifetime is that of an API token, never beyond
 * the subject's or the actor's own expiry. Client authentication is optional: the subject token is
 * the credential; when a client authenticates, its id is recorded as `client_id`.
 */

import { KeypebbleError } from "../errors.ts";
import { mint } from "../profiles/mint.ts";
import { PARENT_CLAIM, ROOT_CLAIM } from "../profiles/table.ts";
import {
  type Ctx,
  isOurIssuer,
  lineageOf,
  MAX_LINEAGE,
  type OwnToken,
  rootOf,
  type TokenRoot,
  verifyOwnToken,
  verifyTrustedToken,
} from "../trust/mod.ts";
import { decodeJws } from "../jose/mod.ts";
import type { TokenResponse } from "./grants.ts";

/** The grant type (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** Token type identifiers (RFC 8693 §3). */
export const TT_ACCESS = "urn:ietf:params:oauth:token-type:access_token";
export const TT_JWT = "urn:ietf:params:oauth:token-type:jwt";

/** Claims of an account token that an exchange carries over. */
const CARRIED = ["email", "groups"];

/** A subject or actor token, verified. */
interface Presented {
  readonly payload: Readonly<Record<string, unknown>>;
  /** Ours: the verified kind and facts; a trusted issuer's: undefined. */
  readonly own?: OwnToken;
  readonly sub: string;
  readonly held: readonly string[];
  readonly root: TokenRoot;
  readonly parents: readonly string[];
}

/** Handle a token exchange. */
export async function tokenExchangeGrant(ctx: Ctx): Promise<TokenResponse> {
  const form = ctx.form;
  const subjectToken = _token(form, "subject_token");
  const actorToken = form.get("actor_token");
  if (actorToken !== null && actorToken !== "") _tokenType(form, "actor_token_type");
  else if (form.has("actor_token_type")) {
    throw KeypebbleError.answer("invalid_request", "actor_token_type needs an actor_token");
  }
  _tokenType(form, "subject_token_type");
  const requested = form.get("requested_token_type");
  if (requested !== null && requested !== TT_ACCESS && requested !== TT_JWT) {
    throw KeypebbleError.answer("invalid_request", "Only access tokens (JWTs) can be requested");
  }
  const subject = await _present(ctx, subjectToken, "subject", true);
  const actor = actorToken === null || actorToken === ""
    ? undefined
    : await _present(ctx, actorToken, "actor", false);

  const scopes = _scopes(form.get("scope"), subject.held);
  const allowed = ctx.rt.config.oauth?.exchangeAudiences ?? [];
  const asked = form.get("audience") ?? form.get("resource") ?? undefined;
  if (asked !== undefined && !allowed.includes(asked)) {
    throw KeypebbleError.answer("invalid_target", "The audience is not allowed for token exchange");
  }
  const profile = ctx.rt.profiles.exchange;
  const aud = asked ?? profile.defaultAudience ?? ctx.rt.config.issuer;

  const parents = [
    ...(subject.own?.facts.jti === undefined ? [] : [subject.own.facts.jti]),
    ...subject.parents,
    ...(actor?.own?.facts.jti === undefined ? [] : [actor.own.facts.jti]),
    ...(actor?.parents ?? []),
  ];
  if (parents.length > MAX_LINEAGE) {
    throw KeypebbleError.answer(
      "invalid_request",
      `A token may be exchanged at most ${MAX_LINEAGE} times over`,
    );
  }
  const remaining = Math.min(
    _remaining(ctx, subject),
    actor === undefined ? Infinity : _remaining(ctx, actor),
  );
  const own: Record<string, unknown> = {};
  if (subject.own !== undefined) {
    for (const c of CARRIED) if (subject.payload[c] !== undefined) own[c] = subject.payload[c];
  }
  if (scopes.length > 0) own.scope = scopes.join(" ");
  const client = ctx.caller;
  if (client !== null && (client.kind === "client" || client.kind === "api_key")) {
    own.client_id = client.subject;
  }
  if (actor !== undefined) {
    const prior = subject.payload.act;
    own.act = { sub: actor.sub, ...(prior !== undefined ? { act: prior } : {}) };
  } else if (subject.payload.act !== undefined) own.act = subject.payload.act;
  own[PARENT_CLAIM] = parents;
  own[ROOT_CLAIM] = {
    kind: subject.root.kind,
    sub: subject.root.sub,
    ...(subject.root.org === undefined ? {} : { org: subject.root.org }),
  };
  let minted;
  try {
    minted = await mint(profile, {
      now: ctx.nowSec,
      subject: subject.sub,
      audience: aud,
      own,
      ttlSeconds: Math.min(remaining, ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900),
    });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "forbidden") {
      throw KeypebbleError.answer(
        "invalid_request",
        `${e.message}; give the trusted issuer a subject_prefix`,
      );
    }
    throw e;
  }
  ctx.services.metrics.tokensIssued.labels("exchange", minted.alg).inc();
  ctx.subject = subject.sub;
  return {
    access_token: minted.token,
    issued_token_type: TT_ACCESS,
    token_type: "Bearer",
    expires_in: minted.ttl,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
  };
}

function _token(form: URLSearchParams, name: string): string {
  const v = form.get(name);
  if (v === null || v === "") throw KeypebbleError.answer("invalid_request", `${name} is required`);
  return v;
}

function _tokenType(form: URLSearchParams, name: string): void {
  const t = form.get(name);
  if (t !== TT_ACCESS && t !== TT_JWT) {
    throw KeypebbleError.answer(
      "invalid_request",
      `${name} must be "${TT_ACCESS}" or "${TT_JWT}"`,
    );
  }
}

/** Verify a subject or actor token; every refusal is `invalid_request` (RFC 8693 §2.2.2). */
async function _present(
  ctx: Ctx,
  token: string,
  role: "subject" | "actor",
  trustedAllowed: boolean,
): Promise<Presented> {
  try {
    const iss = decodeJws(token).payload.iss;
    if (!isOurIssuer(ctx, iss)) {
      if (!trustedAllowed) {
        throw KeypebbleError.answer("invalid_issuer", "The actor token must be one of ours");
      }
      const t = await verifyTrustedToken(ctx, token);
      if (typeof t.payload.sub !== "string" || t.payload.sub === "") {
        throw KeypebbleError.answer("invalid_token", 'The token has no "sub"');
      }
      const sub = t.issuer.subjectPrefix + t.payload.sub;
      return {
        payload: t.payload,
        sub,
        held: t.issuer.scopes,
        root: { kind: "trusted", sub },
        parents: [],
      };
    }
    const own = await verifyOwnToken(
      ctx,
      token,
      role === "subject" ? "exchange_subject" : "exchange_actor",
    );
    const p = own.payload;
    if (typeof p.sub !== "string" || p.sub === "") {
      throw KeypebbleError.answer("invalid_token", 'The token has no "sub"');
    }
    const held = typeof p.scope === "string" && p.scope !== "" ? p.scope.split(" ") : [];
    const org = typeof p.org === "string"
      ? p.org
      : typeof p.org_id === "string"
      ? p.org_id
      : undefined;
    const root = own.kind === "exchange"
      ? rootOf(p) ?? { kind: "exchange" as const, sub: p.sub }
      : { kind: own.kind, sub: p.sub, ...(org === undefined ? {} : { org }) };
    return { payload: p, own, sub: p.sub, held, root, parents: lineageOf(p) };
  } catch (e) {
    if (e instanceof KeypebbleError && e.status < 500) {
      throw KeypebbleError.answer(
        "invalid_request",
        `The ${role} token is not acceptable: ${e.message}`,
      );
    }
    throw e;
  }
}

/** Requested scopes within those held; all held when none is asked for. */
function _scopes(wanted: string | null, held: readonly string[]): string[] {
  if (wanted === null || wanted.trim() === "") return [...held];
  const list = [...new Set(wanted.trim().split(/ +/))];
  const missing = list.find((s) => !held.includes(s));
  if (missing !== undefined) {
    throw KeypebbleError.answer(
      "invalid_scope",
      `The subject token does not hold scope ${JSON.stringify(missing.slice(0, 128))}`,
    );
  }
  return list;
}

function _remaining(ctx: Ctx, t: Presented): number {
  const exp = typeof t.payload.exp === "number" ? t.payload.exp : ctx.nowSec;
  const left = Math.floor(exp - ctx.nowSec);
  if (left < 1) throw KeypebbleError.answer("invalid_request", "The token has expired");
  return left;
}
