/**
 * The audit trail: one `record()` writes an event to the log stream at once (a JSON line with
 * `"event":"audit"`, whatever `log_level` says) and hands it to the store's writer when there is
 * a store (src/audit/writer.ts: batched, off the request path).
 */

import type { Logger } from "../log/mod.ts";
import type { AuditRecord } from "../store/mod.ts";
import { type AuditInput, auditJson } from "./event.ts";
import { uuid7 } from "./uuid7.ts";

/** Where recorded events go besides the log (the store's batched writer). */
export interface AuditSink {
  /** Take one event; never waits and never throws (a full queue counts it as dropped). */
  add(record: AuditRecord): void;
}

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  readonly logger: Logger;
  /** The store's writer; none: the log stream only. */
  readonly sink?: AuditSink;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /**
   * Whether `token.issued` events go to the sink too (default true; `store.audit_tokens`); when
   * false they are in the log stream only, and only changes reach the store.
   */
  readonly storeTokens?: boolean;
}

/** The audit trail of a process (the server's services, or one CLI command). */
export class AuditTrail {
  readonly #logger: Logger;
  readonly #sink: AuditSink | undefined;
  readonly #now: () => number;
  readonly #storeTokens: boolean;

  constructor(options: AuditTrailOptions) {
    this.#logger = options.logger;
    this.#sink = options.sink;
    this.#now = options.now ?? (() => Date.now());
    this.#storeTokens = options.storeTokens ?? true;
  }

  /** Whether events also go to a store. */
  get stored(): boolean {
    return this.#sink !== undefined;
  }

  /** Record one event: the log line now, the store's row with the next batch. */
  record(input: AuditInput): AuditRecord {
    const at = this.#now();
    const r: AuditRecord = {
      id: uuid7(at),
      at,
      action: input.action,
      outcome: input.outcome ?? "success",
      actorKind: input.actor.kind,
      actor: input.actor.id,
      target: input.target,
      org: input.org ?? input.actor.org ?? null,
      client: input.client ?? null,
      kind: input.kind ?? null,
      jti: input.jti ?? null,
      details: input.details ?? {},
    };
    this.#logger.audit(auditJson(r, false));
    if (this.#storeTokens || r.action !== "token.issued") this.#sink?.add(r);
    return r;
  }
}
