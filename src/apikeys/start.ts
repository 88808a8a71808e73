/**
 * Building the API key service for a process from its config: the store and the pepper. (Its
 * limits and lockout count through the process's limiter, opened by the server.)
 */

import { AuditLostError } from "../audit/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { BuildNotice } from "../platform/io.ts";
import type { Platform } from "../platform/platform.ts";
import { requireStoreConfig } from "./open.ts";
import { readKeyguardSecret } from "./keyguard_secret.ts";
import { ApiKeyService } from "./service.ts";
import { openStoreState } from "./state.ts";

/** Open everything the API key service needs. Closes what it opened when a later step fails. */
export async function startApiKeys(
  platform: Platform,
  config: Config,
  options: {
    now?: () => number;
    /** `check` in a worker of `serve --workers N`: the main thread migrated already. */
    schema?: "migrate" | "check";
    /**
     * Where store failures are logged (`store_unavailable` with the engine's reason, at most
     * once every 10 s) and the usage a shutdown could not write.
     */
    logger?: Logger;
  } = {},
): Promise<{
  service: ApiKeyService;
  pepperCreated: boolean;
  /** The start-up checks' warnings ({@link openStoreState}): serve logs them. */
  notices: BuildNotice[];
  close(): Promise<void>;
}> {
  const sc = requireStoreConfig(config);
  const now = options.now ?? (() => Date.now());
  const logger = options.logger;
  const state = await openStoreState(platform, config, {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    // `schema: "check"` is a worker: its siblings have the SQLite file open in this process.
    fileChecks: options.schema !== "check",
    ...(logger === undefined ? {} : { onFault: faultLogger(logger) }),
  });
  const store = state.store!;
  try {
    const pepper = state.pepper!;
    const created = state.pepperCreated;
    const keyguardSecret = sc.keyguardSecretKeyPath === undefined
      ? undefined
      : await readKeyguardSecret(platform, sc.keyguardSecretKeyPath);
    const service = new ApiKeyService({
      store,
      pepper,
      config: sc,
      now,
      ...(keyguardSecret === undefined ? {} : { keyguardSecret }),
      ...(logger === undefined ? {} : {
        onAuditError: (e: unknown) =>
          logger.warn("audit_flush_failed", {
            message: e instanceof Error ? e.message : String(e),
          }),
      }),
    });
    return {
      service,
      pepperCreated: created,
      notices: state.notices,
      /**
       * Flush the audit trail's queue and usage (tried again on failure, each failure logged),
       * then close the store. Rejects, after closing, when audit events or counted usage could
       * not be written: the caller exits non-zero.
       */
      async close() {
        let lost: unknown;
        try {
          await service.close({
            onError: (e, attempt) =>
              logger?.warn("usage_flush_failed", {
                attempt,
                message: e instanceof Error ? e.message : String(e),
              }),
          });
        } catch (e) {
          lost = e;
          logger?.error(e instanceof AuditLostError ? "audit_lost" : "usage_lost", {
            message: e instanceof Error ? e.message : String(e),
          });
        }
        await store.close().catch(() => {});
        if (lost !== undefined) throw lost;
      },
    };
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}

/**
 * A store-fault reporter for `logger`: `store_unavailable` with the store and the engine's
 * reason (disk full, read-only, locked, connection refused), at most once every 10 s per
 * reason, so an outage is in the log without a line per request.
 */
export function faultLogger(
  logger: Logger,
  now: () => number = () => Date.now(),
): (fault: { source: string; reason: string }) => void {
  const last = new Map<string, number>();
  return (fault) => {
    const t = now();
    const key = fault.reason;
    if ((last.get(key) ?? -Infinity) > t - 10_000) return;
    if (last.size > 100) last.clear();
    last.set(key, t);
    logger.error("store_unavailable", { store: fault.source, reason: fault.reason });
  };
}
