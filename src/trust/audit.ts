/**
 * The server's two ways into the audit trail (src/audit/), each one place:
 *
 * - tokens: {@link issuedBy} is the recorder every route passes to `mint()` (which requires one),
 *   so every token signed for an HTTP request is counted in `keypebble_tokens_issued` and recorded
 *   as `token.issued` with its kind, `jti`, subject, audience, granted scope or access, the actor
 *   (the caller, or the principal a grant in the body authenticated) and the client address;
 * - changes: routes declare their action (`audit:` in the route table) and {@link settleAudit},
 *   run by the dispatcher's settle hook after the route answered, records it with the target and
 *   organisation the declaration and the handler's note ({@link noteAudit}) give, and the
 *   outcome: `success`, or the refusal's code when an authenticated caller was refused (403, or
 *   404 for what is outside its reach), or the failure's code when the handler had noted a change
 *   and then failed (503: the change may have happened). Anonymous refusals and bad input are not
 *   recorded (the access log has them): they would let anyone fill the trail.
 */

import { actorOf, type AuditActor, tokenEvent } from "../audit/mod.ts";
import type { KeypebbleError } from "../errors.ts";
import type { AuditNote } from "../http/mod.ts";
import type { IssueRecorder, Minted } from "../profiles/mint.ts";
import type { ProfileName } from "../profiles/table.ts";
import type { AppRoute, Ctx } from "./services.ts";

/**
 * Count and record one token issued for the request `ctx`. `actor` is who asked when the route's
 * caller is not (a grant's user, an account that logged in); default the caller.
 */
export function noteIssued(ctx: Ctx, kind: ProfileName, minted: Minted, actor?: AuditActor): void {
  ctx.services.metrics.tokensIssued.labels(kind, minted.alg).inc();
  ctx.services.audit.record(
    tokenEvent(kind, minted, actor ?? actorOf(ctx.caller), ctx.client.address),
  );
}

/**
 * Record a token that is not minted (an opaque refresh token of an account): its kind, for whom,
 * and what identifies it without being it (its family); the organisation is the actor's.
 */
export function noteOpaqueIssued(
  ctx: Ctx,
  t: { kind: string; actor: AuditActor; target: string; details: Record<string, unknown> },
): void {
  ctx.services.audit.record({
    action: "token.issued",
    actor: t.actor,
    target: t.target,
    client: ctx.client.address,
    kind: t.kind,
    details: t.details,
  });
}

/** The recorder to pass to `mint()` for a request (see {@link noteIssued}). */
export function issuedBy(ctx: Ctx, actor?: AuditActor): IssueRecorder {
  return (kind, minted) => noteIssued(ctx, kind, minted, actor);
}

/** Add what a handler learned to its route's audit event (later notes win). */
export function noteAudit(ctx: Ctx, note: AuditNote): void {
  ctx.audit = { ...ctx.audit, ...note };
}

/** A path parameter, else a string member of the JSON body, named `name`. */
function _field(ctx: Ctx, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const p = ctx.params[name];
  if (p !== undefined) return p;
  const body = ctx.jsonValue !== null && typeof ctx.jsonValue === "object" &&
      !Array.isArray(ctx.jsonValue)
    ? ctx.jsonValue as Record<string, unknown>
    : ctx.json;
  const v = body[name];
  return typeof v === "string" ? v.slice(0, 256) : undefined;
}

/** Record the audit event of a route that declares one, once it has answered. */
export function settleAudit(
  ctx: Ctx,
  decl: AppRoute,
  status: number,
  error?: KeypebbleError,
): void {
  const a = decl.audit;
  if (a === undefined) return;
  const note = ctx.audit;
  if (note?.skip === true) return;
  let outcome: string;
  if (status < 400) outcome = "success";
  else if (ctx.caller !== null && (status === 403 || status === 404)) {
    outcome = error?.code ?? (status === 403 ? "forbidden" : "not_found");
  } else if (status >= 500 && note !== undefined) {
    // The handler got as far as noting what it changed, then failed (the store went away): the
    // change may have happened, so the attempt is recorded with the failure's code.
    outcome = error?.code ?? "internal_error";
  } else return;
  const actor = actorOf(ctx.caller);
  const org = note?.org ?? _field(ctx, a.org);
  // A token's kind and jti noted as details are the event's own fields.
  const { kind, jti, ...details } = note?.details ?? {};
  ctx.services.audit.record({
    action: note?.action ?? (typeof a.action === "string" ? a.action : a.action(ctx)),
    actor,
    target: note?.target ?? _field(ctx, a.target) ?? "",
    outcome,
    // A refusal concerns the caller's organisation: what it asked about may be outside its reach.
    ...(org !== undefined && (status < 400 || status >= 500) ? { org } : {}),
    client: ctx.client.address,
    ...(typeof kind === "string" ? { kind } : {}),
    ...(typeof jti === "string" ? { jti } : {}),
    ...(Object.keys(details).length === 0 ? {} : { details }),
  });
}
