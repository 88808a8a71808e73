/**
 * The `authorization_code` grant (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3, OpenID Connect Core
 * §3.1.3): sign-in's second half. The client is authenticated as for the other grants (a
 * confidential one by its secret, HTTP Basic or the form; a public one names itself with
 * `client_id` and proves the flow with the PKCE verifier alone), then the code is redeemed once
 * (`src/oidc/codes.ts`): bound to the client, the exact `redirect_uri` and the S256 challenge.
 *
 * A success returns the `account` access token (with the granted `scope`), a rotating refresh
 * token bound to the client, and, when `openid` was granted, an ID token (the `id` kind:
 * `aud` the client, `nonce`, `auth_time`, `amr`, `at_hash`, `sid`). What it issues is recorded on
 * the code BEFORE it is issued, so that a replay of the code, however soon, revokes it all: the
 * tokens' `jti`s go into the one revocation list and the refresh family is revoked (OAuth 2.1
 * §4.1.3: the server SHOULD revoke what a reused code issued).
 *
 * @module
 */

import {
  accountActor,
  mintAccountToken,
  noteAccountRefresh,
} from "../accounts_api/account_tokens.ts";
import { randomJti } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import {
  type ClientLookup,
  idTokenClaims,
  type OidcClient,
  redeemAuthorizationCode,
  type Redemption,
  wantsIdToken,
} from "../oidc/mod.ts";
import { mint } from "../profiles/mint.ts";
import type { CodeIssued, Store } from "../store/mod.ts";
import { admitAccount, type Ctx, issuedBy, requireAccounts, requireSignin } from "../trust/mod.ts";
import type { TokenResponse } from "./grants.ts";

/** The grant type (RFC 6749 §4.1.3). */
export const AUTHORIZATION_CODE = "authorization_code";

/**
 * The sign-in client of a token request: the authenticated client (its `client_id`, if sent,
 * must be its own), or a public client named by `client_id` (RFC 6749 §3.2.1: a public client
 * sends its id). A confidential client that does not authenticate is `invalid_client`.
 */
export async function signinClient(ctx: Ctx, lookup: ClientLookup): Promise<OidcClient> {
  const formId = ctx.form.get("client_id");
  const c = ctx.caller;
  const basic = { "www-authenticate": `Basic realm="${ctx.rt.config.realm}"` };
  if (c !== null && c.kind === "client") {
    if (formId !== null && formId !== c.subject) {
      throw KeypebbleError.answer(
        "invalid_client",
        "client_id is not the authenticated client",
        { headers: basic },
      );
    }
    const client = await lookup(c.subject);
    if (client === undefined) {
      throw KeypebbleError.answer(
        "unauthorized_client",
        "This client has no redirect_uris: it does not sign people in",
      );
    }
    return client;
  }
  if (c !== null) {
    throw KeypebbleError.answer("unauthorized_client", "Only sign-in clients redeem codes");
  }
  if (formId === null || formId === "") {
    throw KeypebbleError.answer(
      "invalid_client",
      "client_id is required (a public client), or client authentication",
      { headers: basic },
    );
  }
  const client = await lookup(formId.slice(0, 128));
  if (client === undefined) {
    throw KeypebbleError.answer("invalid_client", "The client is unknown", { headers: basic });
  }
  if (client.secretHash !== null) {
    // RFC 6749 §3.2.1: a confidential client MUST authenticate.
    throw KeypebbleError.answer(
      "invalid_client",
      "This client must authenticate (client_secret_basic or client_secret_post)",
      { headers: basic },
    );
  }
  return client;
}

const REFUSALS: Readonly<Record<Extract<Redemption, { ok: false }>["reason"], string>> = {
  malformed: "The authorization code is not valid",
  unknown: "The authorization code is not valid",
  reused: "The authorization code was already used; what it issued has been revoked",
  expired: "The authorization code has expired",
  wrong_client: "The authorization code was issued to another client",
  wrong_redirect_uri: "redirect_uri is not the one of the authorization request",
  wrong_verifier: "code_verifier does not match the code_challenge",
  session_ended: "The sign-in session of this code has ended",
};

/** Handle `grant_type=authorization_code`. */
export async function authorizationCodeGrant(ctx: Ctx): Promise<TokenResponse> {
  const s = await requireSignin(ctx);
  const client = await signinClient(ctx, s.lookup);
  const form = ctx.form;
  const now = ctx.nowSec;
  const r = await redeemAuthorizationCode(s.store, {
    code: form.get("code"),
    clientId: client.id,
    redirectUri: form.get("redirect_uri"),
    codeVerifier: form.get("code_verifier"),
    now,
  });
  if (!r.ok) {
    ctx.services.metrics.authFailures.labels(`code_${r.reason}`).inc();
    if (r.reason === "reused" && r.revoke !== null) {
      await revokeIssued(ctx, s.store, r.revoke);
    }
    if (r.reason === "reused" || r.reason === "wrong_client") {
      ctx.services.logger.warn("authorization_code_refused", {
        reason: r.reason,
        client_id: client.id,
        remote: ctx.client.address,
      });
    }
    throw KeypebbleError.answer("invalid_grant", REFUSALS[r.reason]);
  }
  const code = r.code;
  const user = await s.store.users.byId(code.userId);
  if (user === undefined || user.status !== "active") {
    throw KeypebbleError.answer("invalid_grant", "The account is not active");
  }
  try {
    await admitAccount(ctx, user);
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "forbidden") {
      throw KeypebbleError.answer("invalid_grant", e.message);
    }
    throw e;
  }
  const svc = requireAccounts(ctx);
  const idToken = wantsIdToken(code.scope);
  const accessJti = randomJti();
  const idJti = randomJti();
  const refresh = await svc.issueRefresh(user, { clientId: client.id, scope: code.scope });
  const longest = Math.max(svc.config.accessTtlSeconds, s.idProfile.maxTtl);
  await s.store.authCodes.recordIssued(code.hash, {
    jtis: idToken ? [accessJti, idJti] : [accessJti],
    familyId: refresh.record.familyId,
    expiresAt: now + longest + 60,
  });
  const at = await mintAccountToken(ctx, user, {
    scope: code.scope,
    clientId: client.id,
    jti: accessJti,
  });
  let id: string | undefined;
  if (idToken) {
    const profile = s.idProfile;
    const { aud: _aud, sub: _sub, ...own } = await idTokenClaims(code, {
      accessToken: at.token,
      alg: profile.signer.alg,
    });
    const minted = await mint(profile, {
      now,
      subject: code.userId,
      audience: client.id,
      own,
      jti: idJti,
      record: issuedBy(ctx, accountActor(user)),
    });
    id = minted.token;
  }
  noteAccountRefresh(ctx, user, refresh.record);
  ctx.subject = user.id;
  return {
    access_token: at.token,
    token_type: "Bearer",
    expires_in: at.expiresIn,
    refresh_token: refresh.raw,
    ...(id === undefined ? {} : { id_token: id }),
    scope: code.scope,
  };
}

/**
 * Revoke what a code's redemption issued, when the code is presented again: its tokens' `jti`s
 * (in the store, for every instance, and in this process's list at once) and its refresh family.
 */
export async function revokeIssued(ctx: Ctx, store: Store, issued: CodeIssued): Promise<void> {
  const now = ctx.nowSec;
  for (const jti of issued.jtis) {
    await store.revocations.revoke(jti, issued.expiresAt, now);
    ctx.services.revocations.apply({ kind: "jti", jti });
  }
  const family = issued.familyId === null
    ? 0
    : await store.refreshTokens.revokeFamily(issued.familyId, now);
  ctx.services.logger.warn("authorization_code_reuse", {
    revoked_tokens: issued.jtis.length,
    revoked_refresh_tokens: family,
    message: "An authorization code was presented again; what it issued has been revoked",
  });
}
