/**
 * The store's side of the audit trail: events are queued in memory and written in batches (one
 * transaction a second at most), so issuing a token never waits for the store; events older than
 * `store.audit_retention_days` are deleted hourly.
 *
 * Loss bound: every event is in the log stream the moment it happens (written synchronously). The
 * store gets it within a second ({@link AuditWriterOptions.flushMs}); a process killed with
 * `kill -9` loses from the store at most the events of its last second, plus whatever was waiting
 * for a store that was failing. While the store fails, events wait (up to
 * {@link AuditWriterOptions.maxPending}; beyond that new ones are dropped from the store, counted
 * and reported). A shutdown flushes what is left, trying again, and says how many were lost when
 * it cannot (the process then exits non-zero).
 */

import { KeypebbleError } from "../errors.ts";
import type { AuditRecord, Store } from "../store/mod.ts";
import type { AuditSink } from "./trail.ts";

/** Options of {@link AuditWriter}. */
export interface AuditWriterOptions {
  readonly store: Store;
  /** Days events are kept; 0 keeps them for ever. Default 90. */
  readonly retentionDays?: number;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Most events waiting for the store; more are dropped (counted). Default 50,000. */
  readonly maxPending?: number;
  /** How often the queue is written, in milliseconds (default 1000). */
  readonly flushMs?: number;
  /** How often old events are purged, in milliseconds (default an hour). */
  readonly purgeMs?: number;
  /** Told of background failures: a failed write, events dropped, a failed purge. */
  readonly onError?: (e: unknown) => void;
}

/** A shutdown could not write every queued event. */
export class AuditLostError extends KeypebbleError {
  /** How many events are lost to the store (the log stream has them). */
  readonly lost: number;
  constructor(lost: number, message: string, cause: unknown) {
    super("store_unavailable", message, { cause });
    this.name = "AuditLostError";
    this.lost = lost;
  }
}

/** Rows written per transaction. */
const BATCH = 2000;
const DAY_MS = 86_400_000;

/** The batched writer of one process's audit events to its store. */
export class AuditWriter implements AuditSink {
  readonly store: Store;
  readonly retentionDays: number;
  readonly #now: () => number;
  readonly #max: number;
  readonly #flushMs: number;
  readonly #purgeMs: number;
  readonly #onError: ((e: unknown) => void) | undefined;
  #queue: AuditRecord[] = [];
  #dropped = 0;
  #flushing: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastPurge = -Infinity;
  #purging = false;

  constructor(options: AuditWriterOptions) {
    this.store = options.store;
    this.retentionDays = options.retentionDays ?? 90;
    this.#now = options.now ?? (() => Date.now());
    this.#max = options.maxPending ?? 50_000;
    this.#flushMs = options.flushMs ?? 1000;
    this.#purgeMs = options.purgeMs ?? 3_600_000;
    this.#onError = options.onError;
  }

  /** Queue an event for the next batch (never waits; a full queue drops it, counted). */
  add(record: AuditRecord): void {
    if (this.#queue.length >= this.#max) {
      this.#dropped++;
      return;
    }
    this.#queue.push(record);
  }

  /** Events queued and not yet written. */
  pending(): number {
    return this.#queue.length;
  }

  /**
   * Write what is queued, in batches of up to 2,000 rows each in one transaction. Flushes run one
   * after the other. A failed batch goes back to the head of the queue and the error is thrown.
   */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#write());
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #write(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, BATCH);
      this.#queue = this.#queue.slice(batch.length);
      try {
        await this.store.audit.add(batch);
      } catch (e) {
        this.#queue = batch.concat(this.#queue);
        throw e;
      }
    }
  }

  /** Delete events older than the retention; resolves to how many (0 when kept for ever). */
  async purge(): Promise<number> {
    if (this.retentionDays === 0) return 0;
    return await this.store.audit.purge(this.#now() - this.retentionDays * DAY_MS);
  }

  /**
   * Write every `flushMs` and purge every `purgeMs` (the first purge at the first tick) until
   * {@link close}. Failures go to `onError`, and so does a count of dropped events.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#flushMs);
  }

  #tick(): void {
    if (this.#dropped > 0) {
      const n = this.#dropped;
      this.#dropped = 0;
      this.#report(
        new KeypebbleError(
          "store_unavailable",
          `${n} audit event(s) were not stored: ${this.#max} were waiting for the store ` +
            `${this.store.source} (the log stream has them)`,
        ),
      );
    }
    if (this.#queue.length > 0) this.flush().catch((e) => this.#report(e));
    const now = this.#now();
    if (!this.#purging && now - this.#lastPurge >= this.#purgeMs) {
      this.#lastPurge = now;
      this.#purging = true;
      this.purge().catch((e) => this.#report(e)).finally(() => (this.#purging = false));
    }
  }

  #report(e: unknown): void {
    try {
      this.#onError?.(e);
    } catch { /* reporting never fails the writer */ }
  }

  /**
   * Stop the timer and write what is left, trying `attempts` times (waiting 0.25, 0.5, 1, 2 s in
   * between; each failure told to `onError`). Throws an {@link AuditLostError} naming how many
   * events the store did not get when the last attempt fails too.
   */
  async close(options: { attempts?: number } = {}): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const attempts = options.attempts ?? 5;
    for (let attempt = 1;; attempt++) {
      try {
        await this.flush();
        if (this.#dropped === 0) return;
        const n = this.#dropped;
        this.#dropped = 0;
        throw new AuditLostError(
          n,
          `${n} audit event(s) were dropped before they reached the store ${this.store.source}`,
          undefined,
        );
      } catch (e) {
        if (e instanceof AuditLostError) throw e;
        this.#report(e);
        if (attempt >= attempts) {
          const n = this.#queue.length + this.#dropped;
          throw new AuditLostError(
            n,
            `${n} audit event(s) could not be written to the store ${this.store.source} at ` +
              `shutdown (${attempts} attempts; the log stream has them)`,
            e,
          );
        }
      }
      await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    }
  }
}
