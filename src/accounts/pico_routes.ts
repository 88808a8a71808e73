/**
 * pico-auth's API under `/api/v1/auth`, wire-compatible (paths, bodies, answer fields) so its
 * clients switch by changing the base URL. Unlike pico-auth, every error has a real HTTP status
 * (the body still has an `error` field, plus `message`).
 */

import { getJwks } from "../http/discovery_route.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { rfc3339OrNull } from "../profiles/context.ts";
import { json } from "../http/responses.ts";
import type { Role, UserRecord } from "../store/mod.ts";
import { readJsonObjectBody, readSingleString, requiredString } from "./json_body.ts";
import { loginAccount } from "./login.ts";
import { allows, isRole, orgScope, type Permission } from "./roles.ts";
import { accountService, requireAccount, tokenPair } from "./token.ts";

/** An account as pico-auth's user list shows it. */
export function userJson(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id,
    email: u.email,
    display_name: u.displayName,
    role: u.role,
    org_id: u.orgId,
    status: u.status,
    ...(u.username === null ? {} : { username: u.username }),
  };
}

/**
 * The calling account, allowed `permission`; refused with 403 otherwise, and while its password
 * must still be changed (except for its own profile).
 */
export async function requirePermission(
  ctx: RequestContext,
  permission: Permission,
): Promise<UserRecord> {
  const user = await requireAccount(ctx);
  if (user.mustChangePassword && permission !== "profile") {
    throw new KeypebbleError(
      "password_change_required",
      "Change the password first (POST /api/v1/auth/me/password)",
    );
  }
  if (!allows(user.role, permission)) {
    throw new KeypebbleError("forbidden", `The role "${user.role}" may not do this`);
  }
  return user;
}

/**
 * The target account of an admin action, checked against the admin's reach: an org admin acts
 * on its own organisation only, and never on a superadmin.
 */
async function _target(ctx: RequestContext, admin: UserRecord, id: string): Promise<UserRecord> {
  const svc = accountService(ctx);
  const target = await svc.store.users.byId(id);
  const scope = orgScope(admin);
  if (target === undefined || (scope !== undefined && target.orgId !== scope)) {
    throw new KeypebbleError("not_found", "No such user");
  }
  if (admin.role !== "superadmin" && target.role === "superadmin") {
    throw new KeypebbleError("forbidden", "Only a superadmin may change a superadmin");
  }
  return target;
}

function _grantable(admin: UserRecord, role: Role): void {
  if (role === "superadmin" && admin.role !== "superadmin") {
    throw new KeypebbleError("forbidden", 'Only a superadmin may grant "superadmin"');
  }
}

/** `POST /api/v1/auth/register` `{"email", "password", "display_name"}`. */
export async function postRegister(ctx: RequestContext): Promise<Response> {
  const svc = accountService(ctx);
  if (!(await svc.registrationOpen())) {
    throw new KeypebbleError("forbidden", "Registration is closed");
  }
  const body = await readJsonObjectBody(ctx);
  const user = await svc.create({
    email: body.email,
    password: body.password,
    displayName: body.display_name,
  });
  ctx.services.logger.info("account_registered", { user_id: user.id });
  return json({ id: user.id, email: user.email, role: user.role, status: user.status }, 201);
}

/** `POST /api/v1/auth/login` `{"email" | "username", "password"}`. */
export async function postLogin(ctx: RequestContext): Promise<Response> {
  const svc = accountService(ctx);
  const body = await readJsonObjectBody(ctx);
  const password = requiredString(body, "password");
  let who: { email?: string; username?: string };
  if (typeof body.email === "string" && body.email !== "") who = { email: body.email };
  else if (typeof body.username === "string" && body.username !== "") {
    who = { username: body.username };
  } else throw new KeypebbleError("invalid_request", '"email" or "username" is required');
  const user = await loginAccount(ctx, who, password);
  const { raw } = await svc.issueRefresh(user);
  const pair = await tokenPair(ctx, user, raw);
  return json(user.mustChangePassword ? { ...pair, password_change_required: true } : pair);
}

/** `POST /api/v1/auth/refresh` `"token"` or `{"refresh_token"}`: rotation. */
export async function postRefresh(ctx: RequestContext): Promise<Response> {
  const svc = accountService(ctx);
  const raw = await readSingleString(ctx, "refresh_token");
  let rotation;
  try {
    rotation = await svc.rotate(raw, { logger: ctx.services.logger });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "invalid_grant") {
      throw new KeypebbleError("unauthorized", e.message, {
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    }
    throw e;
  }
  ctx.subject = rotation.user.id;
  return json(await tokenPair(ctx, rotation.user, rotation.refreshToken));
}

/** `GET /api/v1/auth/me`. */
export async function getMe(ctx: RequestContext): Promise<Response> {
  const u = await requirePermission(ctx, "profile");
  return json({
    id: u.id,
    email: u.email,
    display_name: u.displayName,
    role: u.role,
    org_id: u.orgId,
    status: u.status,
    created_at: rfc3339OrNull(u.createdAt),
    last_login_at: rfc3339OrNull(u.lastLoginAt),
    ...(u.username === null ? {} : { username: u.username }),
    groups: await accountService(ctx).groupIds(u.id),
    password_change_required: u.mustChangePassword,
  });
}

/** `POST /api/v1/auth/me/password` `{"old_password", "new_password"}`. */
export async function postMyPassword(ctx: RequestContext): Promise<Response> {
  const u = await requirePermission(ctx, "profile");
  const body = await readJsonObjectBody(ctx);
  await accountService(ctx).changePassword(u, body.old_password, body.new_password);
  ctx.services.logger.info("password_changed", { user_id: u.id });
  return json({ message: "Password changed" });
}

/** `GET /api/v1/auth/jwks`: the same document as `/.well-known/jwks.json`. */
export function getAuthJwks(ctx: RequestContext): Response {
  return getJwks(ctx);
}

/** `GET /api/v1/auth/users`: `{"users": [...], "total": N}` (an org admin sees its org). */
export async function getUsers(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "users.manage");
  const users = await accountService(ctx).listUsers(orgScope(admin));
  return json({ users: users.map(userJson), total: users.length });
}

/**
 * `POST /api/v1/auth/users` `{"email", "password", "display_name", "role", "org_id"}`; a
 * superadmin may give `password_hash` instead of `password` to import an account (bcrypt, apr1
 * or PBKDF2).
 */
export async function postUser(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "users.manage");
  const body = await readJsonObjectBody(ctx);
  const role = body.role ?? "viewer";
  if (!isRole(role)) {
    throw new KeypebbleError(
      "invalid_request",
      'The role must be one of "superadmin", "org_admin", "operator", "viewer"',
    );
  }
  _grantable(admin, role);
  let orgId = orgScope(admin);
  if (orgId === undefined) {
    if (body.org_id !== undefined && typeof body.org_id !== "string") {
      throw new KeypebbleError("invalid_request", '"org_id" must be a string');
    }
    orgId = (body.org_id as string | undefined) ?? admin.orgId;
  } else if (body.org_id !== undefined && body.org_id !== orgId) {
    throw new KeypebbleError("forbidden", "An org admin creates users in its own organisation");
  }
  if (body.password_hash !== undefined && admin.role !== "superadmin") {
    throw new KeypebbleError("forbidden", "Only a superadmin may import a password hash");
  }
  const user = await accountService(ctx).create({
    email: body.email,
    password: body.password,
    displayName: body.display_name,
    username: body.username,
    role,
    orgId,
    ...(body.password_hash === undefined ? {} : { passwordHash: body.password_hash }),
  });
  ctx.services.logger.info("account_created", { user_id: user.id, by: admin.id, role });
  return json(userJson(user), 201);
}

/** `PUT /api/v1/auth/users/{id}/role` `"operator"` or `{"role"}`. */
export async function putUserRole(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "users.manage");
  const role = await readSingleString(ctx, "role");
  const target = await _target(ctx, admin, ctx.params.id);
  if (!isRole(role)) {
    throw new KeypebbleError(
      "invalid_request",
      'The role must be one of "superadmin", "org_admin", "operator", "viewer"',
    );
  }
  _grantable(admin, role);
  const user = await accountService(ctx).setRole(target.id, role);
  ctx.services.logger.info("role_changed", { user_id: user.id, by: admin.id, role });
  return json({ id: user.id, email: user.email, role: user.role });
}

/** `PUT /api/v1/auth/users/{id}/password` `{"new_password"}`. */
export async function putUserPassword(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "users.manage");
  const body = await readJsonObjectBody(ctx);
  const target = await _target(ctx, admin, ctx.params.id);
  await accountService(ctx).resetPassword(target.id, body.new_password);
  ctx.services.logger.info("password_reset", { user_id: target.id, by: admin.id });
  return json({ message: "Password reset", id: target.id });
}

/** `GET /api/v1/auth/users/registration` → `{"registration_enabled"}`. */
export async function getRegistration(ctx: RequestContext): Promise<Response> {
  await requirePermission(ctx, "registration.manage");
  return json({ registration_enabled: await accountService(ctx).registrationOpen() });
}

/** `PUT /api/v1/auth/users/registration` `{"enabled": bool}` → `{"registration_enabled"}`. */
export async function putRegistration(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "registration.manage");
  const body = await readJsonObjectBody(ctx);
  if (typeof body.enabled !== "boolean") {
    throw new KeypebbleError("invalid_request", '"enabled" must be true or false');
  }
  await accountService(ctx).setRegistration(body.enabled);
  ctx.services.logger.info("registration_switched", { enabled: body.enabled, by: admin.id });
  return json({ registration_enabled: body.enabled });
}
