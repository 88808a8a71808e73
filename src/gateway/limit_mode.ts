/**
 * Per-address limits of an application's own routes, for gateways (issue 22): what keyguard's
 * `rate_limit_by_ip` does inside a FastAPI app (a `/login` or `/signup` limited per address, with
 * a lockout), done by the gateway in front of any app.
 *
 * - `GET /forward-auth?limit=NAME`: no key. Applies `limits.routes.NAME` to the one client
 *   address (behind a trusted gateway, the address it names in `trusted_proxy_header`): 200 when
 *   the call may go through, 429 with `Retry-After` when over the limit or locked out, 403 for a
 *   blocked address (the admission step), 404 for a name that is not configured, 400 when the
 *   gateway names no client or the request also asks for a key check (`scope`, `X-Required-Scope`).
 *   Its own route declaration (a query mode of `GET /forward-auth`) is the only one that lets an
 *   anonymous caller in: the key check's declaration still needs a key, and this mode never says
 *   anything about a key (its 200 carries no identity).
 * - `POST /forward-auth/failures?limit=NAME` `{"address"}`: the application says an attempt from
 *   `address` failed (a wrong password); `lock_after` failures within `window_seconds` lock the
 *   address out of the limit for `lock_seconds`. Needs a key with the `limits.report` scope (which
 *   only a root principal grants) or a root principal: limits are the operator's, and whoever
 *   reports can lock an address out of that route.
 *
 * nginx's `auth_request` cannot pass the application's answer back, hence the report; without
 * one, calls refused by the limit still count as failures (keyguard's `lockout=`).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { parseCidr } from "../identity/mod.ts";
import {
  type AppRoute,
  checkRouteLimit,
  type Ctx,
  limitedAddress,
  namedRouteLimit,
  recordRouteFailure,
} from "../trust/mod.ts";

/** `GET /forward-auth?limit=NAME`. */
export async function getRouteLimit(ctx: Ctx): Promise<Response> {
  const { name, limit } = namedRouteLimit(ctx);
  // A gateway that let its client's query through to this URL would let the client choose this
  // mode where the operator asked for a key check: a request naming both is refused (and the
  // gateway refuses the client's request). Never forward the client's query to /forward-auth.
  if (ctx.query.has("scope") || ctx.req.headers.has("x-required-scope")) {
    throw KeypebbleError.answer(
      "invalid_request",
      '"?limit=" checks an address, not a key: it takes no "scope" nor "X-Required-Scope"',
    );
  }
  await checkRouteLimit(ctx, name, limit, limitedAddress(ctx));
  return new Response(null, {
    status: 200,
    headers: { "cache-control": "no-store", "x-auth-limit": name },
  });
}

/** `POST /forward-auth/failures?limit=NAME` `{"address"}`. */
export async function postRouteFailure(ctx: Ctx): Promise<Response> {
  const { name, limit } = namedRouteLimit(ctx);
  const address = _address(ctx.json.address);
  const r = await recordRouteFailure(ctx, name, limit, address);
  return json({
    limit: name,
    address,
    failures: r.failures,
    lock_after: limit.lockAfter ?? null,
    locked: r.locked,
    retry_after_seconds: r.retryAfterSeconds,
  });
}

/** The reported address: one IPv4 or IPv6 address, as the gateway names its clients. */
function _address(v: unknown): string {
  const bad = () =>
    KeypebbleError.answer(
      "invalid_request",
      '"address" must be the client\'s IPv4 or IPv6 address, as the gateway names it',
    );
  if (typeof v !== "string" || v.length > 64 || v.includes("/")) throw bad();
  try {
    parseCidr(v);
  } catch {
    throw bad();
  }
  return v;
}

/** The route-limit routes (a mode of `GET /forward-auth`, and the failure report). */
export const LIMIT_ROUTES: readonly AppRoute[] = [
  {
    method: "GET",
    template: "/forward-auth",
    queryMode: "limit",
    caller: { accepts: [], anonymous: "always" },
    body: "none",
    style: "keyguard_middleware",
    handle: getRouteLimit,
  },
  {
    method: "POST",
    template: "/forward-auth/failures",
    caller: { accepts: ["api_key", "account"], anonymous: "never" },
    needs: "limits.report",
    body: "json",
    style: "keyguard_middleware",
    handle: postRouteFailure,
  },
];
