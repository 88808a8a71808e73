/**
 * The one route table: every route Keypebble serves, assembled from the feature folders (each
 * owns its routes and declares who may call them), plus the probes, the metrics scrape and this
 * server's OpenAPI document. Order is the order of the endpoint list in docs/endpoints.md.
 */

import { ACCOUNT_ROUTES } from "../accounts_api/routes.ts";
import { ADMIN_ROUTES } from "../admin/mod.ts";
import { CONSOLE_ROUTES } from "../console/mod.ts";
import { GATEWAY_ROUTES } from "../gateway/forward_auth.ts";
import { type CallerDecl, RouteIndex } from "../http/mod.ts";
import { getHealth } from "../http/health_route.ts";
import { getMetrics } from "../http/metrics_route.ts";
import { OAUTH_ROUTES } from "../oauth/routes.ts";
import { SIGNIN_ROUTES } from "../signin/mod.ts";
import { TOKEN_ROUTES } from "../tokens/routes.ts";
import type { AppRoute, KeypebbleServices } from "../trust/mod.ts";
import { openApiResponse } from "./openapi.ts";

const PUBLIC: CallerDecl = { accepts: [], anonymous: "always" };

function _public(template: string, handle: AppRoute["handle"]): AppRoute {
  return { method: "GET", template, caller: PUBLIC, body: "none", style: "keypebble", handle };
}

/** Every route Keypebble serves, by method and path. */
export const ROUTE_TABLE: readonly AppRoute[] = [
  _public("/healthz", getHealth),
  _public("/readyz", getHealth),
  ...TOKEN_ROUTES,
  { ..._public("/metrics", getMetrics), reads: ["accept"] },
  _public("/openapi.json", (ctx) => openApiResponse(ctx.rt, ROUTE_TABLE)),
  ...GATEWAY_ROUTES,
  ...OAUTH_ROUTES,
  ...SIGNIN_ROUTES,
  ...ACCOUNT_ROUTES,
  ...ADMIN_ROUTES,
  ...CONSOLE_ROUTES,
];

/** The table grouped by path, with its matcher. */
export const ROUTE_INDEX: RouteIndex<KeypebbleServices> = new RouteIndex(ROUTE_TABLE);

/** The table grouped by path. */
export const ROUTES = ROUTE_INDEX.routes;

/** Routes that are never admitted nor limited: probes and scrapes keep working under a flood. */
export const UNLIMITED: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);
