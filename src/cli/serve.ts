/**
 * `keypebble serve`: load the config, then serve it with N workers sharing the port (`--workers
 * N`, default: one per CPU; one worker is the main thread alone). SIGHUP reloads (and a file
 * change when `watch: true`); SIGTERM or SIGINT stops listening, drains and exits 0.
 *
 * A reload builds a complete new runtime and swaps one reference. If anything about the new one
 * is wrong the old one keeps serving, and the reason is logged and shown on /healthz.
 */

import { createLogger, type Logger } from "../log/mod.ts";
import { UsageError } from "./args.ts";
import type { ClientTimeouts, Platform } from "../platform/platform.ts";
import type { ConfigOverrides } from "../runtime/mod.ts";
import { DEFAULT_TIMEOUTS } from "../server/deadline.ts";
import { logNotices } from "../server/instance.ts";
import { startUp, StartupError } from "../server/preflight.ts";
import { runSupervisor } from "../server/supervisor.ts";

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

/**
 * Run the server until a shutdown signal; resolves to the process exit code. One path for any
 * number of workers: the start-up sequence `check` shares (src/server/preflight.ts), then the
 * supervisor, which runs worker 0 on this thread (with the runtime already loaded) and N - 1
 * worker threads, and owns signals, reloads and the `watch: true` poller.
 */
export async function serve(platform: Platform, options: ServeCommandOptions): Promise<number> {
  const bootLog = createLogger({
    level: "info",
    write: (l) => platform.stderr(l + "\n"),
    now: () => new Date(),
  });
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
  // The log's level comes from the config: lines of the start-up steps wait for it.
  const early: { level: "info" | "warn"; event: string; fields: Record<string, unknown> }[] = [];
  const earlyLog = createLogger({ level: "debug", write: () => {}, now: () => new Date() });
  const collect = (level: "info" | "warn") => (event: string, fields?: Record<string, unknown>) =>
    void early.push({ level, event, fields: fields ?? {} });
  const preLog: Logger = { ...earlyLog, info: collect("info"), warn: collect("warn") };
  let started;
  try {
    started = await startUp(platform, {
      configPath: options.configPath,
      overrides: options.overrides,
      mode: "serve",
      logger: preLog,
    });
  } catch (e) {
    if (!(e instanceof StartupError)) throw e;
    bootLog.error(e.event, { message: e.message });
    return 2;
  }
  const rt = started.runtime;
  const logger = createLogger({
    level: rt.config.logLevel,
    write: (l) => platform.stdout(l + "\n"),
    now: () => new Date(),
  });
  // Notices of the first load (e.g. a generated key); the workers' own loads find it in place.
  logNotices(logger, started.notices);
  for (const l of early) logger[l.level](l.event, l.fields);
  return await runSupervisor(platform, {
    configPath: options.configPath,
    overrides: options.overrides,
    workers,
    port: rt.config.port,
    timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    logger,
    bootLog,
    runtime: rt,
  });
}
