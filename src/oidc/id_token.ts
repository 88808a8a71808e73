/**
 * The ID token's own claims (OpenID Connect Core 1.0 §2, §3.1.3.6) for a redeemed code. The mint
 * path adds `iss`, `iat`, `exp` and `jti`; the token is of its own kind (`id`: `typ` "JWT",
 * `aud` the client id), which no consumer accepts as an access token.
 *
 * @module
 */

import type { Alg } from "../jose/algorithms.ts";
import { b64uEncode } from "../jose/base64url.ts";
import { sha256 } from "../jose/hmac_sha256.ts";
import type { AuthCodeRecord } from "../store/mod.ts";

/** The JWS `typ` of ID tokens (Core §2 allows "JWT"; relying parties expect it). */
export const ID_TOKEN_TYP = "JWT";

/**
 * `at_hash` (Core §3.1.3.6): the left half of the hash of the access token's ASCII, base64url
 * encoded, with the hash of the signing algorithm: SHA-256 for HS256, RS256 and ES256; SHA-512
 * for EdDSA over Ed25519 (the hash Ed25519 itself uses, as the OpenID Foundation's errata say).
 */
export async function atHash(accessToken: string, alg: Alg): Promise<string> {
  const bytes = new TextEncoder().encode(accessToken);
  const digest = alg === "EdDSA"
    ? new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))
    : sha256(bytes);
  return b64uEncode(digest.slice(0, digest.length / 2));
}

/** The claims of an ID token that the mint path does not write. */
export interface IdTokenClaims {
  readonly sub: string;
  readonly aud: string;
  /** Authorized party: the client (Core §2). */
  readonly azp: string;
  readonly auth_time: number;
  /** Authentication methods (RFC 8176): `pwd`, then `otp` when a second factor was used. */
  readonly amr: readonly string[];
  /** The browser session's public id (Front-/Back-Channel Logout `sid`). */
  readonly sid: string;
  readonly nonce?: string;
  readonly at_hash?: string;
}

/**
 * The ID token claims for the code's account, client and session. `accessToken` is the access
 * token issued beside it (for `at_hash`); `alg` the ID token's signing algorithm.
 */
export async function idTokenClaims(
  code: AuthCodeRecord,
  options: { accessToken?: string; alg: Alg },
): Promise<IdTokenClaims> {
  return {
    sub: code.userId,
    aud: code.clientId,
    azp: code.clientId,
    auth_time: code.authTime,
    amr: code.amr,
    sid: code.sessionId,
    ...(code.nonce === null ? {} : { nonce: code.nonce }),
    ...(options.accessToken === undefined
      ? {}
      : { at_hash: await atHash(options.accessToken, options.alg) }),
  };
}

/** Whether the granted scope asks for an ID token (it does when it holds `openid`). */
export function wantsIdToken(scope: string): boolean {
  return scope.split(" ").includes("openid");
}
