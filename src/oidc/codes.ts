/**
 * Authorization codes (RFC 6749 §4.1.2, OAuth 2.1 §4.1.2): 256 random bits, stored as SHA-256
 * only, valid 60 seconds, used once, and bound to everything the token request must repeat or
 * prove: the client, the exact redirect URI, the PKCE challenge, and what the ID token will say
 * (nonce, scope, session, auth_time, amr).
 *
 * Redemption ({@link redeemAuthorizationCode}) marks the code used before any other check, so
 * every presentation spends it; a second presentation is a replay, and the caller revokes what
 * the first one issued (OAuth 2.1 §4.1.3: "the authorization server … SHOULD revoke all tokens
 * previously issued based on that authorization code").
 *
 * @module
 */

import { b64uEncode } from "../jose/base64url.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import { sha256 } from "../jose/hmac_sha256.ts";
import type { AuthCodeRecord, CodeIssued, OidcSessionRecord, Store } from "../store/mod.ts";
import { bytesToHex } from "./_hex.ts";
import type { AuthorizationRequest } from "./authorize.ts";
import { verifyPkce } from "./pkce.ts";

/** A code's lifetime (OAuth 2.1 §4.1.2 recommends at most 10 minutes; 60 s is ample). */
export const CODE_TTL_SECONDS = 60;
/**
 * How long a code's row is kept after it expires: long enough to recognise a replayed code (and
 * revoke what it issued) and a replayed nonce; purge with `authCodes.purge(now - this)`.
 */
export const CODE_RETENTION_SECONDS = 24 * 3600;

/** A new code: 43 base64url characters. */
export function newAuthorizationCode(): string {
  return b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The stored form of a code: hex SHA-256. */
export function authorizationCodeHash(code: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(code)));
}

/** Issue a code for `request`, signed in through `session`; resolves to the code itself. */
export async function issueAuthorizationCode(
  store: Pick<Store, "authCodes">,
  input: { request: AuthorizationRequest; session: OidcSessionRecord; now: number },
): Promise<string> {
  const code = newAuthorizationCode();
  const { request, session, now } = input;
  await store.authCodes.insert({
    hash: authorizationCodeHash(code),
    clientId: request.client.id,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    scope: request.scopes.join(" "),
    sessionId: session.id,
    userId: session.userId,
    authTime: session.authTime,
    amr: session.amr,
    createdAt: now,
    expiresAt: now + CODE_TTL_SECONDS,
    usedAt: null,
    issued: null,
  });
  return code;
}

/** The first moment whose codes count for nonce replay. */
export function nonceWindowStart(now: number): number {
  return now - CODE_RETENTION_SECONDS;
}

/** The outcome of a redemption. */
export type Redemption =
  | { readonly ok: true; readonly code: AuthCodeRecord }
  | {
    readonly ok: false;
    /** Always `invalid_grant` (RFC 6749 §5.2); `reason` is for logs, not for the client. */
    readonly error: "invalid_grant";
    readonly reason:
      | "malformed"
      | "unknown"
      | "reused"
      | "expired"
      | "wrong_client"
      | "wrong_redirect_uri"
      | "wrong_verifier"
      | "session_ended";
    /** For a reused code: what its first redemption issued, to revoke now. */
    readonly revoke: CodeIssued | null;
  };

/**
 * Redeem a code at the token endpoint (`grant_type=authorization_code`), after client
 * authentication: it must exist, be unused (atomically), unexpired, issued to this client, for
 * this exact `redirect_uri` (RFC 6749 §4.1.3), proven by the PKCE verifier (RFC 7636 §4.6), and
 * its session must not have ended since (a sign-out in between voids it).
 */
export async function redeemAuthorizationCode(
  store: Pick<Store, "authCodes" | "oidcSessions">,
  input: {
    code: string | null;
    clientId: string;
    redirectUri: string | null;
    codeVerifier: string | null;
    now: number;
  },
): Promise<Redemption> {
  const fail = (
    reason: Extract<Redemption, { ok: false }>["reason"],
    revoke = null as CodeIssued | null,
  ): Redemption => ({
    ok: false,
    error: "invalid_grant",
    reason,
    revoke,
  });
  if (input.code === null || !/^[A-Za-z0-9_-]{43}$/.test(input.code)) return fail("malformed");
  const result = await store.authCodes.consume(authorizationCodeHash(input.code), input.now);
  if (result.kind === "unknown") return fail("unknown");
  const code = result.code;
  if (result.kind === "reused") return fail("reused", code.issued);
  if (input.now >= code.expiresAt) return fail("expired");
  const enc = new TextEncoder();
  if (!timingSafeEqual(enc.encode(code.clientId), enc.encode(input.clientId))) {
    return fail("wrong_client");
  }
  if (input.redirectUri === null || input.redirectUri !== code.redirectUri) {
    return fail("wrong_redirect_uri");
  }
  if (!verifyPkce(input.codeVerifier, code.codeChallenge)) return fail("wrong_verifier");
  const session = await store.oidcSessions.byId(code.sessionId);
  if (session === undefined || session.endedAt !== null) return fail("session_ended");
  return { ok: true, code };
}

/**
 * Delete what sign-in no longer needs (run by the hourly purge): codes and sessions that expired
 * or ended more than {@link CODE_RETENTION_SECONDS} ago, kept until then to recognise a replayed
 * code or nonce. Resolves to how many rows went.
 */
export async function purgeSignin(
  store: Pick<Store, "authCodes" | "oidcSessions">,
  now: number,
): Promise<number> {
  const before = now - CODE_RETENTION_SECONDS;
  return await store.authCodes.purge(before) + await store.oidcSessions.purge(before);
}
