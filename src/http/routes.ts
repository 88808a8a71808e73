/**
 * The route table: one declaration per method and path saying which token kind it mints (see
 * `src/profiles/table.ts`), how the caller is authenticated, the body it accepts (type and size)
 * and the authorisation step that runs before the handler. The handler receives a request that is
 * already authenticated and authorised (`ProfileRequest`); unknown paths and methods are answered
 * here (404, 405 with `Allow`) and never reach a profile.
 *
 * Matching yields the template (the only `route` label metrics ever see) and path parameters.
 */

import { authorizeAuth, postAuth } from "../profiles/auth.ts";
import { authorizeCommand, postCommandToken } from "../profiles/command.ts";
import type { ProfileRequest, Reply } from "../profiles/context.ts";
import { authorizeServiceAccountToken, postServiceAccountToken } from "../profiles/ksa.ts";
import { authorizeRegistryGet, getRegistryToken, postRegistryToken } from "../profiles/registry.ts";
import type { ProfileName } from "../profiles/table.ts";
import type { RequestContext } from "./context.ts";
import { getJwks, getOpenIdConfiguration } from "./discovery_route.ts";
import { getHealth } from "./health_route.ts";
import { getMetrics } from "./metrics_route.ts";
import { getOpenApi } from "./openapi.ts";
import { authorizeSvid, postSvid } from "../profiles/svid.ts";
import { getSpiffeBundle, getSpiffileBundle, postSvidVerify } from "./spiffe_route.ts";
import * as admin from "../admin/mod.ts";
import { getForwardAuth } from "../apikeys/forward_auth.ts";
import { postOAuthToken } from "../oauth/token_endpoint.ts";
import * as pico from "../accounts/pico_routes.ts";
import { picoRoute } from "../accounts/pico_errors.ts";
import * as groups from "../accounts/group_routes.ts";
import * as serviceTokens from "../accounts/service_tokens.ts";
import { postIntrospect, postRevoke } from "../oauth/introspect_revoke.ts";

/**
 * How a route authenticates its caller.
 * - `none`: no identity is looked at (probes, published keys);
 * - `profile`: what the profile's caller rule says (anonymous allowed unless
 *   `require_authentication.<kind>` is on, or always required);
 * - `grant`: the caller proves who they are inside the body (OAuth2 grants).
 */
export type AuthMode = "none" | "profile" | "grant";

/** The body a route accepts; its size is always capped by `limits.max_body_bytes`. */
export type BodyType = "none" | "json" | "form";

/** A route that mints a token: everything but the handler is declaration. */
export interface TokenRoute {
  readonly method: "GET" | "POST";
  readonly template: string;
  readonly profile: ProfileName;
  readonly auth: AuthMode;
  readonly body: BodyType;
  /** Runs after authentication and body parsing; returns the token's subject (or throws). */
  readonly authorize?: (req: ProfileRequest) => string | undefined;
  readonly handle: (req: ProfileRequest) => Promise<Reply>;
}

/**
 * A route that mints no token (health, keys, metrics, the SPIFFE bundles and verifier): it reads
 * the request context.
 */
export interface PlainRoute {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly template: string;
  readonly handle: (ctx: RequestContext) => Response | Promise<Response>;
}

/** One entry of the table. */
export type RouteDecl = TokenRoute | PlainRoute;

const SA = "namespaces/{ns}/serviceaccounts/{name}/token";

/** Every route Keypebble serves, by method and path. */
export const ROUTE_TABLE: readonly RouteDecl[] = [
  { method: "GET", template: "/healthz", handle: getHealth },
  { method: "GET", template: "/readyz", handle: getHealth },
  {
    method: "POST",
    template: "/auth",
    profile: "auth",
    auth: "profile",
    body: "json",
    authorize: authorizeAuth,
    handle: postAuth,
  },
  {
    method: "GET",
    template: "/v2/token",
    profile: "registry",
    auth: "profile",
    body: "none",
    authorize: authorizeRegistryGet,
    handle: getRegistryToken,
  },
  {
    method: "POST",
    template: "/v2/token",
    profile: "registry",
    auth: "grant",
    body: "form",
    handle: postRegistryToken,
  },
  {
    method: "POST",
    template: "/command/token",
    profile: "command",
    auth: "profile",
    body: "json",
    authorize: authorizeCommand,
    handle: postCommandToken,
  },
  ...[`/api/v1/${SA}`, `/apis/authentication.k8s.io/v1/${SA}`].map((template): TokenRoute => ({
    method: "POST",
    template,
    profile: "kubernetes",
    auth: "profile",
    body: "json",
    authorize: authorizeServiceAccountToken,
    handle: postServiceAccountToken,
  })),
  { method: "GET", template: "/.well-known/jwks.json", handle: getJwks },
  { method: "GET", template: "/.well-known/openid-configuration", handle: getOpenIdConfiguration },
  { method: "GET", template: "/metrics", handle: getMetrics },
  {
    method: "POST",
    template: "/spiffe/v1/svid",
    profile: "svid",
    auth: "profile",
    body: "json",
    authorize: authorizeSvid,
    handle: postSvid,
  },
  { method: "GET", template: "/spiffe/v1/bundle", handle: getSpiffeBundle },
  { method: "GET", template: "/spiffe/v1/spiffile-bundle", handle: getSpiffileBundle },
  { method: "POST", template: "/spiffe/v1/verify", handle: postSvidVerify },
  { method: "GET", template: "/openapi.json", handle: getOpenApi },
  // API keys, the OAuth2 token endpoint and the admin API (issue 12)
  { method: "GET", template: "/forward-auth", handle: getForwardAuth },
  { method: "POST", template: "/oauth2/token", handle: postOAuthToken },
  { method: "GET", template: "/admin/orgs", handle: admin.getOrgs },
  { method: "POST", template: "/admin/orgs", handle: admin.postOrg },
  {
    method: "POST",
    template: "/admin/orgs/{name}/suspend",
    handle: admin.orgStatusRoute("suspended"),
  },
  { method: "POST", template: "/admin/orgs/{name}/resume", handle: admin.orgStatusRoute("active") },
  { method: "GET", template: "/admin/keys", handle: admin.getKeys },
  { method: "POST", template: "/admin/keys", handle: admin.postKey },
  { method: "GET", template: "/admin/keys/{id}", handle: admin.getKey },
  { method: "DELETE", template: "/admin/keys/{id}", handle: admin.deleteKey },
  { method: "POST", template: "/admin/keys/{id}/roll", handle: admin.postRoll },
  { method: "GET", template: "/admin/stats", handle: admin.getStats },
  { method: "GET", template: "/admin/blocks", handle: admin.getBlocks },
  { method: "POST", template: "/admin/blocks", handle: admin.postBlock },
  { method: "DELETE", template: "/admin/blocks/{kind}/{value}", handle: admin.deleteBlock },
  // Accounts with pico-auth's API, introspection and revocation (issue 13). The account routes
  // authenticate with an account's bearer token and check the role table themselves
  // (src/accounts/roles.ts); tokens are minted by the `account` profile.
  { method: "POST", template: "/oauth2/introspect", handle: postIntrospect },
  { method: "POST", template: "/oauth2/revoke", handle: postRevoke },
  { method: "POST", template: "/api/v1/auth/register", handle: picoRoute(pico.postRegister) },
  { method: "POST", template: "/api/v1/auth/login", handle: picoRoute(pico.postLogin) },
  { method: "POST", template: "/api/v1/auth/refresh", handle: picoRoute(pico.postRefresh) },
  { method: "GET", template: "/api/v1/auth/me", handle: picoRoute(pico.getMe) },
  { method: "POST", template: "/api/v1/auth/me/password", handle: picoRoute(pico.postMyPassword) },
  { method: "GET", template: "/api/v1/auth/jwks", handle: picoRoute(pico.getAuthJwks) },
  { method: "GET", template: "/api/v1/auth/users", handle: picoRoute(pico.getUsers) },
  { method: "POST", template: "/api/v1/auth/users", handle: picoRoute(pico.postUser) },
  {
    method: "GET",
    template: "/api/v1/auth/users/registration",
    handle: picoRoute(pico.getRegistration),
  },
  {
    method: "PUT",
    template: "/api/v1/auth/users/registration",
    handle: picoRoute(pico.putRegistration),
  },
  { method: "PUT", template: "/api/v1/auth/users/{id}/role", handle: picoRoute(pico.putUserRole) },
  {
    method: "PUT",
    template: "/api/v1/auth/users/{id}/password",
    handle: picoRoute(pico.putUserPassword),
  },
  {
    method: "GET",
    template: "/api/v1/auth/service-tokens",
    handle: picoRoute(serviceTokens.getServiceTokens),
  },
  {
    method: "POST",
    template: "/api/v1/auth/service-tokens",
    handle: picoRoute(serviceTokens.postServiceToken),
  },
  {
    method: "POST",
    template: "/api/v1/auth/service-tokens/validate",
    handle: picoRoute(serviceTokens.postValidateServiceToken),
  },
  {
    method: "DELETE",
    template: "/api/v1/auth/service-tokens/{name}",
    handle: picoRoute(serviceTokens.deleteServiceToken),
  },
  { method: "GET", template: "/api/v1/groups", handle: picoRoute(groups.getGroups) },
  { method: "POST", template: "/api/v1/groups", handle: picoRoute(groups.postGroup) },
  { method: "GET", template: "/api/v1/groups/{id}", handle: picoRoute(groups.getGroup) },
  { method: "PUT", template: "/api/v1/groups/{id}", handle: picoRoute(groups.putGroup) },
  { method: "DELETE", template: "/api/v1/groups/{id}", handle: picoRoute(groups.deleteGroup) },
  {
    method: "POST",
    template: "/api/v1/groups/{id}/members",
    handle: picoRoute(groups.postGroupMember),
  },
  {
    method: "DELETE",
    template: "/api/v1/groups/{id}/members/{user_id}",
    handle: picoRoute(groups.deleteGroupMember),
  },
];

/** A path template and the declarations for each of its methods. */
export interface Route {
  readonly template: string;
  readonly methods: Readonly<Record<string, RouteDecl>>;
  /** Template segments; `{x}` is a parameter matching one non-empty segment. */
  readonly segments: readonly string[];
}

function _group(table: readonly RouteDecl[]): Route[] {
  const byTemplate = new Map<string, Record<string, RouteDecl>>();
  for (const d of table) {
    const m = byTemplate.get(d.template) ?? {};
    m[d.method] = d;
    byTemplate.set(d.template, m);
  }
  return [...byTemplate].map(([template, methods]) => ({
    template,
    methods,
    segments: template.split("/").slice(1),
  }));
}

/** The table grouped by path. */
export const ROUTES: readonly Route[] = _group(ROUTE_TABLE);

/** Paths without parameters, each with its one match (no parameters), made once. */
const EXACT = new Map(
  ROUTES.filter((r) => !r.template.includes("{")).map((r) => [
    r.template,
    { route: r, params: Object.freeze({}) as Record<string, string> },
  ]),
);
const PARAMETRISED = ROUTES.filter((r) => r.template.includes("{"));

/**
 * Find the route for a raw path; `undefined` when none matches. Paths are matched as sent, never
 * normalised: a dot segment (`/./auth`, `/v2/%2e%2e/auth`), an empty segment or an encoded
 * slash never reaches a route, so what a proxy in front matched is what Keypebble serves.
 */
export function matchRoute(
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  const exact = EXACT.get(path);
  if (exact !== undefined) return exact;
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
            const v = decodeURIComponent(parts[i]);
            if (v === "." || v === ".." || v.includes("/")) ok = false;
            else params[seg.slice(1, -1)] = v;
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

/** The raw path of a request URL as the client sent it (before WHATWG URL dot removal). */
export function rawPath(requestUrl: string): string {
  // `new URL()` resolves `/./auth` to `/auth` and `/v2/%2e%2e/auth` to `/auth`; the route table
  // must see what was sent. Take the path from the text: after the authority, before ? or #.
  // scheme "://" authority, then the path up to "?" or "#" (RFC 3986 §3); "/" when empty.
  const sep = requestUrl.indexOf("://");
  if (sep < 1 || !SCHEME.test(requestUrl.slice(0, sep))) return "/";
  const n = requestUrl.length;
  let start = sep + 3;
  for (; start < n; start++) {
    const c = requestUrl.charCodeAt(start);
    if (c === 47 || c === 63 || c === 35) break; // "/", "?", "#"
  }
  let end = start;
  for (; end < n; end++) {
    const c = requestUrl.charCodeAt(end);
    if (c === 63 || c === 35) break;
  }
  return end === start ? "/" : requestUrl.slice(start, end);
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/;
