/**
 * The memory backend of the limiter and the lockout: this process's counts (one instance, or one
 * worker of `serve --workers N`, which enforces its share: see shares.ts). Every step runs at once,
 * synchronously.
 *
 * Memory is bounded. Sliding windows: at most `maxKeys` keys, the least recently used dropped
 * first. Periods (quotas): at most `maxPeriods`, the oldest first (a dropped period is seeded again
 * from stored usage by its user). Lockout: locked and unlocked entries live in two
 * insertion-ordered Maps; over `maxKeys`, expired locks go first, then the least recently failed
 * unlocked entry, and only when every tracked key is locked, the oldest lock. So a flood of fresh
 * keys can at worst reset partial failure counts, never lift a live lock unless the table holds
 * nothing but locks.
 *
 * @module
 */

import type {
  FailResult,
  FailStep,
  LimitBackend,
  LimitStep,
  LockedResult,
  PeriodResult,
  PeriodStep,
  RateResult,
  RateStep,
  StepResult,
} from "./backend.ts";
import { refuses } from "./backend.ts";
import { estimate, fits, windowStart } from "./sliding_window.ts";

/** Default cap on tracked keys of each table. */
export const DEFAULT_MAX_KEYS = 10_000;

/** Options of {@link MemoryLimits}. */
export interface MemoryLimitsOptions {
  /** Most sliding-window keys, and most lockout keys, kept. Default 10 000. */
  readonly maxKeys?: number;
  /** Most quota periods kept. Default 100 000. */
  readonly maxPeriods?: number;
}

interface _Window {
  windowMs: number;
  /** Start (ms) of the current fixed window, a multiple of windowMs. */
  start: number;
  prev: number;
  curr: number;
}

interface _Period {
  start: number;
  end: number;
  used: number;
}

interface _Failures {
  count: number;
  windowStart: number;
}

/** Limits counted in this process. */
export class MemoryLimits implements LimitBackend {
  readonly kind = "memory" as const;
  readonly maxKeys: number;
  readonly maxPeriods: number;
  // Map iteration order is insertion order: re-inserting on every touch makes the first key the
  // least recently used, so eviction is O(1).
  readonly #windows = new Map<string, _Window>();
  readonly #periods = new Map<string, _Period>();
  readonly #failures = new Map<string, _Failures>();
  /** key → lockedUntil (ms). Insertion order is lock order. */
  readonly #locks = new Map<string, number>();

  constructor(options: MemoryLimitsOptions = {}) {
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.maxPeriods = options.maxPeriods ?? 100_000;
  }

  /** Keys tracked: sliding windows, and lockout entries (each never more than `maxKeys`). */
  get size(): { windows: number; periods: number; lockout: number } {
    return {
      windows: this.#windows.size,
      periods: this.#periods.size,
      lockout: this.#failures.size + this.#locks.size,
    };
  }

  run(steps: readonly LimitStep[], now: number): StepResult[] {
    const out: StepResult[] = [];
    for (const s of steps) {
      const r = this.step(s, now);
      out.push(r);
      if (refuses(r)) break;
    }
    return out;
  }

  /** Run one step. */
  step(s: LimitStep, now: number): StepResult {
    switch (s.op) {
      case "rate":
        return this.rate(s, now);
      case "period":
        return this.period(s, now);
      case "locked":
        return this.locked(s.key, now);
      case "fail":
        return this.fail(s, now);
      case "clear":
        this.#failures.delete(s.key);
        return CLEARED;
    }
  }

  /** A sliding-window step. */
  rate(s: RateStep, now: number): RateResult {
    const windowMs = s.windowMs;
    const start = windowStart(now, windowMs);
    let e = this.#windows.get(s.key);
    if (e !== undefined) this.#windows.delete(s.key);
    if (e === undefined || e.windowMs !== windowMs) {
      e = { windowMs, start, prev: 0, curr: 0 };
    } else if (start > e.start) {
      // The previous window only counts if it is the one right before the current one.
      e.prev = start - e.start === windowMs ? e.curr : 0;
      e.curr = 0;
      e.start = start;
    }
    // (start < e.start means the clock went back: keep counting in the newer window.)
    this.#windows.set(s.key, e);
    if (this.#windows.size > this.maxKeys) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
    const prev = e.prev;
    const curr = e.curr;
    const allowed = fits(estimate(prev, curr, e.start, windowMs, now), s.limit);
    if (allowed) e.curr++;
    return { op: "rate", allowed, prev, curr };
  }

  /** A fixed-period step. */
  period(s: PeriodStep, now: number): PeriodResult {
    const e = this.#openPeriod(s.key, s.start, s.end, now);
    const used = e.used;
    const allowed = fits(used, s.limit);
    if (allowed) e.used++;
    return { op: "period", allowed, used };
  }

  /**
   * Whether `key`'s period [`start`, `end`) is tracked here; when not, {@link seedPeriod} can start
   * it from a count kept elsewhere (stored usage, after a restart).
   */
  hasPeriod(key: string, start: number): boolean {
    const e = this.#periods.get(key);
    return e !== undefined && e.start === start;
  }

  /** Add `n` to `key`'s period [`start`, `end`) without deciding anything. */
  seedPeriod(key: string, start: number, end: number, n: number, now: number): void {
    this.#openPeriod(key, start, end, now).used += n;
  }

  #openPeriod(key: string, start: number, end: number, now: number): _Period {
    let e = this.#periods.get(key);
    if (e === undefined || e.start !== start) {
      if (e !== undefined) this.#periods.delete(key);
      e = { start, end, used: 0 };
      this.#periods.set(key, e);
      if (this.#periods.size > this.maxPeriods) {
        for (const [k, v] of this.#periods) {
          if (this.#periods.size <= this.maxPeriods) break;
          if (v.end <= now || this.#periods.size > this.maxPeriods) this.#periods.delete(k);
        }
      }
    }
    return e;
  }

  /** A lock check. */
  locked(key: string, now: number): LockedResult {
    const until = this.#locks.get(key);
    if (until === undefined) return NOT_LOCKED;
    if (until > now) return { op: "locked", lockedMs: until - now };
    // Lock over: the key starts afresh.
    this.#locks.delete(key);
    return NOT_LOCKED;
  }

  /** A failure. */
  fail(s: FailStep, now: number): FailResult {
    this.#dropExpiredLocks(now);
    const until = this.#locks.get(s.key);
    if (until !== undefined) {
      if (until > now) return { op: "fail", lockedNow: false, lockedMs: until - now, failures: 0 };
      this.#locks.delete(s.key);
    }
    let f = this.#failures.get(s.key);
    if (f !== undefined) this.#failures.delete(s.key);
    if (f === undefined || now - f.windowStart >= s.windowMs) f = { count: 0, windowStart: now };
    f.count++;
    if (f.count >= s.maxFailures) {
      this.#locks.set(s.key, now + s.lockMs);
      this.#evictLockout();
      return { op: "fail", lockedNow: true, lockedMs: s.lockMs, failures: f.count };
    }
    this.#failures.set(s.key, f);
    this.#evictLockout();
    return { op: "fail", lockedNow: false, lockedMs: 0, failures: f.count };
  }

  knownLocked(key: string, now: number): number {
    const until = this.#locks.get(key);
    return until === undefined || until <= now ? 0 : until - now;
  }

  close(): Promise<void> {
    this.#windows.clear();
    this.#periods.clear();
    this.#failures.clear();
    this.#locks.clear();
    return Promise.resolve();
  }

  #dropExpiredLocks(now: number): void {
    // Locks are inserted in lock order; with one lock length they expire in that order too, so
    // stop at the first live one (best effort with mixed lengths or a clock that goes back).
    for (const [k, until] of this.#locks) {
      if (until > now) break;
      this.#locks.delete(k);
    }
  }

  #evictLockout(): void {
    while (this.#failures.size + this.#locks.size > this.maxKeys) {
      if (this.#failures.size > 0) {
        this.#failures.delete(this.#failures.keys().next().value!);
      } else {
        this.#locks.delete(this.#locks.keys().next().value!);
      }
    }
  }
}

const NOT_LOCKED: LockedResult = Object.freeze({ op: "locked", lockedMs: 0 });
const CLEARED = Object.freeze({ op: "clear" as const });
