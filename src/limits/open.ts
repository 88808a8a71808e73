/**
 * The limits of a process: one backend (memory, or Redis with `shared_limits.redis_url`), the
 * limiter and the lockout over it. The server opens one per instance (one per worker) and keeps it
 * across reloads.
 *
 * @module
 */

import type { LimitBackend } from "./backend.ts";
import { Limiter } from "./limiter.ts";
import { Lockout } from "./lockout.ts";
import { MemoryLimits, type MemoryLimitsOptions } from "./memory_limits.ts";
import { connectRedisLimits } from "./redis_limits.ts";

/** The limiter and the lockout over one backend. */
export interface Limits {
  readonly backend: LimitBackend;
  readonly limiter: Limiter;
  readonly lockout: Lockout;
  close(): Promise<void>;
}

/** Limits over `backend`; with a memory backend, `workers` sets each worker's share. */
export function limitsOver(backend: LimitBackend, options: { workers?: number } = {}): Limits {
  return {
    backend,
    limiter: new Limiter(backend, options),
    lockout: new Lockout(backend, options),
    close: () => backend.close(),
  };
}

/** Limits counted in this process (one of `workers` workers). */
export function memoryLimits(options: MemoryLimitsOptions & { workers?: number } = {}): Limits {
  return limitsOver(new MemoryLimits(options), options);
}

/** Limits counted in Redis for a fleet; rejects with a clear error when Redis cannot be reached. */
export async function redisLimits(url: string): Promise<Limits> {
  return limitsOver(await connectRedisLimits(url));
}
