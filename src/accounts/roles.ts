/**
 * Roles and what each may do: one table, read by the pico-auth admin routes, the groups and
 * service-token routes, and the `/admin/` API of issue 12.
 *
 * | permission | superadmin | org_admin | operator | viewer |
 * |---|---|---|---|---|
 * | `profile` (own /me, own password) | yes | yes | yes | yes |
 * | `groups.read` (own organisation) | all | own org | own org | own org |
 * | `users.manage` (list, create, role, reset password) | all | own org | – | – |
 * | `groups.manage` (create, update, delete, members) | all | own org | – | – |
 * | `service_tokens.manage` (create, list, revoke) | all | own org | – | – |
 * | `service_tokens.validate` | yes | yes | yes | – |
 * | `keys.manage` (`/admin/keys…`) | all | own org | – | – |
 * | `registration.manage` | yes | – | – | – |
 * | `orgs.manage`, `blocks.manage`, `stats.read` (`/admin/orgs`, `/admin/blocks`, `/admin/stats`) | yes | – | – | – |
 *
 * An org admin cannot grant `superadmin`, nor change or reset a superadmin.
 */

import type { Role } from "../store/mod.ts";

/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ["superadmin", "org_admin", "operator", "viewer"];

/** What a caller may be allowed to do. */
export type Permission =
  | "profile"
  | "groups.read"
  | "users.manage"
  | "groups.manage"
  | "service_tokens.manage"
  | "service_tokens.validate"
  | "keys.manage"
  | "registration.manage"
  | "orgs.manage"
  | "blocks.manage"
  | "stats.read";

/** The permission table (see the module docs). */
export const PERMISSIONS: Readonly<Record<Permission, readonly Role[]>> = {
  "profile": ROLES,
  "groups.read": ROLES,
  "users.manage": ["superadmin", "org_admin"],
  "groups.manage": ["superadmin", "org_admin"],
  "service_tokens.manage": ["superadmin", "org_admin"],
  "service_tokens.validate": ["superadmin", "org_admin", "operator"],
  "keys.manage": ["superadmin", "org_admin"],
  "registration.manage": ["superadmin"],
  "orgs.manage": ["superadmin"],
  "blocks.manage": ["superadmin"],
  "stats.read": ["superadmin"],
};

/** True when `role` holds `permission`. */
export function allows(role: Role, permission: Permission): boolean {
  return PERMISSIONS[permission].includes(role);
}

/** True for a known role name. */
export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

/**
 * The organisation a role's permissions are limited to: `undefined` (every organisation) for a
 * superadmin, its own for everyone else.
 */
export function orgScope(user: { role: Role; orgId: string }): string | undefined {
  return user.role === "superadmin" ? undefined : user.orgId;
}
