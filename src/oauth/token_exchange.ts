/**
 * OAuth 2.0 Token Exchange (RFC 8693): `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`
 * with a `subject_token` that is one of our access tokens (to narrow its scope or move it to
 * another audience) or a JWT from a trusted issuer (`oauth.trusted_issuers`, e.g. a Kubernetes
 * service-account token), exchanged for a Keypebble access token.
 *
 * What the new token carries is the server's decision, never the caller's: `sub` is the subject
 * token's (behind the issuer's `subject_prefix` for a trusted issuer); `scope` is what was asked within what the subject holds (our token's `scope`, or the
 * issuer's configured `scopes`); `aud` is one of `oauth.exchange_audiences` (default: the first, else the issuer); an account token's `email` and `groups` carry over (its `role` and
 * `org_id` do not: they are the account kind's own, and an exchanged token is no account's). The
 * lifetime is that of an API token, never beyond the subject token's own expiry. Delegation
 * (`actor_token`) is not supported and refused. Client authentication is optional: the subject
 * token is the credential; when a client authenticates, its id is recorded as `client_id`.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { mint } from "../profiles/mint.ts";
import { REFRESH_TYP } from "../profiles/table.ts";
import { authenticateClient } from "./client_auth.ts";
import type { TokenResponse } from "./grants.ts";
import { verifyPresentedJwt } from "./subject_token.ts";

/** The grant type (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** Token type identifiers (RFC 8693 §3). */
export const TT_ACCESS = "urn:ietf:params:oauth:token-type:access_token";
export const TT_JWT = "urn:ietf:params:oauth:token-type:jwt";

/** Claims of an account token that an exchange carries over (not `role` nor `org_id`: an
 * exchanged token is no account's, and `org_id` is the account kind's own). */
const CARRIED = ["email", "groups"];

/** Handle a token exchange. */
export async function tokenExchangeGrant(
  ctx: RequestContext,
  form: URLSearchParams,
): Promise<TokenResponse> {
  const client = await authenticateClient(ctx, form, { required: false });
  const subjectToken = form.get("subject_token");
  const subjectType = form.get("subject_token_type");
  if (subjectToken === null || subjectToken === "") {
    throw new KeypebbleError("invalid_request", "subject_token is required");
  }
  if (subjectType !== TT_ACCESS && subjectType !== TT_JWT) {
    throw new KeypebbleError(
      "invalid_request",
      `subject_token_type must be "${TT_ACCESS}" or "${TT_JWT}"`,
    );
  }
  if (form.has("actor_token") || form.has("actor_token_type")) {
    throw new KeypebbleError("invalid_request", "Delegation (actor_token) is not supported");
  }
  const requested = form.get("requested_token_type");
  if (requested !== null && requested !== TT_ACCESS && requested !== TT_JWT) {
    throw new KeypebbleError("invalid_request", "Only access tokens (JWTs) can be requested");
  }
  let subject;
  try {
    subject = await verifyPresentedJwt(ctx, subjectToken, { trustedIssuers: true });
  } catch (e) {
    // RFC 8693 §2.2.2: an unacceptable subject token is invalid_request.
    if (e instanceof KeypebbleError && e.status < 500 && e.code !== "store_unavailable") {
      throw new KeypebbleError(
        "invalid_request",
        `The subject token is not acceptable: ${e.message}`,
      );
    }
    throw e;
  }
  const p = subject.payload;
  if (subject.trusted === undefined && subject.typ === REFRESH_TYP) {
    throw new KeypebbleError("invalid_request", "A refresh token cannot be exchanged");
  }
  if (typeof p.sub !== "string" || p.sub === "") {
    throw new KeypebbleError("invalid_request", 'The subject token has no "sub"');
  }
  const held = subject.trusted !== undefined
    ? [...subject.trusted.scopes]
    : typeof p.scope === "string" && p.scope !== ""
    ? p.scope.split(" ")
    : [];
  const wanted = form.get("scope");
  let scopes = held;
  if (wanted !== null && wanted.trim() !== "") {
    const list = [...new Set(wanted.trim().split(/ +/))];
    const missing = list.find((s) => !held.includes(s));
    if (missing !== undefined) {
      throw new KeypebbleError(
        "invalid_scope",
        `The subject token does not hold scope ${JSON.stringify(missing.slice(0, 128))}`,
      );
    }
    scopes = list;
  }
  const allowed = ctx.rt.config.oauth?.exchangeAudiences ?? [];
  const audience = form.get("audience") ?? form.get("resource") ?? undefined;
  let aud: string | undefined;
  if (audience !== undefined) {
    if (!allowed.includes(audience)) {
      throw new KeypebbleError("invalid_target", "The audience is not allowed for token exchange");
    }
    aud = audience;
  } else aud = allowed[0];
  const exp = typeof p.exp === "number" ? p.exp : ctx.nowSec;
  const remaining = Math.floor(exp - ctx.nowSec);
  if (remaining < 1) throw new KeypebbleError("invalid_request", "The subject token has expired");
  const profile = ctx.rt.profiles.exchange;
  const own: Record<string, unknown> = {};
  if (subject.trusted === undefined) {
    for (const c of CARRIED) if (p[c] !== undefined) own[c] = p[c];
  }
  if (scopes.length > 0) own.scope = scopes.join(" ");
  if (client !== null) own.client_id = client.id;
  // A trusted issuer's subjects are namespaced by its `subject_prefix`; one that takes the form
  // of another kind's subjects (a Kubernetes service account, a SPIFFE ID) is refused by mint.
  const sub = subject.trusted === undefined ? p.sub : subject.trusted.subjectPrefix + p.sub;
  let minted;
  try {
    minted = await mint(profile, {
      now: ctx.nowSec,
      subject: sub,
      audience: aud ?? profile.audiences?.[0] ?? ctx.rt.config.issuer,
      own,
      ttlSeconds: Math.min(remaining, ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900),
    });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "forbidden") {
      throw new KeypebbleError(
        "invalid_request",
        `${e.message}; give the trusted issuer a subject_prefix`,
      );
    }
    throw e;
  }
  ctx.services.metrics.tokensIssued.labels("exchange", minted.alg).inc();
  ctx.subject = sub;
  return {
    access_token: minted.token,
    issued_token_type: TT_ACCESS,
    token_type: "Bearer",
    expires_in: minted.ttl,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
  };
}
