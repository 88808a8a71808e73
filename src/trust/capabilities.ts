/**
 * What a caller may do: one table of capabilities, read by the route table (`needs`) and by the
 * handlers that act on someone else's organisation, account or key.
 *
 * | capability | superadmin | org_admin | operator | viewer | admin key | other key | OAuth client |
 * |---|---|---|---|---|---|---|---|
 * | `profile` (own /me, own password, TOTP) | yes | yes | yes | yes | – | – | – |
 * | `groups.read` | yes | yes | yes | yes | – | – | – |
 * | `users.manage` (list, create, role, status, reset password) | yes | yes | – | – | – | – | – |
 * | `groups.manage` | yes | yes | – | – | – | – | – |
 * | `service_tokens.manage` | yes | yes | – | – | – | – | – |
 * | `service_tokens.validate` | yes | yes | yes | – | – | – | – |
 * | `keys.manage` (`/admin/keys…`) | yes | yes | – | – | yes | – | – |
 * | `stats.read` (`/admin/stats`) | yes | – | – | – | yes (reach all) | – | – |
 * | `usage.read` (`/admin/usage`, within reach) | yes | yes | – | – | yes | – | – |
 * | `orgs.manage`, `blocks.manage` | yes | – | – | – | yes (reach all) | – | – |
 * | `clients.manage` (`/admin/clients…`, sign-in clients) | yes | – | – | – | yes (reach all) | – | – |
 * | `registration.manage` | yes | – | – | – | – | – | – |
 * | `audit.read` (`/admin/audit`) | yes | yes | – | – | yes | – | – |
 * | `introspect` | – | – | – | – | yes | `introspect` scope | yes |
 * | `limits.report` (`POST /forward-auth/failures`) | yes | – | – | – | yes (reach all) | `limits.report` scope | – |
 *
 * Every capability is held within a **reach**: a superadmin and an admin key whose reach is `all`
 * act on every organisation (root principals); everyone else on their own organisation only.
 * Capabilities marked "reach all" are held only by root principals. Nobody grants what they do
 * not hold: see {@link checkGrant}.
 *
 * @module
 */

import { isRole, ROLES } from "../accounts/roles.ts";
import { KeypebbleError } from "../errors.ts";
import type { Caller } from "../identity/mod.ts";
import type { Role } from "../store/mod.ts";

/** Every capability a route may need. */
export type Capability =
  | "profile"
  | "groups.read"
  | "users.manage"
  | "groups.manage"
  | "service_tokens.manage"
  | "service_tokens.validate"
  | "keys.manage"
  | "stats.read"
  | "usage.read"
  | "orgs.manage"
  | "blocks.manage"
  | "clients.manage"
  | "registration.manage"
  | "audit.read"
  | "introspect"
  | "limits.report";

/** The roles holding each capability (accounts). */
export const ROLE_CAPABILITIES: Readonly<Record<Capability, readonly Role[]>> = {
  "profile": ROLES,
  "groups.read": ROLES,
  "users.manage": ["superadmin", "org_admin"],
  "groups.manage": ["superadmin", "org_admin"],
  "service_tokens.manage": ["superadmin", "org_admin"],
  "service_tokens.validate": ["superadmin", "org_admin", "operator"],
  "keys.manage": ["superadmin", "org_admin"],
  "stats.read": ["superadmin"],
  "usage.read": ["superadmin", "org_admin"],
  "orgs.manage": ["superadmin"],
  "blocks.manage": ["superadmin"],
  "clients.manage": ["superadmin"],
  "registration.manage": ["superadmin"],
  "audit.read": ["superadmin", "org_admin"],
  "introspect": [],
  "limits.report": ["superadmin"],
};

/** Capabilities an `admin`-scoped key holds within its reach. */
const ADMIN_KEY: ReadonlySet<Capability> = new Set([
  "keys.manage",
  "stats.read",
  "usage.read",
  "orgs.manage",
  "blocks.manage",
  "clients.manage",
  "audit.read",
  "introspect",
]);
/** Capabilities that need reach over every organisation. */
const ROOT_ONLY: ReadonlySet<Capability> = new Set([
  "stats.read",
  "orgs.manage",
  "blocks.manage",
  "clients.manage",
  "registration.manage",
]);

/** The scope an admin key holds. */
export const ADMIN_SCOPE = "admin";
/** The scope that lets a key introspect tokens. */
export const INTROSPECT_SCOPE = "introspect";
/**
 * The scope that lets a key (an application's) report failed attempts against a route limit
 * (`POST /forward-auth/failures`). Address limits are the operator's, not an organisation's:
 * only a root principal grants it.
 */
export const LIMITS_SCOPE = "limits.report";

/** True when `a` is at least as powerful as `b`. */
export function roleCovers(a: Role, b: Role): boolean {
  return ROLES.indexOf(a) <= ROLES.indexOf(b);
}

/**
 * The organisations a caller acts on: `"all"` for a root principal (a superadmin, an admin key of
 * reach `all`), its own organisation's name for everyone else, `undefined` for callers that
 * belong to none (policy users, OAuth clients, anonymous).
 */
export function reachOf(caller: Caller | null): "all" | string | undefined {
  if (caller === null) return undefined;
  if (caller.kind === "account") {
    return caller.account.role === "superadmin" ? "all" : caller.account.orgId;
  }
  if (caller.kind === "api_key") {
    return caller.key.scopes.includes(ADMIN_SCOPE) && caller.key.reach === "all"
      ? "all"
      : caller.key.orgName;
  }
  return undefined;
}

/** The organisation a caller is limited to, or `undefined` for a root principal. */
export function orgLimitOf(caller: Caller | null): string | undefined {
  const r = reachOf(caller);
  return r === "all" ? undefined : r;
}

/** Whether `caller` holds `cap` (within its reach). */
export function holds(caller: Caller | null, cap: Capability): boolean {
  if (caller === null) return false;
  const root = reachOf(caller) === "all";
  if (ROOT_ONLY.has(cap) && !root) return false;
  switch (caller.kind) {
    case "account":
      return ROLE_CAPABILITIES[cap].includes(caller.account.role);
    case "api_key":
      if (cap === "introspect") {
        return caller.key.scopes.includes(INTROSPECT_SCOPE) ||
          caller.key.scopes.includes(ADMIN_SCOPE);
      }
      if (cap === "limits.report") {
        return caller.key.scopes.includes(LIMITS_SCOPE) ||
          (caller.key.scopes.includes(ADMIN_SCOPE) && root);
      }
      return caller.key.scopes.includes(ADMIN_SCOPE) && ADMIN_KEY.has(cap);
    case "client":
      // A sign-in client kept in the store signs people in, nothing more.
      return cap === "introspect" && caller.stored !== true;
    default:
      return false;
  }
}

/**
 * Refuse unless `caller` holds `cap`: 401 for anonymous, 403 `password_change_required` for an
 * account that must change its password first (anything but its own profile), 403 otherwise.
 */
export function requireCapability(caller: Caller | null, cap: Capability): void {
  if (caller === null) {
    throw KeypebbleError.answer("unauthorized", "Authentication is required");
  }
  if (caller.kind === "account" && caller.account.mustChangePassword && cap !== "profile") {
    throw KeypebbleError.answer(
      "password_change_required",
      "Change the password first (POST /api/v1/auth/me/password)",
    );
  }
  if (!holds(caller, cap)) {
    // A key without the scope it needs is `insufficient_scope` (RFC 6750 §3.1), as elsewhere.
    const code = caller.kind === "api_key" && cap === "introspect"
      ? "insufficient_scope"
      : "forbidden";
    throw KeypebbleError.answer(code, _refusal(caller, cap));
  }
}

function _refusal(caller: Caller, cap: Capability): string {
  if (caller.kind === "account") return `The role "${caller.account.role}" may not do this`;
  if (caller.kind === "api_key") {
    if (cap === "introspect") return 'Introspection needs a key with the "introspect" scope';
    if (!caller.key.scopes.includes(ADMIN_SCOPE)) {
      return 'The admin API needs a key with the "admin" scope';
    }
    return "This needs an admin key that reaches every organisation";
  }
  return "Not allowed";
}

/**
 * Refuse (404, so other organisations' names and ids stay unknown) unless `org` is within the
 * caller's reach.
 */
export function requireReach(caller: Caller | null, org: string, what = "No such resource"): void {
  const reach = reachOf(caller);
  if (reach === "all" || (reach !== undefined && reach === org)) return;
  throw KeypebbleError.answer("not_found", what);
}

/** What a caller wants to grant to a new or changed key (or service token). */
export interface Grant {
  readonly org: string;
  readonly scopes?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly audiences?: readonly string[];
  /** The role a service token speaks with. */
  readonly serviceRole?: Role;
  /** Reach of a new admin key. */
  readonly reach?: "org" | "all";
  /** `profiles.api.audiences`, when the operator set an allow-list for keys' audiences. */
  readonly allowedAudiences?: readonly string[];
}

/**
 * Nobody grants what they do not hold. A key (or service token) made by `caller`:
 *
 * - belongs to an organisation within the caller's reach;
 * - has the `admin` scope only when the caller holds `keys.manage`, reach `all` only when the
 *   caller is a root principal, the `introspect` scope only when the caller may introspect, the
 *   `limits.report` scope only when the caller is a root principal;
 *   other scopes are the organisation's own business (its apps define them);
 * - carries claims only when the caller is a root principal, or claims the caller's own key
 *   carries with the same values (an org admin cannot put `tenant: "globex"` in acme's tokens);
 * - names audiences within `profiles.api.audiences` when the operator set that list, unless the
 *   caller is a root principal (audiences reserved for other kinds are refused for everyone);
 * - speaks as a service role no higher than the caller's own (an account's role; for a key, its
 *   `service_role` claim, `org_admin` for an admin key of its organisation, `superadmin` for a
 *   root one).
 *
 * Throws `forbidden` naming what is not held.
 */
export function checkGrant(caller: Caller | null, grant: Grant): void {
  if (caller === null) throw KeypebbleError.answer("unauthorized", "Authentication is required");
  requireReach(caller, grant.org, "No such organisation");
  const root = reachOf(caller) === "all";
  const scopes = grant.scopes ?? [];
  const refuse = (what: string): never => {
    throw KeypebbleError.answer("forbidden", `The caller cannot grant ${what} it does not hold`);
  };
  if (scopes.includes(ADMIN_SCOPE) && !holds(caller, "keys.manage")) refuse('the "admin" scope');
  if (grant.reach === "all" && !root) refuse("reach over every organisation");
  if (scopes.includes(INTROSPECT_SCOPE) && !holds(caller, "introspect") && !root) {
    refuse('the "introspect" scope');
  }
  if (scopes.includes(LIMITS_SCOPE) && !root) refuse(`the ${JSON.stringify(LIMITS_SCOPE)} scope`);
  if (!root) {
    const own = caller.kind === "api_key" ? caller.key.claims : {};
    for (const [k, v] of Object.entries(grant.claims ?? {})) {
      if (JSON.stringify(own[k]) !== JSON.stringify(v)) refuse(`claim ${JSON.stringify(k)}`);
    }
    const allowed = grant.allowedAudiences;
    if (allowed !== undefined) {
      for (const a of grant.audiences ?? []) {
        if (!allowed.includes(a)) refuse(`audience ${JSON.stringify(a)}`);
      }
    }
  }
  if (grant.serviceRole !== undefined) {
    const mine = _roleOf(caller);
    if (mine === undefined || !roleCovers(mine, grant.serviceRole)) {
      refuse(`the role ${JSON.stringify(grant.serviceRole)}`);
    }
  }
}

/** The role a caller speaks with, for service roles it may grant. */
function _roleOf(caller: Caller): Role | undefined {
  if (caller.kind === "account") return caller.account.role;
  if (caller.kind === "api_key") {
    if (reachOf(caller) === "all") return "superadmin";
    const r = caller.key.claims.service_role;
    if (isRole(r)) return r;
    return caller.key.scopes.includes(ADMIN_SCOPE) ? "org_admin" : undefined;
  }
  return undefined;
}
