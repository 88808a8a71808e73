/**
 * The audit trail (issue 20): every token issued and every change made through the admin API,
 * the account API and the CLI, as events in the log stream (`"event":"audit"`) and, with a store,
 * in its `audit_events` table (batched, kept `store.audit_retention_days`), read with
 * `GET /admin/audit` and `keypebble audit`.
 *
 * Where events are made: `mint()` takes a recorder and calls it for every token it signs (the
 * server's records `token.issued` through `src/trust/audit.ts`, the CLI's through its own); route
 * declarations name the action of every route that changes something (`audit:`), and the
 * dispatcher's settle hook records it with the route's target and outcome; CLI commands record
 * through the same trail.
 *
 * @module
 */

export {
  type ActorKind,
  actorOf,
  ANONYMOUS,
  AUDIT_ACTIONS,
  type AuditActor,
  type AuditInput,
  auditJson,
  tokenEvent,
} from "./event.ts";
export { type AuditSink, AuditTrail, type AuditTrailOptions } from "./trail.ts";
export { AuditLostError, AuditWriter, type AuditWriterOptions } from "./writer.ts";
export { AUDIT_FILTERS, nextCursor, parseAuditQuery } from "./query.ts";
