/**
 * UserInfo claims (OpenID Connect Core 1.0 §5.3, §5.4): `sub` always, `profile` adds the name
 * claims Keypebble knows, `email` adds the address. Accounts' addresses are not verified by
 * Keypebble, so `email_verified` is false: a relying party must not treat the address as proven.
 *
 * @module
 */

import type { UserRecord } from "../store/mod.ts";

/** Whether an access token's scope lets it call the UserInfo endpoint (Core §5.3: `openid`). */
export function userinfoAllowed(scope: readonly string[] | string): boolean {
  const list = typeof scope === "string" ? scope.split(" ") : scope;
  return list.includes("openid");
}

/** The claims of `user` for `scopes`. `sub` is the account id, as in the ID token. */
export function userinfoClaims(
  user: UserRecord,
  scopes: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { sub: user.id };
  if (scopes.includes("profile")) {
    const preferred = user.username ?? user.email;
    out.name = user.displayName !== "" ? user.displayName : preferred;
    out.preferred_username = preferred;
    out.updated_at = user.updatedAt;
  }
  if (scopes.includes("email")) {
    out.email = user.email;
    out.email_verified = false;
  }
  return out;
}

/** The claims this endpoint can return (for discovery's `claims_supported`). */
export const USERINFO_CLAIMS: readonly string[] = [
  "sub",
  "name",
  "preferred_username",
  "updated_at",
  "email",
  "email_verified",
];
