/**
 * Request-supplied claims for /auth and `issue`: filtered through `allowed_custom_claims`, with
 * registered claims stripped whatever the allowlist says.
 */

import { SERVER_ONLY_CLAIMS } from "./registered.ts";

/** The outcome of filtering: what will be signed and what was dropped (names only). */
export interface FilteredClaims {
  readonly accepted: Record<string, unknown>;
  readonly dropped: readonly string[];
}

/**
 * Keep the request claims that may be signed. Server-only claims (`iss`, `iat`, `nbf`, `exp`,
 * `jti`) are always dropped; when `allowed` is given, so is every claim not in it. `notClaim`
 * names a body member that is a request option, not a claim (`ttl_seconds`): it is neither
 * accepted nor dropped.
 */
export function filterCustomClaims(
  body: Readonly<Record<string, unknown>>,
  allowed: readonly string[] | undefined,
  notClaim?: string,
): FilteredClaims {
  const accepted: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const name of Object.keys(body)) {
    if (name === notClaim) continue;
    if (SERVER_ONLY_CLAIMS.has(name) || (allowed !== undefined && !allowed.includes(name))) {
      dropped.push(name);
    } else {
      accepted[name] = body[name];
    }
  }
  return { accepted, dropped };
}
