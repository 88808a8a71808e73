/**
 * PKCE (RFC 7636) as OAuth 2.1 requires it of every client: the `S256` method only. `plain`
 * (RFC 7636 §4.2) is refused: it protects nothing once the authorization request is seen, and
 * §4.2 lets a server that supports S256 refuse it.
 *
 * @module
 */

import { b64uEncode } from "../jose/base64url.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import { sha256 } from "../jose/hmac_sha256.ts";

/** The only `code_challenge_method` accepted. */
export const PKCE_METHOD = "S256";

/** RFC 7636 §4.1: `code-verifier = 43*128unreserved`, unreserved = ALPHA / DIGIT / - . _ ~ */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** BASE64URL of a 32-byte SHA-256: exactly 43 characters, no padding (§4.2, Appendix A). */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Whether `v` is a well-formed code verifier (§4.1). */
export function isCodeVerifier(v: string): boolean {
  return VERIFIER.test(v);
}

/** Whether `c` is a well-formed S256 code challenge. */
export function isS256Challenge(c: string): boolean {
  return CHALLENGE.test(c);
}

/**
 * Check the PKCE parameters of an authorization request (§4.3). Returns null when they are
 * acceptable, else the reason (for an `invalid_request` error): a missing challenge, a missing or
 * `plain` method (§4.3: an absent method means `plain`), or a malformed challenge.
 */
export function checkPkceRequest(
  challenge: string | null,
  method: string | null,
): string | null {
  if (challenge === null || challenge === "") {
    return "code_challenge is required (PKCE with S256)";
  }
  if (method === null || method === "") {
    return 'code_challenge_method is required and must be "S256" ("plain" is not accepted)';
  }
  if (method !== PKCE_METHOD) {
    return method === "plain"
      ? 'code_challenge_method "plain" is not accepted; use "S256"'
      : 'code_challenge_method is not accepted; use "S256"';
  }
  if (!isS256Challenge(challenge)) {
    return "code_challenge must be the 43-character BASE64URL of a SHA-256 digest";
  }
  return null;
}

/** `BASE64URL(SHA256(ASCII(code_verifier)))` (§4.2). */
export function s256Challenge(verifier: string): string {
  return b64uEncode(sha256(new TextEncoder().encode(verifier)));
}

/**
 * Whether `verifier` matches the stored S256 `challenge` (§4.6): the verifier must be well
 * formed, and the two challenges are compared in constant time.
 */
export function verifyPkce(verifier: string | null, challenge: string): boolean {
  if (verifier === null || !isCodeVerifier(verifier)) return false;
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(s256Challenge(verifier)), enc.encode(challenge));
}
