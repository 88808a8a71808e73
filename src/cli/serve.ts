/**
 * `keypebble serve`: load the config, then serve it on one thread (`--workers 1`) or on N worker
 * threads sharing the port (`--workers N`, default: one per CPU). SIGHUP reloads (and a file
 * change when `watch: true`); SIGTERM or SIGINT drains and exits 0.
 *
 * A reload builds a complete new runtime and swaps one reference. If anything about the new one
 * is wrong the old one keeps serving, and the reason is logged and shown on /healthz.
 */

import { startApiKeys } from "../apikeys/start.ts";
import { startAccounts } from "../accounts/start.ts";
import type { AccountService } from "../accounts/service.ts";
import { type Limits, redisLimits } from "../limits/mod.ts";
import { createLogger, type Logger } from "../log/mod.ts";
import { UsageError } from "./args.ts";
import type { ClientTimeouts, Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  loadRuntime,
  type Runtime,
  watchedFiles,
} from "../runtime/mod.ts";
import { DEFAULT_TIMEOUTS } from "../server/deadline.ts";
import { logNotices, startInstance, warnRestartOnly } from "../server/instance.ts";
import { runSupervisor } from "../server/supervisor.ts";
import { prepareSharedState } from "../server/worker_state.ts";
import { VERSION } from "../version.ts";

/** Options of {@link serve}. */
export interface ServeCommandOptions {
  readonly configPath: string;
  readonly overrides: ConfigOverrides;
  /** Worker threads; undefined = one per CPU (one when the runtime cannot share a port). */
  readonly workers?: number;
  /** Slow-client limits; undefined = {@link DEFAULT_TIMEOUTS}. */
  readonly timeouts?: Partial<ClientTimeouts>;
}

/**
 * `KEYPEBBLE_WORKERS`: a worker count (1–256), or unset/empty/`auto` for one per CPU. Containers
 * should set it: the CPU count a process sees ignores a cgroup CPU quota.
 */
export function workersFromEnv(platform: Platform): number | undefined {
  const v = (platform.env("KEYPEBBLE_WORKERS") ?? "").trim();
  if (v === "" || v === "auto") return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 256) {
    throw new UsageError(`KEYPEBBLE_WORKERS must be "auto" or an integer from 1 to 256`);
  }
  return Number(v);
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
  const timeouts: ClientTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  // Notices of the first load (e.g. a generated key); the workers' own loads find it in place.
  logNotices(logger, notices);

  let workers = options.workers ?? platform.cpuCount();
  if (workers > 1 && !platform.canReusePort()) {
    if (options.workers !== undefined) {
      bootLog.error("listen_error", {
        message: `--workers ${workers} needs SO_REUSEPORT, which Deno allows only with ` +
          "--unstable-net; add the flag or use --workers 1",
      });
      return 2;
    }
    workers = 1; // the default quietly falls back to one worker
  }
  if (workers > 1) {
    // Migrations, the pepper and the bootstrap admin happen once, here, before any worker opens
    // its own store connection (src/server/worker_state.ts).
    try {
      await prepareSharedState(platform, rt.config, logger);
    } catch (e) {
      bootLog.error("store_error", { message: e instanceof Error ? e.message : String(e) });
      return 2;
    }
    // The workers load and log their own runtime; this first load only proved the config good.
    return await runSupervisor(platform, {
      configPath: options.configPath,
      overrides: options.overrides,
      workers,
      port: rt.config.port,
      timeouts,
      logger,
      bootLog,
    });
  }
  return await _serveOne(platform, options, rt, logger, bootLog, timeouts);
}

/** `--workers 1`: serve on the main thread. */
async function _serveOne(
  platform: Platform,
  options: ServeCommandOptions,
  rt: Runtime,
  logger: Logger,
  bootLog: Logger,
  timeouts: ClientTimeouts,
): Promise<number> {
  // The store (API keys) opens once at start and outlives reloads; changing it needs a restart.
  let shared: Limits | undefined;
  if (rt.config.sharedLimits !== undefined) {
    try {
      shared = await redisLimits(rt.config.sharedLimits.redisUrl);
    } catch (e) {
      bootLog.error("shared_limits_error", { message: e instanceof Error ? e.message : String(e) });
      return 2;
    }
  }
  let apiKeys: Awaited<ReturnType<typeof startApiKeys>> | undefined;
  let accounts: AccountService | undefined;
  if (rt.config.store !== undefined) {
    try {
      apiKeys = await startApiKeys(platform, rt.config, { logger });
    } catch (e) {
      await shared?.close();
      bootLog.error("store_error", { message: e instanceof Error ? e.message : String(e) });
      return 2;
    }
    if (apiKeys.pepperCreated) {
      logger.info("pepper_created", { path: rt.config.store.pepperPath });
    }
    logNotices(logger, apiKeys.notices); // the store's start-up checks (src/apikeys/state.ts)
    // Accounts live in the same store; the bootstrap admin is created here (issue 13).
    if (rt.config.accounts !== undefined) {
      try {
        accounts = await startAccounts(platform, rt.config, apiKeys.service.store, { logger });
      } catch (e) {
        await apiKeys.close();
        await shared?.close();
        bootLog.error("store_error", { message: e instanceof Error ? e.message : String(e) });
        return 2;
      }
    }
    apiKeys.service.startFlushing(
      10,
      (e) =>
        logger.warn("usage_flush_failed", { message: e instanceof Error ? e.message : String(e) }),
    );
  }
  // Expired refresh tokens and revoked ids past their token's expiry are deleted hourly.
  const purge = accounts === undefined ? undefined : setInterval(() => {
    accounts!.purge().catch((e) =>
      logger.warn("purge_failed", { message: e instanceof Error ? e.message : String(e) })
    );
  }, 3_600_000);
  const closeState = async (): Promise<void> => {
    if (purge !== undefined) clearInterval(purge);
    try {
      await apiKeys?.close(); // rejects when counted usage could not be written (logged)
    } finally {
      await shared?.close();
    }
  };
  let instance;
  try {
    instance = startInstance({
      ...(apiKeys === undefined ? {} : { apiKeys: apiKeys.service }),
      ...(shared === undefined ? {} : { limits: shared }),
      platform,
      configPath: options.configPath,
      overrides: options.overrides,
      runtime: rt,
      logger,
      workers: 1,
      port: rt.config.port,
      reusePort: false,
      timeouts,
      ...(accounts === undefined ? {} : { accounts }),
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
    await closeState();
    return 2;
  }
  const inst = instance;
  logger.info("start", {
    version: VERSION,
    runtime: platform.name,
    host: rt.config.host,
    port: inst.port,
    issuer: rt.config.issuer,
    alg: rt.keyring.signer.alg,
    kid: rt.keyring.signer.kid,
    generation: rt.generation,
    workers: 1,
  });

  const reload = async (why: string): Promise<void> => {
    const r = await inst.reload(why);
    warnRestartOnly(logger, r);
    if (r.ok) {
      logNotices(logger, r.notices);
      logger.info("reload", { outcome: "success", trigger: why, generation: r.generation });
    } else {
      logger.error("reload", {
        outcome: "failure",
        trigger: why,
        generation: r.generation,
        message: `${r.message}; still serving generation ${r.generation}`,
      });
    }
  };

  platform.onSignal("SIGHUP", () => void reload("SIGHUP"));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutdown", { signal, message: "Finishing requests in flight" });
    inst.shutdown().catch(() => {});
  };
  platform.onSignal("SIGTERM", () => stop("SIGTERM"));
  platform.onSignal("SIGINT", () => stop("SIGINT"));
  const watcher = _watch(
    platform,
    options.configPath,
    () => inst.current(),
    reload,
    () => stopping,
  );

  await inst.finished;
  watcher.stop();
  // Usage counted since the last flush is written now; if it cannot be, the loss is logged
  // (src/apikeys/start.ts) and the exit code says so.
  const closed = await closeState().then(() => true, () => false);
  logger.info("stopped", {});
  return closed ? 0 : 1;
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
  // Without `watch: true` there is nothing to compare yet: skip the first stat of every file
  // (it ran while the first requests waited; a reload that turns watching on starts from empty).
  const first = current().config.watch ? snapshot() : Promise.resolve(last);
  first.then((m) => {
    last = m;
    timer = setTimeout(tick, 2000);
  });
  return {
    stop() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
