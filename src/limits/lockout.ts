/**
 * The one lockout after repeated failures: sign-in (per client address and per principal), API-key
 * guesses per address, and every other bucket (a bucket is a key prefix with its own policy) count
 * through it, on the limiter's backend (memory, or Redis for a fleet, which decide alike).
 *
 * Failures are counted in a fixed window that opens at a key's first failure; reaching
 * `maxFailures` inside it locks the key for `lockSeconds`. While a key is locked the caller must
 * refuse without checking the credentials at all, so that a correct password during the lock is
 * indistinguishable from a wrong one (nothing leaks) and costs no hashing. A failure while locked
 * is not counted and does not extend the lock. A success clears the failure count but never lifts
 * an active lock.
 *
 * With N workers counting in memory, each locks at its share of `maxFailures` (shares.ts).
 *
 * @example
 * ```ts
 * const lockout = new Lockout(new MemoryLimits());
 * const state = await lockout.state("signin:user:alice", now);
 * if (state.locked) throw KeypebbleError.answer("locked_out", "Too many failed attempts", { headers: { "Retry-After": String(state.retryAfterSeconds) } });
 * ```
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type {
  ClearStep,
  FailResult,
  FailStep,
  LimitBackend,
  LockedResult,
  LockedStep,
} from "./backend.ts";
import { shareOf } from "./shares.ts";

/** When a key locks, and for how long. */
export interface LockPolicy {
  /** Failures within the window that lock the key. */
  readonly maxFailures: number;
  /** Window in which failures are counted, from the first one. */
  readonly windowSeconds: number;
  /** How long a lock lasts. */
  readonly lockSeconds: number;
}

/** The defaults of `lockout:` (20 failures in 300 s lock for 900 s). */
export const DEFAULT_LOCK_POLICY: LockPolicy = Object.freeze({
  maxFailures: 20,
  windowSeconds: 300,
  lockSeconds: 900,
});

/** Whether a key is locked, and for how long still. */
export interface LockState {
  readonly locked: boolean;
  /** Seconds until the lock ends (at least 1 when locked); 0 when not locked. */
  readonly retryAfterSeconds: number;
}

/** What a failure did. */
export interface FailOutcome {
  /** True only for the failure that created the lock (count it in `keypebble_lockouts_total`). */
  readonly lockedNow: boolean;
  /** Seconds the key is locked for after this failure (0: not locked). */
  readonly retryAfterSeconds: number;
}

/** Failure counting and temporary locks per key, on one backend. */
export class Lockout {
  readonly backend: LimitBackend;
  /** The divisor of `maxFailures` here (1 with Redis). */
  readonly share: number;

  constructor(backend: LimitBackend, options: { readonly workers?: number } = {}) {
    this.backend = backend;
    this.share = backend.kind === "memory" ? Math.max(1, options.workers ?? 1) : 1;
  }

  /** The step asking whether `key` is locked. */
  lockedStep(key: string): LockedStep {
    return { op: "locked", key };
  }

  /** The step counting a failure of `key` under `policy`. */
  failStep(key: string, policy: LockPolicy): FailStep {
    validateLockPolicy(policy);
    return {
      op: "fail",
      key,
      maxFailures: shareOf(policy.maxFailures, this.share),
      windowMs: policy.windowSeconds * 1000,
      lockMs: policy.lockSeconds * 1000,
    };
  }

  /** The step clearing `key`'s failures after a success. */
  clearStep(key: string): ClearStep {
    return { op: "clear", key };
  }

  /** Whether `key` is locked at `now` (ms). Check this before looking at credentials. */
  state(key: string, now: number): LockState | Promise<LockState> {
    const ran = this.backend.run([this.lockedStep(key)], now);
    return ran instanceof Promise
      ? ran.then((r) => lockState(r[0] as LockedResult))
      : lockState(ran[0] as LockedResult);
  }

  /** Count a failure of `key` at `now` (ms) under `policy`. */
  fail(key: string, policy: LockPolicy, now: number): FailOutcome | Promise<FailOutcome> {
    const ran = this.backend.run([this.failStep(key, policy)], now);
    return ran instanceof Promise
      ? ran.then((r) => failOutcome(r[0] as FailResult))
      : failOutcome(ran[0] as FailResult);
  }

  /** Clear `key`'s failures (a success). An active lock stays. */
  clear(key: string, now: number): void | Promise<void> {
    const ran = this.backend.run([this.clearStep(key)], now);
    if (ran instanceof Promise) return ran.then(() => {});
  }
}

/** The state a `locked` step's result means. */
export function lockState(r: LockedResult): LockState {
  return r.lockedMs > 0
    ? { locked: true, retryAfterSeconds: _seconds(r.lockedMs) }
    : { locked: false, retryAfterSeconds: 0 };
}

/** The outcome a `fail` step's result means. */
export function failOutcome(r: FailResult): FailOutcome {
  return { lockedNow: r.lockedNow, retryAfterSeconds: r.lockedMs > 0 ? _seconds(r.lockedMs) : 0 };
}

function _seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Refuse a policy that cannot be enforced. */
export function validateLockPolicy(p: LockPolicy): void {
  if (!Number.isInteger(p.maxFailures) || p.maxFailures < 1) {
    throw new KeypebbleError(
      "config_invalid",
      `Lockout maxFailures "${p.maxFailures}" must be a positive integer`,
    );
  }
  for (const [name, v] of [["windowSeconds", p.windowSeconds], ["lockSeconds", p.lockSeconds]]) {
    if (!Number.isFinite(v) || (v as number) <= 0) {
      throw new KeypebbleError(
        "config_invalid",
        `Lockout ${name} "${v}" must be a positive number`,
      );
    }
  }
}
