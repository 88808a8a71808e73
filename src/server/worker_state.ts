/**
 * What a worker of `serve --workers N` opens besides its runtime when a `store` or
 * `shared_limits` is configured: its own store connection (and key cache), its own Redis client,
 * and the account service over its store. The main thread has already migrated the store,
 * created the pepper and the bootstrap admin ({@link prepareSharedState}) before any worker
 * starts, so a worker only checks the schema version and reads the pepper.
 *
 * What stays correct across workers (docs/operations.md "Workers"):
 * - a revocation, suspension or block made through one worker reaches the others within
 *   `store.cache_seconds` (each worker caches key checks as separate instances of a fleet do);
 * - usage counters: each worker adds its own per-minute counts to the store (the SQL adds);
 * - every limit, quota and lockout (src/limits/): with `shared_limits` they are counted in Redis
 *   for the whole process; without, each worker counts in memory and enforces its share
 *   (`floor(limit / N)`), the headers showing the configured limit.
 */

import { startAccounts } from "../accounts/start.ts";
import type { AccountService } from "../accounts/service.ts";
import { startApiKeys } from "../apikeys/start.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import type { Config } from "../config/mod.ts";
import { type Limits, memoryLimits, redisLimits } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import { purgeSignin } from "../oidc/codes.ts";
import type { Platform } from "../platform/platform.ts";
import { logNotices } from "./instance.ts";

/** A worker's store-backed services (undefined without `store`) and its limits. */
export interface WorkerState {
  readonly apiKeys?: ApiKeyService;
  readonly accounts?: AccountService;
  /** Redis with `shared_limits`, else this worker's memory (its share of each limit). */
  readonly limits: Limits;
  /** Flush usage, stop timers, close the store and Redis connections. */
  close(): Promise<void>;
}

/**
 * On the main thread, before the workers start: migrate the store once, create the pepper and
 * the bootstrap admin (its one-time password is printed once), then close. Throws with the
 * event to log (`store_error`).
 */
export async function prepareSharedState(
  platform: Platform,
  config: Config,
  logger: Logger,
): Promise<void> {
  if (config.store === undefined) return;
  const apiKeys = await startApiKeys(platform, config, { logger });
  try {
    if (apiKeys.pepperCreated) logger.info("pepper_created", { path: config.store.pepperPath });
    logNotices(logger, apiKeys.notices); // the store's start-up checks, once for the process
    if (config.accounts !== undefined) {
      await startAccounts(platform, config, apiKeys.service.store, { logger });
    }
  } finally {
    await apiKeys.close();
  }
}

/** Most distinct keys each memory table tracks before the least recently used are dropped. */
export const MAX_TRACKED = 20_000;

/** In a worker: open its own connections. `index` 0 also runs the hourly purge. */
export async function openWorkerState(
  platform: Platform,
  config: Config,
  logger: Logger,
  o: { readonly index: number; readonly workers: number },
): Promise<WorkerState> {
  const limits = config.sharedLimits === undefined
    ? memoryLimits({ workers: o.workers, maxKeys: MAX_TRACKED })
    : await redisLimits(config.sharedLimits.redisUrl);
  if (config.store === undefined) return { limits, close: () => limits.close() };
  let apiKeys: Awaited<ReturnType<typeof startApiKeys>>;
  try {
    apiKeys = await startApiKeys(platform, config, { schema: "check", logger });
  } catch (e) {
    await limits.close();
    throw e;
  }
  let accounts: AccountService | undefined;
  if (config.accounts !== undefined) {
    try {
      // The admin exists already (prepareSharedState): this finds it and creates nothing.
      accounts = await startAccounts(platform, config, apiKeys.service.store, { logger });
    } catch (e) {
      await apiKeys.close();
      await limits.close();
      throw e;
    }
  }
  apiKeys.service.startFlushing(
    10,
    (e) =>
      logger.warn("usage_flush_failed", { message: e instanceof Error ? e.message : String(e) }),
  );
  // Expired refresh tokens and revoked ids are deleted hourly, by one worker for the process.
  const purge = accounts === undefined || o.index !== 0
    ? undefined
    : startHourlyPurge(accounts, logger);
  return {
    apiKeys: apiKeys.service,
    ...(accounts === undefined ? {} : { accounts }),
    limits,
    async close() {
      purge?.();
      try {
        await apiKeys.close(); // rejects when counted usage could not be written (logged)
      } finally {
        await limits.close();
      }
    },
  };
}

/**
 * The hourly purge of a process (one worker runs it): expired refresh tokens and revoked ids past
 * their token's expiry, and sign-in's codes and sessions a day after they expired or ended
 * (`src/oidc/codes.ts`). Call the returned function to stop it.
 */
export function startHourlyPurge(accounts: AccountService, logger: Logger): () => void {
  const timer = setInterval(() => {
    accounts.purge()
      .then(() => purgeSignin(accounts.store, Math.floor(Date.now() / 1000)))
      .catch((e) =>
        logger.warn("purge_failed", { message: e instanceof Error ? e.message : String(e) })
      );
  }, 3_600_000);
  return () => clearInterval(timer);
}
