/**
 * pico-auth's routes (`/api/v1/auth/*`, `/api/v1/groups/*`): who may call each, the capability it
 * needs (src/trust/capabilities.ts) and its body. Errors are written in the `pico` style (our
 * `error` and `message`, and pico-auth's `detail`). Routes that change something name their audit
 * action (`audit`: recorded once they answered, src/trust/audit.ts); tokens from login and
 * refresh are recorded by the mint.
 */

import type { CallerDecl } from "../http/mod.ts";
import type { Capability } from "../trust/mod.ts";
import type { AppRoute } from "../trust/mod.ts";
import { getJwks } from "../tokens/jwks.ts";
import * as groups from "./group_routes.ts";
import * as pico from "./pico_routes.ts";
import * as serviceTokens from "./service_tokens.ts";
import * as totp from "./totp_routes.ts";

/** An account's bearer access token. */
const ACCOUNT: CallerDecl = { accepts: ["account"], anonymous: "never" };
/** Anyone: the body carries the credential (a password, a refresh token) or nothing is needed. */
const ANYONE: CallerDecl = { accepts: [], anonymous: "always" };

type Method = AppRoute["method"];

function _route(
  method: Method,
  template: string,
  needs: Capability | undefined,
  handle: AppRoute["handle"],
  audit?: AppRoute["audit"],
): AppRoute {
  return {
    method,
    template,
    caller: needs === undefined ? ANYONE : ACCOUNT,
    ...(needs === undefined ? {} : { needs }),
    body: method === "GET" || method === "DELETE" ? "none" : "json_value",
    style: "pico",
    handle,
    ...(audit === undefined ? {} : { audit }),
  };
}

/** `PUT …/status` suspends or resumes, as its body says. */
function _statusAction(ctx: Parameters<AppRoute["handle"]>[0]): string {
  const v = ctx.jsonValue;
  const status = typeof v === "string"
    ? v
    : v !== null && typeof v === "object"
    ? (v as Record<string, unknown>).status
    : undefined;
  return status === "suspended" ? "account.suspended" : "account.resumed";
}

const A = "/api/v1/auth";
const G = "/api/v1/groups";

/** The routes of this feature. */
export const ACCOUNT_ROUTES: readonly AppRoute[] = [
  _route("POST", `${A}/register`, undefined, pico.postRegister, { action: "account.created" }),
  _route("POST", `${A}/login`, undefined, pico.postLogin),
  _route("POST", `${A}/refresh`, undefined, pico.postRefresh),
  _route("GET", `${A}/me`, "profile", pico.getMe),
  _route("POST", `${A}/me/password`, "profile", pico.postMyPassword, {
    action: "account.password_changed",
  }),
  _route("GET", `${A}/me/totp`, "profile", totp.getMyTotp),
  _route("POST", `${A}/me/totp`, "profile", totp.postMyTotp, { action: "account.totp_started" }),
  _route("POST", `${A}/me/totp/confirm`, "profile", totp.postMyTotpConfirm, {
    action: "account.totp_confirmed",
  }),
  _route("GET", `${A}/jwks`, undefined, getJwks),
  _route("GET", `${A}/users`, "users.manage", pico.getUsers),
  _route("POST", `${A}/users`, "users.manage", pico.postUser, {
    action: "account.created",
    target: "email",
  }),
  _route("GET", `${A}/users/registration`, "registration.manage", pico.getRegistration),
  _route("PUT", `${A}/users/registration`, "registration.manage", pico.putRegistration, {
    action: "registration.switched",
  }),
  _route("PUT", `${A}/users/{id}/role`, "users.manage", pico.putUserRole, {
    action: "account.role_changed",
    target: "id",
  }),
  _route("PUT", `${A}/users/{id}/password`, "users.manage", pico.putUserPassword, {
    action: "account.password_reset",
    target: "id",
  }),
  _route("PUT", `${A}/users/{id}/status`, "users.manage", pico.putUserStatus, {
    action: _statusAction,
    target: "id",
  }),
  _route("GET", `${A}/users/{id}/totp`, "users.manage", totp.getUserTotp),
  _route("PUT", `${A}/users/{id}/totp`, "users.manage", totp.putUserTotp, {
    action: "account.totp_required",
    target: "id",
  }),
  _route("DELETE", `${A}/users/{id}/totp`, "users.manage", totp.deleteUserTotp, {
    action: "account.totp_reset",
    target: "id",
  }),
  _route("GET", `${A}/service-tokens`, "service_tokens.manage", serviceTokens.getServiceTokens),
  _route("POST", `${A}/service-tokens`, "service_tokens.manage", serviceTokens.postServiceToken, {
    action: "service_token.created",
    target: "name",
    org: "org_id",
  }),
  _route(
    "POST",
    `${A}/service-tokens/validate`,
    "service_tokens.validate",
    serviceTokens.postValidateServiceToken,
  ),
  _route(
    "DELETE",
    `${A}/service-tokens/{name}`,
    "service_tokens.manage",
    serviceTokens.deleteServiceToken,
    { action: "service_token.revoked", target: "name" },
  ),
  _route("GET", G, "groups.read", groups.getGroups),
  _route("POST", G, "groups.manage", groups.postGroup, { action: "group.created", target: "name" }),
  _route("GET", `${G}/{id}`, "groups.read", groups.getGroup),
  _route("PUT", `${G}/{id}`, "groups.manage", groups.putGroup, {
    action: "group.updated",
    target: "id",
  }),
  _route("DELETE", `${G}/{id}`, "groups.manage", groups.deleteGroup, {
    action: "group.deleted",
    target: "id",
  }),
  _route("POST", `${G}/{id}/members`, "groups.manage", groups.postGroupMember, {
    action: "group.member_added",
    target: "id",
  }),
  _route("DELETE", `${G}/{id}/members/{user_id}`, "groups.manage", groups.deleteGroupMember, {
    action: "group.member_removed",
    target: "id",
  }),
];
