/**
 * The four account roles, most powerful first. What each may do is the capability table of
 * `src/trust/capabilities.ts`.
 */

import type { Role } from "../store/mod.ts";

/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ["superadmin", "org_admin", "operator", "viewer"];

/** True for a known role name. */
export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}
