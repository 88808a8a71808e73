/**
 * The admin API's routes: who may call each (an admin key in `X-Admin-Key`, `X-API-Key` or
 * `Authorization: Bearer`, or an account's access token) and the capability it needs
 * (src/trust/capabilities.ts). Organisations, blocks and statistics need a root principal; keys
 * are managed within the caller's reach; the audit trail is read within it. Every route that
 * changes something names its audit action (`audit`: recorded once it answered, src/trust/audit.ts).
 *
 * They answer as keyguard's admin router does (the `keyguard` wire style: `detail` in every error,
 * 422 for invalid input, 400 for a duplicate, 403 for an admin key not accepted); an admin key's
 * calls here are not counted as its usage, and its refusals count in the admin API's own lockout
 * bucket (a mistyped admin key never locks a gateway's address out of `/forward-auth`).
 */

import type { CallerDecl } from "../http/mod.ts";
import type { AppRoute, Capability } from "../trust/mod.ts";
import { getAudit } from "./audit_route.ts";
import * as clients from "./clients.ts";
import * as h from "./handlers.ts";

const ADMIN: CallerDecl = {
  accepts: ["api_key", "account"],
  anonymous: "never",
  lockoutBucket: "admin",
  counted: false,
};

function _route(
  method: AppRoute["method"],
  template: string,
  needs: Capability,
  handle: AppRoute["handle"],
  body: AppRoute["body"] = "none",
  audit?: AppRoute["audit"],
): AppRoute {
  return {
    method,
    template,
    caller: ADMIN,
    needs,
    body,
    style: "keyguard",
    handle,
    ...(audit === undefined ? {} : { audit }),
  };
}

/** The routes of this feature. */
export const ADMIN_ROUTES: readonly AppRoute[] = [
  _route("GET", "/admin/orgs", "orgs.manage", h.getOrgs),
  _route("POST", "/admin/orgs", "orgs.manage", h.postOrg, "json", {
    action: "org.created",
    target: "name",
    org: "name",
  }),
  _route(
    "POST",
    "/admin/orgs/{name}/suspend",
    "orgs.manage",
    h.orgStatusRoute("suspended"),
    "none",
    {
      action: "org.suspended",
      target: "name",
      org: "name",
    },
  ),
  _route("POST", "/admin/orgs/{name}/resume", "orgs.manage", h.orgStatusRoute("active"), "none", {
    action: "org.resumed",
    target: "name",
    org: "name",
  }),
  _route("GET", "/admin/keys", "keys.manage", h.getKeys),
  _route("POST", "/admin/keys", "keys.manage", h.postKey, "json", {
    action: "key.created",
    org: "org_name",
  }),
  _route("GET", "/admin/keys/{id}", "keys.manage", h.getKey),
  _route("DELETE", "/admin/keys/{id}", "keys.manage", h.deleteKey, "none", {
    action: "key.revoked",
    target: "id",
  }),
  _route("POST", "/admin/keys/{id}/roll", "keys.manage", h.postRoll, "json", {
    action: "key.rolled",
    target: "id",
  }),
  _route("GET", "/admin/stats", "stats.read", h.getStats),
  _route("GET", "/admin/usage", "usage.read", h.getUsage),
  _route("GET", "/admin/blocks", "blocks.manage", h.getBlocks),
  _route("POST", "/admin/blocks", "blocks.manage", h.postBlock, "json", {
    action: "block.created",
    target: "value",
  }),
  _route("DELETE", "/admin/blocks/{kind}/{value}", "blocks.manage", h.deleteBlock, "none", {
    action: "block.removed",
    target: "value",
  }),
  // Sign-in clients kept in the store (issue 24); the config's are listed, read-only.
  _route("GET", "/admin/clients", "clients.manage", clients.getClients),
  _route("POST", "/admin/clients", "clients.manage", clients.postClient, "json", {
    action: "client.created",
    target: "id",
  }),
  _route("GET", "/admin/clients/{id}", "clients.manage", clients.getClient),
  _route("PUT", "/admin/clients/{id}", "clients.manage", clients.putClient, "json", {
    action: "client.updated",
    target: "id",
  }),
  _route("DELETE", "/admin/clients/{id}", "clients.manage", clients.deleteClient, "none", {
    action: "client.deleted",
    target: "id",
  }),
  _route("GET", "/admin/audit", "audit.read", getAudit),
];
