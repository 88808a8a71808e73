/**
 * The route table: path templates, their methods, and the function for each. Matching yields
 * the template (the only `route` label metrics ever see) and the path parameters.
 */

import { getJwks, getOpenIdConfiguration } from "../profiles/discovery.ts";
import { getHealth } from "../profiles/health.ts";
import { postAuth } from "../profiles/auth.ts";
import { postCommandToken } from "../profiles/command.ts";
import { postServiceAccountToken } from "../profiles/ksa.ts";
import { getRegistryToken, postRegistryToken } from "../profiles/registry.ts";
import type { RequestContext } from "./context.ts";
import { getMetrics } from "./metrics_route.ts";
import * as admin from "../admin/mod.ts";
import { getForwardAuth } from "../apikeys/forward_auth.ts";
import { postOAuthToken } from "../oauth/token_endpoint.ts";
import * as pico from "../accounts/pico_routes.ts";
import * as groups from "../accounts/group_routes.ts";
import * as serviceTokens from "../accounts/service_tokens.ts";
import { postIntrospect, postRevoke } from "../oauth/introspect_revoke.ts";

/** A route's function. */
export type RouteFn = (ctx: RequestContext) => Promise<Response> | Response;

/** One route: a template and its methods. */
export interface Route {
  readonly template: string;
  readonly methods: Readonly<Record<string, RouteFn>>;
  /** Template segments; `{x}` is a parameter matching one non-empty segment. */
  readonly segments: readonly string[];
}

function _route(template: string, methods: Record<string, RouteFn>): Route {
  return { template, methods, segments: template.split("/").slice(1) };
}

const SA_SUFFIX = "namespaces/{ns}/serviceaccounts/{name}/token";

/** Every route Keypebble serves. */
export const ROUTES: readonly Route[] = [
  _route("/healthz", { GET: getHealth }),
  _route("/readyz", { GET: getHealth }),
  _route("/auth", { POST: postAuth }),
  _route("/v2/token", { GET: getRegistryToken, POST: postRegistryToken }),
  _route("/command/token", { POST: postCommandToken }),
  _route(`/api/v1/${SA_SUFFIX}`, { POST: postServiceAccountToken }),
  _route(`/apis/authentication.k8s.io/v1/${SA_SUFFIX}`, { POST: postServiceAccountToken }),
  _route("/.well-known/jwks.json", { GET: getJwks }),
  _route("/.well-known/openid-configuration", { GET: getOpenIdConfiguration }),
  _route("/metrics", { GET: getMetrics }),
  // API keys, the OAuth2 token endpoint and the admin API (issue 12)
  _route("/forward-auth", { GET: getForwardAuth }),
  _route("/oauth2/token", { POST: postOAuthToken }),
  _route("/admin/orgs", { GET: admin.getOrgs, POST: admin.postOrg }),
  _route("/admin/orgs/{name}/suspend", { POST: admin.orgStatusRoute("suspended") }),
  _route("/admin/orgs/{name}/resume", { POST: admin.orgStatusRoute("active") }),
  _route("/admin/keys", { GET: admin.getKeys, POST: admin.postKey }),
  _route("/admin/keys/{id}", { GET: admin.getKey, DELETE: admin.deleteKey }),
  _route("/admin/keys/{id}/roll", { POST: admin.postRoll }),
  _route("/admin/stats", { GET: admin.getStats }),
  _route("/admin/blocks", { GET: admin.getBlocks, POST: admin.postBlock }),
  _route("/admin/blocks/{kind}/{value}", { DELETE: admin.deleteBlock }),
  // Accounts with pico-auth's API, introspection and revocation (issue 13)
  _route("/oauth2/introspect", { POST: postIntrospect }),
  _route("/oauth2/revoke", { POST: postRevoke }),
  _route("/api/v1/auth/register", { POST: pico.postRegister }),
  _route("/api/v1/auth/login", { POST: pico.postLogin }),
  _route("/api/v1/auth/refresh", { POST: pico.postRefresh }),
  _route("/api/v1/auth/me", { GET: pico.getMe }),
  _route("/api/v1/auth/me/password", { POST: pico.postMyPassword }),
  _route("/api/v1/auth/jwks", { GET: pico.getAuthJwks }),
  _route("/api/v1/auth/users", { GET: pico.getUsers, POST: pico.postUser }),
  _route("/api/v1/auth/users/registration", {
    GET: pico.getRegistration,
    PUT: pico.putRegistration,
  }),
  _route("/api/v1/auth/users/{id}/role", { PUT: pico.putUserRole }),
  _route("/api/v1/auth/users/{id}/password", { PUT: pico.putUserPassword }),
  _route("/api/v1/auth/service-tokens", {
    GET: serviceTokens.getServiceTokens,
    POST: serviceTokens.postServiceToken,
  }),
  _route("/api/v1/auth/service-tokens/validate", {
    POST: serviceTokens.postValidateServiceToken,
  }),
  _route("/api/v1/auth/service-tokens/{name}", { DELETE: serviceTokens.deleteServiceToken }),
  _route("/api/v1/groups", { GET: groups.getGroups, POST: groups.postGroup }),
  _route("/api/v1/groups/{id}", {
    GET: groups.getGroup,
    PUT: groups.putGroup,
    DELETE: groups.deleteGroup,
  }),
  _route("/api/v1/groups/{id}/members", { POST: groups.postGroupMember }),
  _route("/api/v1/groups/{id}/members/{user_id}", { DELETE: groups.deleteGroupMember }),
];

const EXACT = new Map(ROUTES.filter((r) => !r.template.includes("{")).map((r) => [r.template, r]));
const PARAMETRISED = ROUTES.filter((r) => r.template.includes("{"));

/** Find the route for a path; `undefined` when none matches. */
export function matchRoute(
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const exact = EXACT.get(path);
  if (exact !== undefined) return { route: exact, params: {} };
  const parts = path.split("/").slice(1);
  for (const route of PARAMETRISED) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i];
      if (seg.startsWith("{")) {
        if (parts[i] === "") ok = false;
        else {
          try {
            params[seg.slice(1, -1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        }
      } else if (seg !== parts[i]) ok = false;
    }
    if (ok) return { route, params };
  }
  return undefined;
}
