/**
 * pico-auth's routes (`/api/v1/auth/*`, `/api/v1/groups/*`): who may call each, the capability it
 * needs (src/trust/capabilities.ts) and its body. Errors are written in the `pico` style (our
 * `error` and `message`, and pico-auth's `detail`).
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
  body: AppRoute["body"] = method === "GET" || method === "DELETE" ? "none" : "json_value",
): AppRoute {
  return {
    method,
    template,
    caller: needs === undefined ? ANYONE : ACCOUNT,
    ...(needs === undefined ? {} : { needs }),
    body,
    style: "pico",
    handle,
  };
}

const A = "/api/v1/auth";
const G = "/api/v1/groups";

/** The routes of this feature. */
export const ACCOUNT_ROUTES: readonly AppRoute[] = [
  _route("POST", `${A}/register`, undefined, pico.postRegister),
  _route("POST", `${A}/login`, undefined, pico.postLogin),
  _route("POST", `${A}/refresh`, undefined, pico.postRefresh),
  _route("GET", `${A}/me`, "profile", pico.getMe),
  _route("POST", `${A}/me/password`, "profile", pico.postMyPassword),
  _route("GET", `${A}/me/totp`, "profile", totp.getMyTotp),
  _route("POST", `${A}/me/totp`, "profile", totp.postMyTotp),
  _route("POST", `${A}/me/totp/confirm`, "profile", totp.postMyTotpConfirm),
  _route("GET", `${A}/jwks`, undefined, getJwks),
  _route("GET", `${A}/users`, "users.manage", pico.getUsers),
  _route("POST", `${A}/users`, "users.manage", pico.postUser),
  _route("GET", `${A}/users/registration`, "registration.manage", pico.getRegistration),
  _route("PUT", `${A}/users/registration`, "registration.manage", pico.putRegistration),
  _route("PUT", `${A}/users/{id}/role`, "users.manage", pico.putUserRole),
  _route("PUT", `${A}/users/{id}/password`, "users.manage", pico.putUserPassword),
  _route("PUT", `${A}/users/{id}/status`, "users.manage", pico.putUserStatus),
  _route("GET", `${A}/users/{id}/totp`, "users.manage", totp.getUserTotp),
  _route("PUT", `${A}/users/{id}/totp`, "users.manage", totp.putUserTotp),
  _route("DELETE", `${A}/users/{id}/totp`, "users.manage", totp.deleteUserTotp),
  _route("GET", `${A}/service-tokens`, "service_tokens.manage", serviceTokens.getServiceTokens),
  _route("POST", `${A}/service-tokens`, "service_tokens.manage", serviceTokens.postServiceToken),
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
  ),
  _route("GET", G, "groups.read", groups.getGroups),
  _route("POST", G, "groups.manage", groups.postGroup),
  _route("GET", `${G}/{id}`, "groups.read", groups.getGroup),
  _route("PUT", `${G}/{id}`, "groups.manage", groups.putGroup),
  _route("DELETE", `${G}/{id}`, "groups.manage", groups.deleteGroup),
  _route("POST", `${G}/{id}/members`, "groups.manage", groups.postGroupMember),
  _route("DELETE", `${G}/{id}/members/{user_id}`, "groups.manage", groups.deleteGroupMember),
];
