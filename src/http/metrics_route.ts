/** `GET /metrics`: OpenMetrics 1.0 when the client asks for it, Prometheus text 0.0.4 otherwise. */

import {
  negotiateMetricsFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from "../metrics/mod.ts";
import type { RequestContext } from "./context.ts";

/** Handle `GET /metrics`. */
export function getMetrics(ctx: RequestContext): Response {
  const registry = ctx.services.metrics.registry;
  const open = negotiateMetricsFormat(ctx.req.headers.get("accept")) === "openmetrics";
  return new Response(open ? registry.renderOpenMetrics() : registry.renderPrometheus(), {
    headers: {
      "content-type": open ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
      "cache-control": "no-store",
    },
  });
}
