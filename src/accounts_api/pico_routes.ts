/**
 * pico-auth's API under `/api/v1/auth`, wire-compatible (paths, bodies, answer fields) so its
 * clients switch by changing the base URL. Unlike pico-auth, every error has a real HTTP status
 * (the body has `error`, `message` and pico-auth's `detail`: the `pico` wire style).
 *
 * Who may call what is declared in {@link ACCOUNT_ROUTES} (src/trust/capabilities.ts): the caller
 * is an account (its bearer access token) holding the route's capability, acting within its
 * reach (a superadmin on every organisation, an org admin on its own), never on a superadmin
 * unless it is one, never granting a role above its own.
 */

import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { rfc3339OrNull } from "../profiles/context.ts";
import type { Role, UserRecord, UserStatus } from "../store/mod.ts";
import { isRole } from "../accounts/roles.ts";
import {
  admitAccount,
  type Ctx,
  limitAddress,
  loginAccount,
  orgLimitOf,
  requireAccounts,
  reverifyPassword,
  roleCovers,
} from "../trust/mod.ts";
import { tokenPair } from "./account_tokens.ts";
import { objectBody, requiredString, singleString } from "./json_body.ts";

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

/** The calling account (the route accepts accounts only). */
export function callingAccount(ctx: Ctx): UserRecord {
  const c = ctx.caller;
  if (c === null || c.kind !== "account") {
    throw KeypebbleError.answer("unauthorized", "A bearer access token is required");
  }
  return c.account;
}

/**
 * The target account of an admin action, checked against the admin's reach: an org admin acts
 * on its own organisation only (404 otherwise), and never on a superadmin.
 */
async function _target(ctx: Ctx, id: string): Promise<UserRecord> {
  const admin = callingAccount(ctx);
  const target = await requireAccounts(ctx).store.users.byId(id);
  const limit = orgLimitOf(ctx.caller);
  if (target === undefined || (limit !== undefined && target.orgId !== limit)) {
    throw KeypebbleError.answer("not_found", "No such user");
  }
  if (admin.role !== "superadmin" && target.role === "superadmin") {
    throw KeypebbleError.answer("forbidden", "Only a superadmin may change a superadmin");
  }
  return target;
}

/** Nobody grants a role above their own. */
function _grantable(admin: UserRecord, role: Role): void {
  if (!roleCovers(admin.role, role)) {
    throw KeypebbleError.answer(
      "forbidden",
      `Only a superadmin may grant ${JSON.stringify(role)}`,
    );
  }
}

function _role(v: unknown): Role {
  if (!isRole(v)) {
    throw KeypebbleError.answer(
      "invalid_request",
      'The role must be one of "superadmin", "org_admin", "operator", "viewer"',
    );
  }
  return v;
}

/** `POST /api/v1/auth/register` `{"email", "password", "display_name"}`. */
export async function postRegister(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  if (!(await svc.registrationOpen())) {
    throw KeypebbleError.answer("forbidden", "Registration is closed");
  }
  // Each registration costs a password hash: a per-address budget of its own, well below the
  // general per-address limit.
  await limitAddress(ctx, "register", {
    requests: svc.config.registrationsPerHour ?? 20,
    windowSeconds: 3600,
  });
  const body = objectBody(ctx);
  const user = await svc.create({
    email: body.email,
    password: body.password,
    displayName: body.display_name,
  });
  ctx.services.logger.info("account_registered", { user_id: user.id });
  return json({ id: user.id, email: user.email, role: user.role, status: user.status }, 201);
}

/** `POST /api/v1/auth/login` `{"email" | "username", "password"}`. */
export async function postLogin(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const body = objectBody(ctx);
  const password = requiredString(body, "password");
  let who: { email?: string; username?: string };
  if (typeof body.email === "string" && body.email !== "") who = { email: body.email };
  else if (typeof body.username === "string" && body.username !== "") {
    who = { username: body.username };
  } else throw KeypebbleError.answer("invalid_request", '"email" or "username" is required');
  const user = await loginAccount(ctx, who, password);
  const { raw } = await svc.issueRefresh(user);
  const pair = await tokenPair(ctx, user, raw);
  return json(user.mustChangePassword ? { ...pair, password_change_required: true } : pair);
}

/**
 * `POST /api/v1/auth/refresh` `"token"` or `{"refresh_token"}`: rotation. No client authenticates
 * here, so a family bound to an OAuth2 client is refused (it is refreshed at /oauth2/token).
 */
export async function postRefresh(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const raw = singleString(ctx, "refresh_token");
  const unauthorized = (message: string) =>
    KeypebbleError.answer("unauthorized", message, {
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
    });
  let rotation;
  try {
    rotation = await svc.rotate(raw, { clientId: null, logger: ctx.services.logger });
    await admitAccount(ctx, rotation.user);
  } catch (e) {
    if (e instanceof KeypebbleError && (e.code === "invalid_grant" || e.code === "forbidden")) {
      throw unauthorized(e.message);
    }
    throw e;
  }
  return json(await tokenPair(ctx, rotation.user, rotation.refreshToken));
}

/** `GET /api/v1/auth/me`. */
export async function getMe(ctx: Ctx): Promise<Response> {
  const u = callingAccount(ctx);
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
    groups: await requireAccounts(ctx).groupIds(u.id),
    password_change_required: u.mustChangePassword,
  });
}

/**
 * `POST /api/v1/auth/me/password` `{"old_password", "new_password"}`: the old password is checked
 * under the account's lockout; older access tokens and every refresh token stop working.
 */
export async function postMyPassword(ctx: Ctx): Promise<Response> {
  const u = callingAccount(ctx);
  const body = objectBody(ctx);
  await reverifyPassword(
    ctx,
    u,
    () => requireAccounts(ctx).changePassword(u, body.old_password, body.new_password),
  );
  ctx.services.logger.info("password_changed", { user_id: u.id });
  return json({ message: "Password changed" });
}

/** `GET /api/v1/auth/users`: `{"users": [...], "total": N}` (an org admin sees its org). */
export async function getUsers(ctx: Ctx): Promise<Response> {
  const users = await requireAccounts(ctx).listUsers(orgLimitOf(ctx.caller));
  return json({ users: users.map(userJson), total: users.length });
}

/**
 * `POST /api/v1/auth/users` `{"email", "password", "display_name", "role", "org_id"}`; a
 * superadmin may give `password_hash` instead of `password` to import an account (bcrypt, apr1
 * or PBKDF2).
 */
export async function postUser(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const body = objectBody(ctx);
  const role = _role(body.role ?? "viewer");
  _grantable(admin, role);
  let orgId = orgLimitOf(ctx.caller);
  if (orgId === undefined) {
    if (body.org_id !== undefined && typeof body.org_id !== "string") {
      throw KeypebbleError.answer("invalid_request", '"org_id" must be a string');
    }
    orgId = (body.org_id as string | undefined) ?? admin.orgId;
  } else if (body.org_id !== undefined && body.org_id !== orgId) {
    throw KeypebbleError.answer(
      "forbidden",
      "An org admin creates users in its own organisation",
    );
  }
  if (body.password_hash !== undefined && admin.role !== "superadmin") {
    throw KeypebbleError.answer("forbidden", "Only a superadmin may import a password hash");
  }
  const user = await requireAccounts(ctx).create({
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
export async function putUserRole(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const role = _role(singleString(ctx, "role"));
  const target = await _target(ctx, ctx.params.id);
  _grantable(admin, role);
  const user = await requireAccounts(ctx).setRole(target.id, role);
  ctx.services.logger.info("role_changed", { user_id: user.id, by: admin.id, role });
  return json({ id: user.id, email: user.email, role: user.role });
}

/** `PUT /api/v1/auth/users/{id}/password` `{"new_password"}`. */
export async function putUserPassword(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const body = objectBody(ctx);
  const target = await _target(ctx, ctx.params.id);
  await requireAccounts(ctx).resetPassword(target.id, body.new_password);
  ctx.services.logger.info("password_reset", { user_id: target.id, by: admin.id });
  return json({ message: "Password reset", id: target.id });
}

/**
 * `PUT /api/v1/auth/users/{id}/status` `{"status": "suspended" | "active"}` (or the bare string):
 * a suspended account cannot log in, refresh, or use access tokens issued before; resuming lets
 * it sign in again (its old tokens stay revoked). Nobody suspends themselves.
 */
export async function putUserStatus(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const status = singleString(ctx, "status");
  if (status !== "suspended" && status !== "active") {
    throw KeypebbleError.answer("invalid_request", '"status" must be "suspended" or "active"');
  }
  const target = await _target(ctx, ctx.params.id);
  if (target.id === admin.id) {
    throw KeypebbleError.answer("forbidden", "An account cannot change its own status");
  }
  const user = await requireAccounts(ctx).setStatus(target.id, status as UserStatus);
  ctx.services.logger.info(status === "suspended" ? "account_suspended" : "account_resumed", {
    user_id: user.id,
    by: admin.id,
  });
  return json(userJson(user));
}

/** `GET /api/v1/auth/users/registration` → `{"registration_enabled"}`. */
export async function getRegistration(ctx: Ctx): Promise<Response> {
  return json({ registration_enabled: await requireAccounts(ctx).registrationOpen() });
}

/** `PUT /api/v1/auth/users/registration` `{"enabled": bool}` → `{"registration_enabled"}`. */
export async function putRegistration(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const body = objectBody(ctx);
  if (typeof body.enabled !== "boolean") {
    throw KeypebbleError.answer("invalid_request", '"enabled" must be true or false');
  }
  await requireAccounts(ctx).setRegistration(body.enabled);
  ctx.services.logger.info("registration_switched", { enabled: body.enabled, by: admin.id });
  return json({ registration_enabled: body.enabled });
}
