/**
 * `GET /forward-auth`: the sub-request gateways send before letting a request through (nginx
 * `auth_request`, Traefik ForwardAuth, Caddy `forward_auth`, Envoy HTTP ext_authz). Two modes,
 * each its own route declaration:
 *
 * - the key check (no `limit` in the query): the key comes in `X-API-Key` or
 *   `Authorization: Bearer` and is checked by the one authentication step. Required scopes: the
 *   operator's `?scope=` in the gateway's URL and the `X-Required-Scope` header (which a gateway
 *   may set) BOTH apply: the key must hold every one. A client behind a gateway that forwards its
 *   headers can therefore only add a requirement, never replace the operator's (issue 19 finding
 *   3). 200 with `X-Auth-Subject` (the key id), `X-Auth-Key-Id`, `X-Auth-Org`, `X-Auth-Org-Id`,
 *   `X-Auth-Key-Label`, `X-Auth-Scopes` (space-separated) and the rate-limit headers, for the
 *   gateway to copy upstream (what keyguard's middleware hands its app in `request.state.api_key`);
 *   401 for a missing or unusable key (one answer for every reason: unknown, revoked, expired,
 *   suspended); 403 for a missing scope or a block; 429 with `Retry-After` when limited or over
 *   quota; 503 when the store cannot answer for a key it has not cached.
 * - the route limit (`?limit=NAME`, src/gateway/limit_mode.ts): no key; a per-address limit of
 *   the application's own route.
 *
 * Errors carry keyguard's `detail` beside `error` and `message` (the `keyguard_middleware` wire
 * style): the statuses are already those of keyguard's middleware.
 */

import { KeypebbleError } from "../errors.ts";
import { admissionHeaders, type AppRoute, type Ctx } from "../trust/mod.ts";
import { headerText } from "./header_value.ts";
import { LIMIT_ROUTES } from "./limit_mode.ts";

/** Handle `GET /forward-auth` (the caller is an API key). */
export function getForwardAuth(ctx: Ctx): Response {
  const caller = ctx.caller;
  if (caller === null || caller.kind !== "api_key") {
    throw KeypebbleError.answer("unauthorized", "An API key is required");
  }
  const { key } = caller;
  for (const scope of _required(ctx)) {
    if (!key.scopes.includes(scope)) {
      throw KeypebbleError.answer(
        "insufficient_scope",
        `The API key lacks the required scope ${JSON.stringify(scope.slice(0, 128))}`,
      );
    }
  }
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    "x-auth-subject": key.id,
    "x-auth-key-id": key.id,
    // Names and labels may be any printable text: percent-encoded where a header needs it.
    "x-auth-org": headerText(key.orgName),
    "x-auth-org-id": key.orgId,
    "x-auth-key-label": headerText(key.label),
    "x-auth-scopes": key.scopes.join(" "),
  };
  // Written into the one object: no spread, no second object (this answer is the hot path).
  if (caller.admission !== undefined) admissionHeaders(caller.admission, headers);
  return new Response(null, { status: 200, headers });
}

/** Every scope required, from the query and the header (each may list several). */
function _required(ctx: Ctx): string[] {
  const out: string[] = [];
  const add = (v: string | null) => {
    if (v === null) return;
    if (v === "" || v.length > 1024) {
      throw KeypebbleError.answer("invalid_scope", "The required scope is not a valid scope");
    }
    for (const s of v.split(" ")) {
      // deno-lint-ignore no-control-regex
      if (s === "" || s.length > 128 || /[\x00-\x20\x7f]/.test(s)) {
        throw KeypebbleError.answer("invalid_scope", "The required scope is not a valid scope");
      }
      out.push(s);
    }
  };
  // A gateway URL without a query asks nothing of it (and no query object is made).
  if (ctx.req.url.includes("?")) { for (const v of ctx.query.getAll("scope")) add(v); }
  add(ctx.req.headers.get("x-required-scope"));
  return out;
}

/** The routes of this feature. */
export const GATEWAY_ROUTES: readonly AppRoute[] = [
  {
    method: "GET",
    template: "/forward-auth",
    caller: { accepts: ["api_key"], anonymous: "never" },
    body: "none",
    style: "keyguard_middleware",
    reads: ["x-required-scope"],
    handle: getForwardAuth,
  },
  ...LIMIT_ROUTES,
];
