/**
 * `keypebble serve`: load the config, build the runtime, serve the handler, reload on SIGHUP (and
 * on file change when `watch: true`), and shut down gracefully on SIGTERM or SIGINT.
 *
 * A reload builds a complete new runtime and swaps one reference. If anything about the new one
 * is wrong the old one keeps serving, and the reason is logged and shown on /healthz.
 */

import { startApiKeys } from "../apikeys/start.ts";
import { startAccounts } from "../accounts/start.ts";
import type { AccountService } from "../accounts/service.ts";
import { createHandler, createServices, type ReloadStatus } from "../http/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { createKeypebbleMetrics } from "../metrics/mod.ts";
import type { Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  loadRuntime,
  type Runtime,
  watchedFiles,
} from "../runtime/mod.ts";
import { VERSION } from "../version.ts";

/** Options of {@link serve}. */
export interface ServeCommandOptions {
  readonly configPath: string;
  readonly overrides: ConfigOverrides;
}

/** Run the server until a shutdown signal; resolves to the process exit code. */
export async function serve(platform: Platform, options: ServeCommandOptions): Promise<number> {
  const bootLog = createLogger({
    level: "info",
    write: (l) => platform.stderr(l + "\n"),
    now: () => new Date(),
  });
  let rt: Runtime;
  const notices: BuildNotice[] = [];
  try {
    rt = await loadRuntime(platform, options.configPath, {
      overrides: options.overrides,
      generation: 1,
      notices,
    });
  } catch (e) {
    bootLog.error("config_error", { message: e instanceof Error ? e.message : String(e) });
    return 2;
  }
  const logger = createLogger({
    level: rt.config.logLevel,
    write: (l) => platform.stdout(l + "\n"),
    now: () => new Date(),
  });
  _logNotices(logger, notices);

  // The store (API keys) opens once at start and outlives reloads; changing it needs a restart.
  let apiKeys: Awaited<ReturnType<typeof startApiKeys>> | undefined;
  if (rt.config.store !== undefined) {
    try {
      apiKeys = await startApiKeys(platform, rt.config);
    } catch (e) {
      bootLog.error("store_error", { message: e instanceof Error ? e.message : String(e) });
      return 2;
    }
    if (apiKeys.pepperCreated) {
      logger.info("pepper_created", { path: rt.config.store.pepperPath });
    }
    apiKeys.service.startFlushing(
      10,
      (e) =>
        logger.warn("usage_flush_failed", { message: e instanceof Error ? e.message : String(e) }),
    );
  }
  // Accounts (issue 13) live in the same store, and also need a restart to change.
  let accounts: AccountService | undefined;
  if (apiKeys !== undefined && rt.config.accounts !== undefined) {
    try {
      accounts = await startAccounts(platform, rt.config, apiKeys.service.store, { logger });
    } catch (e) {
      bootLog.error("accounts_error", { message: e instanceof Error ? e.message : String(e) });
      await apiKeys.close();
      return 2;
    }
  }
  const metrics = createKeypebbleMetrics({ version: VERSION, runtime: platform.name });
  metrics.configGeneration.labels().set(1);
  let reloadStatus: ReloadStatus = { outcome: "none" };
  const services = createServices({
    runtime: () => rt,
    config: rt.config,
    logger,
    runtimeName: platform.name,
    metrics,
    reloadStatus: () => reloadStatus,
    ...(apiKeys === undefined ? {} : { apiKeys: apiKeys.service }),
    ...(accounts === undefined ? {} : { accounts }),
  });

  let reloading = false;
  const reload = async (why: string): Promise<void> => {
    if (reloading) return;
    reloading = true;
    const at = new Date().toISOString();
    try {
      const fresh: BuildNotice[] = [];
      const next = await loadRuntime(platform, options.configPath, {
        overrides: options.overrides,
        generation: rt.generation + 1,
        notices: fresh,
      });
      if (next.config.host !== rt.config.host || next.config.port !== rt.config.port) {
        logger.warn("reload_listen_unchanged", {
          message: "The listen address changes only on restart",
        });
      }
      rt = next; // the swap: requests already running keep the runtime they read
      reloadStatus = { outcome: "success", at };
      metrics.configReloads.labels("success").inc();
      metrics.configGeneration.labels().set(rt.generation);
      _logNotices(logger, fresh);
      logger.info("reload", { outcome: "success", trigger: why, generation: rt.generation });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      reloadStatus = { outcome: "failure", at, error: message };
      metrics.configReloads.labels("failure").inc();
      logger.error("reload", {
        outcome: "failure",
        trigger: why,
        generation: rt.generation,
        message: `${message}; still serving generation ${rt.generation}`,
      });
    } finally {
      reloading = false;
    }
  };

  let server;
  try {
    server = platform.serve({
      host: rt.config.host,
      port: rt.config.port,
      handler: createHandler(services),
    });
  } catch (e) {
    // Name the address: the runtimes' own texts may name neither (or blame "port 0").
    bootLog.error("listen_error", {
      host: rt.config.host,
      port: rt.config.port,
      message: `Cannot listen on ${rt.config.host}:${rt.config.port}: ${
        e instanceof Error ? e.message : String(e)
      } (set service.host and service.port, or --host/--port)`,
    });
    await apiKeys?.close();
    return 2;
  }
  logger.info("start", {
    version: VERSION,
    runtime: platform.name,
    host: rt.config.host,
    port: server.port,
    issuer: rt.config.issuer,
    alg: rt.keyring.signer.alg,
    kid: rt.keyring.signer.kid,
    generation: rt.generation,
  });

  platform.onSignal("SIGHUP", () => void reload("SIGHUP"));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutdown", { signal, message: "Finishing requests in flight" });
    server.shutdown().catch(() => {});
  };
  platform.onSignal("SIGTERM", () => stop("SIGTERM"));
  platform.onSignal("SIGINT", () => stop("SIGINT"));
  const watcher = _watch(platform, options.configPath, () => rt, reload, () => stopping);

  // Expired refresh tokens and revoked ids past their token's expiry are deleted hourly.
  const purge = accounts === undefined ? undefined : setInterval(() => {
    accounts!.purge().catch((e) =>
      logger.warn("purge_failed", { message: e instanceof Error ? e.message : String(e) })
    );
  }, 3_600_000);
  await server.finished;
  if (purge !== undefined) clearInterval(purge);
  watcher.stop();
  await apiKeys?.close();
  logger.info("stopped", {});
  return 0;
}

function _logNotices(logger: Logger, notices: BuildNotice[]): void {
  for (const n of notices) logger[n.level](n.event, n.fields);
}

/** Poll file modification times every two seconds when `watch: true`. */
function _watch(
  platform: Platform,
  configPath: string,
  current: () => Runtime,
  reload: (why: string) => Promise<void>,
  stopping: () => boolean,
): { stop(): void } {
  let last = new Map<string, number | undefined>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const snapshot = async (): Promise<Map<string, number | undefined>> => {
    const m = new Map<string, number | undefined>();
    for (const f of watchedFiles(configPath, current())) m.set(f, await platform.mtime(f));
    return m;
  };
  const tick = async () => {
    if (stopping()) return;
    if (current().config.watch) {
      const now = await snapshot();
      const changed = [...now].some(([f, t]) => last.has(f) && last.get(f) !== t);
      last = now;
      if (changed) await reload("file_change");
      last = await snapshot();
    }
    timer = setTimeout(tick, 2000);
  };
  snapshot().then((m) => {
    last = m;
    timer = setTimeout(tick, 2000);
  });
  return {
    stop() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
