/**
 * Building the API key service for a process from its config: the store, the pepper, and the
 * counters (Redis with `shared_limits.redis_url`, memory without).
 */

import type { Config } from "../config/mod.ts";
import { type Counters, MemoryCounters } from "../limits/counters.ts";
import { connectRedisCounters } from "../limits/redis_counters.ts";
import type { Platform } from "../platform/platform.ts";
import type { Store } from "../store/mod.ts";
import { loadOrCreatePepper, openConfiguredStore, requireStoreConfig } from "./open.ts";
import { readKeyguardSecret } from "./keyguard_secret.ts";
import { ApiKeyService } from "./service.ts";

/** Open everything the API key service needs. Closes what it opened when a later step fails. */
export async function startApiKeys(
  platform: Platform,
  config: Config,
  options: {
    now?: () => number;
    /** Force memory counters (the CLI: it counts nothing). */
    memoryCounters?: boolean;
    /** Counters opened by the caller (fleet mode); not closed here. */
    counters?: Counters;
    /** `check` in a worker of `serve --workers N`: the main thread migrated already. */
    schema?: "migrate" | "check";
    /** Workers sharing the port: memory counters enforce a share of each key's limits. */
    workers?: number;
  } = {},
): Promise<{ service: ApiKeyService; pepperCreated: boolean; close(): Promise<void> }> {
  const sc = requireStoreConfig(config);
  const now = options.now ?? (() => Date.now());
  const store: Store = await openConfiguredStore(
    platform,
    config,
    options.schema === undefined ? {} : { schema: options.schema },
  );
  let counters: Counters | undefined;
  try {
    const { pepper, created } = await loadOrCreatePepper(platform, sc, store);
    const keyguardSecret = sc.keyguardSecretKeyPath === undefined
      ? undefined
      : await readKeyguardSecret(platform, sc.keyguardSecretKeyPath);
    if (options.counters !== undefined) counters = options.counters;
    else if (config.sharedLimits === undefined || options.memoryCounters) {
      counters = new MemoryCounters({ now });
    } else counters = await connectRedisCounters(config.sharedLimits.redisUrl);
    const service = new ApiKeyService({
      store,
      pepper,
      config: sc,
      counters,
      lockout: config.lockout,
      now,
      ...(keyguardSecret === undefined ? {} : { keyguardSecret }),
      ...(options.workers === undefined ? {} : { workers: options.workers }),
    });
    const c = counters;
    const ownCounters = options.counters === undefined;
    return {
      service,
      pepperCreated: created,
      async close() {
        await service.close();
        if (ownCounters) await c.close();
        await store.close();
      },
    };
  } catch (e) {
    if (options.counters === undefined) await counters?.close().catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
