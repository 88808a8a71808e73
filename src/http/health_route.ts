/** `GET /healthz` and `GET /readyz`: liveness plus the config generation and last reload. */

import type { ReloadStatus, RequestContext } from "./context.ts";
import { jsonText } from "./responses.ts";

/** Handle `GET /healthz` (and `/readyz`, which answers the same once a runtime is loaded). */
export function getHealth(ctx: RequestContext): Response {
  const status = ctx.services.reloadStatus();
  const { generation } = ctx.rt;
  const { version } = ctx.services;
  // The body changes only with a reload: serialised once per reload status, not per probe.
  const last = _last;
  if (
    last !== undefined && last.status === status && last.generation === generation &&
    last.version === version
  ) {
    return jsonText(last.text);
  }
  const text = JSON.stringify({
    status: "ok",
    generation,
    last_reload: publicReloadStatus(status),
    version,
  });
  _last = { status, generation, version, text };
  return jsonText(text);
}

/** The last /healthz body and what it was made from (a reload replaces the status object). */
let _last:
  | { status: ReloadStatus; generation: number; version: string; text: string }
  | undefined;

/**
 * What anyone may see of the last reload: the outcome, its time, and for a failure a code and
 * the config field named in the error, never the message (which names files and could quote a
 * value) and never a path. The full message goes to the operator's log only.
 */
export function publicReloadStatus(status: ReloadStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { outcome: status.outcome };
  if (status.at !== undefined) out.at = status.at;
  if (status.outcome === "failure") {
    out.error = "reload_failed";
    // Messages read "<file>: <field>: <problem>"; keep the field when it looks like one.
    const parts = (status.error ?? "").split(": ");
    const field = parts.length >= 3 ? parts[1] : undefined;
    if (field !== undefined && /^[A-Za-z0-9_.\[\]-]{1,64}$/.test(field)) out.field = field;
  }
  return out;
}
