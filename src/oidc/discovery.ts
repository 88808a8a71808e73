/**
 * What OpenID Connect sign-in adds to `/.well-known/openid-configuration` (OpenID Connect
 * Discovery 1.0 §3, RFC 8414 §2, RFC 9207 §3): only what exists. The route merges these members
 * into the OAuth2 document when sign-in clients are configured.
 *
 * @module
 */

import { USERINFO_CLAIMS } from "./userinfo.ts";

/** The sign-in endpoints (contract, issue 24). */
export const OIDC_PATHS = {
  authorize: "/authorize",
  userinfo: "/userinfo",
  endSession: "/end_session",
} as const;

/**
 * The discovery members for sign-in at `base` (our public URL, no trailing slash). `algs` are
 * the keyring's algorithms; HS256 is left out of the ID token algorithms, since a relying party
 * cannot verify an HMAC made with our key.
 */
export function oidcDiscoveryMembers(
  base: string,
  algs: readonly string[],
): Record<string, unknown> {
  return {
    authorization_endpoint: `${base}${OIDC_PATHS.authorize}`,
    userinfo_endpoint: `${base}${OIDC_PATHS.userinfo}`,
    end_session_endpoint: `${base}${OIDC_PATHS.endSession}`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    prompt_values_supported: ["none", "login", "consent"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: algs.filter((a) => a !== "HS256"),
    claims_supported: [
      "iss",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "nonce",
      "amr",
      "azp",
      "sid",
      "at_hash",
      ...USERINFO_CLAIMS,
    ],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
  };
}
