/**
 * What a limits backend runs: a list of steps (rate counts, period counts, lock checks, failures,
 * clears) in order, at one clock reading, stopping after the first step that refuses. The memory
 * backend runs them in this process at once; the Redis backend runs them all in one script call,
 * one round trip, whatever the number of limits a request touches. Both keep their state as values
 * compared with the caller's clock (window indexes, lock and window start times), never as the
 * store's own expiry, so both decide alike for the same steps and clock; Redis expiry only
 * collects what no decision reads any more.
 *
 * @module
 */

/** Count one request in the sliding window of `windowMs` holding `now` (see sliding_window.ts). */
export interface RateStep {
  readonly op: "rate";
  readonly key: string;
  /** The limit enforced here (a worker's share of the configured one). */
  readonly limit: number;
  readonly windowMs: number;
}

/** Count one request in the fixed period [`start`, `end`) (a quota's month). */
export interface PeriodStep {
  readonly op: "period";
  readonly key: string;
  readonly limit: number;
  readonly start: number;
  readonly end: number;
}

/** Whether `key` is locked. */
export interface LockedStep {
  readonly op: "locked";
  readonly key: string;
}

/**
 * Count a failure against `key`: `maxFailures` within `windowMs` of the first one lock the key for
 * `lockMs`. A failure while locked is not counted and does not extend the lock.
 */
export interface FailStep {
  readonly op: "fail";
  readonly key: string;
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

/** Forget `key`'s failures (a success); an active lock stays. */
export interface ClearStep {
  readonly op: "clear";
  readonly key: string;
}

/** One step of a {@link LimitBackend.run}. */
export type LimitStep = RateStep | PeriodStep | LockedStep | FailStep | ClearStep;

/** What a {@link RateStep} found: its counts before this request, and whether it was counted. */
export interface RateResult {
  readonly op: "rate";
  readonly allowed: boolean;
  readonly prev: number;
  readonly curr: number;
}

/** What a {@link PeriodStep} found: the count before this request. */
export interface PeriodResult {
  readonly op: "period";
  readonly allowed: boolean;
  readonly used: number;
}

/** Milliseconds the key is still locked for (0: not locked). */
export interface LockedResult {
  readonly op: "locked";
  readonly lockedMs: number;
}

/** Whether this failure locked the key, and the failures counted in its window. */
export interface FailResult {
  readonly op: "fail";
  readonly lockedNow: boolean;
  /** The lock in force after this failure (0: none). */
  readonly lockedMs: number;
  readonly failures: number;
}

export interface ClearResult {
  readonly op: "clear";
}

/** The result of a step, of the same `op`. */
export type StepResult = RateResult | PeriodResult | LockedResult | FailResult | ClearResult;

/** Whether a step's result refuses the request (and ends the run). */
export function refuses(r: StepResult): boolean {
  switch (r.op) {
    case "rate":
    case "period":
      return !r.allowed;
    case "locked":
      return r.lockedMs > 0;
    default:
      return false;
  }
}

/**
 * Runs steps. Failure rule: a backend that cannot answer throws (`store_unavailable`); callers
 * refuse the request, never allow what would be refused.
 */
export interface LimitBackend {
  readonly kind: "memory" | "redis";
  /**
   * Run `steps` in order at `now` (ms since the epoch); stop after the first that refuses. One
   * result per step run. The memory backend answers synchronously; Redis in one round trip.
   */
  run(steps: readonly LimitStep[], now: number): StepResult[] | Promise<StepResult[]>;
  /**
   * Milliseconds `key` is known here to stay locked (0: not known to be). Synchronous and local:
   * a hint to check the lock before costly work, never a substitute for a `locked` step.
   */
  knownLocked(key: string, now: number): number;
  close(): Promise<void>;
}
