/**
 * Lockout after repeated authentication failures, per key (the HTTP layer uses keys such as
 * `addr:192.0.2.1` and `user:alice`).
 *
 * Failures are counted in a fixed window that opens at a key's first failure; reaching
 * `maxFailures` inside it locks the key for `lockSeconds`. While a key is locked the caller must
 * answer from {@link Lockout.isLocked} alone and not check the credentials at all, so that a
 * correct password during the lock is indistinguishable from a wrong one (nothing leaks) and
 * costs no hashing. A success clears the failure count but never lifts an active lock.
 *
 * Memory is bounded by `maxKeys`. Eviction choice: locked and unlocked entries live in two
 * insertion-ordered Maps. When over the bound, expired locks are dropped first, then the least
 * recently failed unlocked entry, and only when every tracked key is locked, the oldest lock.
 * So a flood of fresh keys can at worst reset partial failure counts, never lift a live lock
 * unless the table holds nothing but locks.
 *
 * @example
 * ```ts
 * const lockout = new Lockout({ maxFailures: 20, windowSeconds: 300, lockSeconds: 900 });
 * const state = lockout.isLocked("user:alice", now);
 * if (state.locked) throw new KeypebbleError("locked_out", "Too many failed attempts", { headers: { "Retry-After": String(state.retryAfterSeconds) } });
 * ```
 */

import { KeypebbleError } from "../errors.ts";
import { DEFAULT_MAX_KEYS } from "./rate_limiter.ts";

/** Options for {@link Lockout}; every field has a default. */
export interface LockoutOptions {
  /** Failures within the window that trigger a lock. Default 20. */
  maxFailures?: number;
  /** Window in which failures are counted, from the first one. Default 300. */
  windowSeconds?: number;
  /** How long a lock lasts. Default 900. */
  lockSeconds?: number;
  /** Most keys kept. Default 10 000. */
  maxKeys?: number;
}

/** Whether a key is locked, and for how long still. */
export interface LockState {
  locked: boolean;
  /** Seconds until the lock ends (at least 1 when locked); 0 when not locked. */
  retryAfterSeconds: number;
}

interface _Failures {
  count: number;
  windowStart: number;
}

/** Failure counting and temporary locks per key, with bounded memory. */
export class Lockout {
  readonly maxFailures: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
  readonly maxKeys: number;
  readonly #failures = new Map<string, _Failures>();
  /** key → lockedUntil (ms). Insertion order is lock order, hence expiry order. */
  readonly #locks = new Map<string, number>();

  constructor(opts: LockoutOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 20;
    this.windowSeconds = opts.windowSeconds ?? 300;
    this.lockSeconds = opts.lockSeconds ?? 900;
    this.maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    _positiveInteger("maxFailures", this.maxFailures);
    _positiveInteger("maxKeys", this.maxKeys);
    _positive("windowSeconds", this.windowSeconds);
    _positive("lockSeconds", this.lockSeconds);
  }

  /** Number of keys tracked, locked or not (never more than `maxKeys`). */
  get size(): number {
    return this.#failures.size + this.#locks.size;
  }

  /** Whether `key` is locked at `now` (ms). Check this before looking at credentials. */
  isLocked(key: string, now: number): LockState {
    const until = this.#locks.get(key);
    if (until === undefined) return { locked: false, retryAfterSeconds: 0 };
    if (until > now) {
      return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
    }
    // Lock over: the key starts afresh.
    this.#locks.delete(key);
    return { locked: false, retryAfterSeconds: 0 };
  }

  /**
   * Records a failed attempt at `now` (ms). `lockedNow` is true only for the failure that
   * creates the lock (count it in `keypebble_lockouts_total`). A failure on a key that is
   * already locked does not extend the lock.
   */
  recordFailure(key: string, now: number): { lockedNow: boolean } {
    this.#dropExpiredLocks(now);
    const until = this.#locks.get(key);
    if (until !== undefined) {
      if (until > now) return { lockedNow: false };
      this.#locks.delete(key);
    }
    let f = this.#failures.get(key);
    if (f !== undefined) this.#failures.delete(key);
    if (f === undefined || now - f.windowStart >= this.windowSeconds * 1000) {
      f = { count: 0, windowStart: now };
    }
    f.count++;
    if (f.count >= this.maxFailures) {
      this.#locks.set(key, now + this.lockSeconds * 1000);
      this.#evict();
      return { lockedNow: true };
    }
    this.#failures.set(key, f);
    this.#evict();
    return { lockedNow: false };
  }

  /** Records a successful attempt: clears the failure count. An active lock stays. */
  recordSuccess(key: string): void {
    this.#failures.delete(key);
  }

  #dropExpiredLocks(now: number): void {
    // Locks are inserted in lock order and all last lockSeconds, so expired ones are at the
    // front; stop at the first live one (best effort if the injected clock goes back).
    for (const [k, until] of this.#locks) {
      if (until > now) break;
      this.#locks.delete(k);
    }
  }

  #evict(): void {
    while (this.#failures.size + this.#locks.size > this.maxKeys) {
      if (this.#failures.size > 0) {
        this.#failures.delete(this.#failures.keys().next().value!);
      } else {
        this.#locks.delete(this.#locks.keys().next().value!);
      }
    }
  }
}

function _positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new KeypebbleError("config_invalid", `Lockout ${name} "${v}" must be a positive integer`);
  }
}

function _positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) {
    throw new KeypebbleError("config_invalid", `Lockout ${name} "${v}" must be a positive number`);
  }
}
