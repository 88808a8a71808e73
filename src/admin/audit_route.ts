/**
 * `GET /admin/audit`: the audit trail, newest first, `{"events": [...], "next_cursor"}`.
 * Filters: `since`, `until`, `actor`, `action` (exact, or `key.*`), `target`, `jti`, `outcome`,
 * `org`, `limit` (1–1000, default 100), `cursor` (src/audit/query.ts).
 *
 * Reach (capability `audit.read`): a root principal (a superadmin, an admin key of reach `all`)
 * reads every event; an org admin (the `org_admin` role, an admin key of its organisation) reads
 * its organisation's events only: asking for another `org` is 403, and events without an
 * organisation (policy users' tokens, blocks, CLI store operations) are a root's to read.
 *
 * Events queued in this process are written first, so a change is visible here at once (from
 * another worker or instance, within a second).
 */

import { auditJson, nextCursor, parseAuditQuery } from "../audit/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { type Ctx, orgLimitOf, requireKeys } from "../trust/mod.ts";

/** `GET /admin/audit`. */
export async function getAudit(ctx: Ctx): Promise<Response> {
  const svc = requireKeys(ctx);
  const limit = orgLimitOf(ctx.caller);
  const asked = ctx.query.get("org");
  if (limit !== undefined && asked !== null && asked !== "" && asked !== limit) {
    throw KeypebbleError.answer(
      "forbidden",
      "An org admin reads its own organisation's events only",
    );
  }
  const selection = parseAuditQuery((n) => ctx.query.get(n) ?? undefined, {
    nowMs: ctx.services.now(),
    ...(limit === undefined ? {} : { org: limit }),
  });
  // What this process has queued is written first: a change is visible at once.
  await svc.audit.flush().catch(() => {});
  const events = await svc.store.audit.list(selection);
  return json({
    events: events.map((e) => auditJson(e)),
    next_cursor: nextCursor(events, selection.limit),
  });
}
