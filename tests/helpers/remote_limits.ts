/**
 * A stand-in for the Redis limits backend in `deno task test`: the memory backend's decisions,
 * answered asynchronously and labelled `redis`, so the server takes its fleet-mode path (steps
 * gathered and sent in one call per request), with every call counted. The real Redis backend is
 * held to the same decisions by tests/e2e/limits_redis_test.ts.
 */

import {
  type LimitBackend,
  type LimitStep,
  MemoryLimits,
  type StepResult,
} from "../../src/limits/mod.ts";

/** The memory backend behind an asynchronous, counted, `redis`-kind face. */
export class RemoteMemoryLimits implements LimitBackend {
  readonly kind = "redis" as const;
  readonly inner = new MemoryLimits();
  /** Calls of {@link run} so far (one per round trip Redis would make). */
  calls = 0;
  /** The steps of each call. */
  readonly log: LimitStep["op"][][] = [];
  readonly #known = new Map<string, number>();

  run(steps: readonly LimitStep[], now: number): Promise<StepResult[]> {
    this.calls++;
    this.log.push(steps.map((s) => s.op));
    const out = this.inner.run(steps, now);
    out.forEach((r, i) => {
      const ms = r.op === "locked" ? r.lockedMs : r.op === "fail" ? r.lockedMs : 0;
      if (ms > 0) this.#known.set(steps[i].key, now + ms);
    });
    return new Promise((resolve) => queueMicrotask(() => resolve(out)));
  }

  knownLocked(key: string, now: number): number {
    const until = this.#known.get(key) ?? 0;
    return until > now ? until - now : 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
