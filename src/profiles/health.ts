/** `GET /healthz` and `GET /readyz`: liveness plus the config generation and last reload. */

import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";

/** Handle `GET /healthz` (and `/readyz`, which answers the same once a runtime is loaded). */
export function getHealth(ctx: RequestContext): Response {
  const reload = ctx.services.reloadStatus();
  return json({
    status: "ok",
    generation: ctx.rt.generation,
    last_reload: reload,
    version: ctx.services.version,
  });
}
