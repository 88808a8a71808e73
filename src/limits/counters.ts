/**
 * Counters with a lifetime, the primitive under API-key rate limits, monthly quotas and API-key
 * lockouts. In memory for one instance ({@link MemoryCounters}); in Redis for a fleet
 * (`redis_counters.ts`), where every instance sees the same counts.
 *
 * Failure rule: a backend that cannot answer throws; callers refuse the request (never allow what
 * would be refused).
 */

/** A counter's value after an increment, and the milliseconds until it resets. */
export interface CounterValue {
  readonly value: number;
  readonly ttlMs: number;
}

/** The shared-limits backend. */
export interface Counters {
  readonly kind: "memory" | "redis";
  /**
   * Add `n` to `key`. A new counter lives `ttlMs`; an existing one keeps its reset time.
   * Resolves to the value after the increment.
   */
  incr(key: string, ttlMs: number, n?: number): Promise<CounterValue>;
  /** Read a counter (0 when absent or reset). */
  get(key: string): Promise<CounterValue>;
  /** Set a flag (a lock) for `ttlMs`. */
  setFlag(key: string, ttlMs: number): Promise<void>;
  /** Milliseconds left on a flag; 0 when not set. */
  flagTtl(key: string): Promise<number>;
  /** Forget a counter or flag. */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link MemoryCounters}. */
export interface MemoryCountersOptions {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Most counters kept; the oldest are dropped beyond it. */
  readonly maxKeys?: number;
}

/** Counters in this process's memory (one instance, or a fleet without Redis). */
export class MemoryCounters implements Counters {
  readonly kind = "memory" as const;
  readonly #now: () => number;
  readonly #max: number;
  readonly #map = new Map<string, { value: number; expiresAt: number }>();

  constructor(options: MemoryCountersOptions) {
    this.#now = options.now;
    this.#max = options.maxKeys ?? 100_000;
  }

  incr(key: string, ttlMs: number, n = 1): Promise<CounterValue> {
    const now = this.#now();
    let e = this.#map.get(key);
    if (e === undefined || e.expiresAt <= now) {
      if (e !== undefined) this.#map.delete(key);
      e = { value: 0, expiresAt: now + ttlMs };
      this.#map.set(key, e);
      this.#evict(now);
    }
    e.value += n;
    return Promise.resolve({ value: e.value, ttlMs: e.expiresAt - now });
  }

  get(key: string): Promise<CounterValue> {
    const now = this.#now();
    const e = this.#map.get(key);
    if (e === undefined || e.expiresAt <= now) return Promise.resolve({ value: 0, ttlMs: 0 });
    return Promise.resolve({ value: e.value, ttlMs: e.expiresAt - now });
  }

  setFlag(key: string, ttlMs: number): Promise<void> {
    this.#map.delete(key);
    this.#map.set(key, { value: 1, expiresAt: this.#now() + ttlMs });
    this.#evict(this.#now());
    return Promise.resolve();
  }

  async flagTtl(key: string): Promise<number> {
    return (await this.get(key)).ttlMs;
  }

  reset(key: string): Promise<void> {
    this.#map.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#map.clear();
    return Promise.resolve();
  }

  #evict(now: number): void {
    if (this.#map.size <= this.#max) return;
    for (const [k, v] of this.#map) {
      if (this.#map.size <= this.#max) break;
      // Insertion order: the oldest first; expired ones go regardless.
      if (v.expiresAt <= now || this.#map.size > this.#max) this.#map.delete(k);
    }
  }
}
