/**
 * OAuth 2.0 Token Exchange (RFC 8693): `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`
 * with a `subject_token` that is one of our access tokens (to narrow its scope or move it to
 * another audience) or a JWT from a trusted issuer (`oauth.trusted_issuers`, e.g. a Kubernetes
 * service-account token), exchanged for a Keypebble access token.
 *
 * What the new token carries is the server's decision, never the caller's: `sub` is the subject
 * token's; `scope` is what was asked within what the subject holds (our token's `scope`, or the
 * issuer's configured `scopes`); `aud` is one of `oauth.exchange_audiences` (default: the
 * configured audience); an account token's `email`, `role`, `org_id` and `groups` carry over. The
 * lifetime is that of an API token, never beyond the subject token's own expiry. Delegation
 * (`actor_token`) is not supported and refused. Client authentication is optional: the subject
 * token is the credential; when a client authenticates, its id is recorded as `client_id`.
 */

import { clampTtl, randomJti, registeredClaims } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { signAccessToken } from "../http/issue.ts";
import { REFRESH_TYP } from "../runtime/mod.ts";
import { authenticateClient } from "./client_auth.ts";
import type { TokenResponse } from "./grants.ts";
import { verifyPresentedJwt } from "./subject_token.ts";

/** The grant type (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** Token type identifiers (RFC 8693 §3). */
export const TT_ACCESS = "urn:ietf:params:oauth:token-type:access_token";
export const TT_JWT = "urn:ietf:params:oauth:token-type:jwt";

/** Claims of an account token that an exchange carries over. */
const CARRIED = ["email", "role", "org_id", "groups"];

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
    if (!allowed.includes(audience) && audience !== ctx.rt.config.audience) {
      throw new KeypebbleError("invalid_target", "The audience is not allowed for token exchange");
    }
    aud = audience;
  } else aud = allowed[0] ?? ctx.rt.config.audience;
  const exp = typeof p.exp === "number" ? p.exp : ctx.nowSec;
  const remaining = Math.floor(exp - ctx.nowSec);
  if (remaining < 1) throw new KeypebbleError("invalid_request", "The subject token has expired");
  const ttl = Math.min(
    remaining,
    clampTtl(ctx.services.apiKeys?.config.tokenTtlSeconds ?? 900, {
      defaultTtl: 900,
      maxTtl: ctx.rt.config.maxTtlSeconds,
    }),
  );
  const claims: Record<string, unknown> = { sub: p.sub };
  if (subject.trusted === undefined) {
    for (const c of CARRIED) if (p[c] !== undefined) claims[c] = p[c];
  }
  if (scopes.length > 0) claims.scope = scopes.join(" ");
  if (aud !== undefined) claims.aud = aud;
  if (client !== null) claims.client_id = client.id;
  Object.assign(
    claims,
    registeredClaims({
      issuer: ctx.rt.config.issuer,
      now: ctx.nowSec,
      ttlSeconds: ttl,
      jti: randomJti(),
    }),
  );
  ctx.subject = p.sub;
  return {
    access_token: await signAccessToken(ctx, { kind: "exchange", claims }),
    issued_token_type: TT_ACCESS,
    token_type: "Bearer",
    expires_in: ttl,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
  };
}
