/**
 * One serving instance: a runtime, the long-lived services around it, and a listening server.
 * `keypebble serve` runs one on the main thread (`--workers 1`) or one per worker thread. It does
 * no logging of its own lifecycle: the caller says what happened, once, for the whole process.
 */

import { createHandler, createServices } from "../app/mod.ts";
import type { ReloadStatus } from "../http/mod.ts";
import type { AccountService } from "../accounts/service.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import { type Limits, memoryLimits } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  createKeypebbleMetrics,
  type KeypebbleMetrics,
  type MetricsFormat,
} from "../metrics/mod.ts";
import type { ClientTimeouts, Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  loadRuntime,
  type Runtime,
  watchedFiles,
} from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { mergeExpositions } from "./metrics_merge.ts";
import { MAX_TRACKED } from "./worker_state.ts";

/** Families that count per-process events every worker repeats (merged by maximum). */
const SAME_IN_EVERY_WORKER: ReadonlySet<string> = new Set([
  "keypebble_config_reloads",
  "keypebble_config_generation",
  "keypebble_build",
]);

/** Inputs of {@link startInstance}. */
export interface InstanceOptions {
  readonly platform: Platform;
  readonly configPath: string;
  readonly overrides: ConfigOverrides;
  /** The runtime already loaded for this instance (generation 1 at start). */
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** How many instances share the port (each counting in memory enforces its share). */
  readonly workers: number;
  /** Port to bind (the config's unless a sibling already chose one). */
  readonly port: number;
  readonly reusePort: boolean;
  readonly timeouts: ClientTimeouts;
  /** The API key service (with a `store`), opened by the caller and kept across reloads. */
  readonly apiKeys?: ApiKeyService;
  /**
   * The limits, opened by the caller (Redis with `shared_limits`); default this instance's
   * memory, enforcing its share of each limit among `workers`.
   */
  readonly limits?: Limits;
  /** The account service (with a `store` and `accounts`), opened by the caller like `apiKeys`. */
  readonly accounts?: AccountService;
  /**
   * With several workers: fetch the other workers' expositions before `/metrics` renders, so the
   * answer covers the whole process.
   */
  readonly siblings?: {
    gather(): Promise<void>;
    expositions(format: MetricsFormat): readonly string[];
  };
}

/** What a reload did. */
export interface ReloadResult {
  readonly ok: boolean;
  readonly generation: number;
  readonly message?: string;
  readonly notices: BuildNotice[];
  /** The new config asks for another host or port (only a restart changes those). */
  readonly listenChanged: boolean;
  /** The new config changes `store` or `shared_limits` (only a restart changes those). */
  readonly storeChanged: boolean;
}

/** A running instance. */
export interface Instance {
  readonly port: number;
  readonly metrics: KeypebbleMetrics;
  current(): Runtime;
  reload(why: string): Promise<ReloadResult>;
  /** Stop accepting, finish requests in flight. */
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
  /** This instance's own exposition (no siblings), for a sibling's merge. */
  ownExposition(format: MetricsFormat): string;
}

/** Build services and start listening; throws when the port cannot be bound. */
export function startInstance(o: InstanceOptions): Instance {
  const { platform } = o;
  let raw = o.runtime;
  const metrics = createKeypebbleMetrics({ version: VERSION, runtime: platform.name });
  metrics.configGeneration.labels().set(raw.generation);
  const registry = metrics.registry;
  const own = {
    prometheus: registry.renderPrometheus.bind(registry),
    openmetrics: registry.renderOpenMetrics.bind(registry),
  };
  const sib = o.siblings;
  if (sib !== undefined) {
    // The /metrics route renders the registry; with siblings it renders the sum of all workers.
    registry.renderPrometheus = () =>
      mergeExpositions([own.prometheus(), ...sib.expositions("prometheus")], SAME_IN_EVERY_WORKER);
    registry.renderOpenMetrics = () =>
      mergeExpositions(
        [own.openmetrics(), ...sib.expositions("openmetrics")],
        SAME_IN_EVERY_WORKER,
      );
  }
  let reloadStatus: ReloadStatus = { outcome: "none" };
  const services = createServices({
    runtime: () => raw,
    config: raw.config,
    logger: o.logger,
    runtimeName: platform.name,
    metrics,
    reloadStatus: () => reloadStatus,
    ...(o.apiKeys === undefined ? {} : { apiKeys: o.apiKeys }),
    ...(o.accounts === undefined ? {} : { accounts: o.accounts }),
    limits: o.limits ?? memoryLimits({ workers: o.workers, maxKeys: MAX_TRACKED }),
  });
  const handler = createHandler(services);
  const serveHandler = sib === undefined
    ? handler
    : (req: Request, info: { remoteAddr: string }) =>
      _isMetrics(req.url) ? sib.gather().then(() => handler(req, info)) : handler(req, info);

  const server = platform.serve({
    host: raw.config.host,
    port: o.port,
    handler: serveHandler,
    reusePort: o.reusePort,
    timeouts: o.timeouts,
  });

  let reloading: Promise<ReloadResult> | undefined;
  const reloadOnce = async (): Promise<ReloadResult> => {
    const at = new Date().toISOString();
    const notices: BuildNotice[] = [];
    try {
      const next = await loadRuntime(platform, o.configPath, {
        overrides: o.overrides,
        generation: raw.generation + 1,
        notices,
      });
      const listenChanged = next.config.host !== raw.config.host ||
        next.config.port !== raw.config.port;
      const storeChanged = JSON.stringify([next.config.store, next.config.sharedLimits]) !==
        JSON.stringify([raw.config.store, raw.config.sharedLimits]);
      raw = next; // the swap: requests in flight keep the one they read
      reloadStatus = { outcome: "success", at };
      metrics.configReloads.labels("success").inc();
      metrics.configGeneration.labels().set(raw.generation);
      return { ok: true, generation: raw.generation, notices, listenChanged, storeChanged };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      reloadStatus = { outcome: "failure", at, error: message };
      metrics.configReloads.labels("failure").inc();
      return {
        ok: false,
        generation: raw.generation,
        message,
        notices,
        listenChanged: false,
        storeChanged: false,
      };
    }
  };

  return {
    port: server.port,
    metrics,
    current: () => raw,
    reload(): Promise<ReloadResult> {
      reloading ??= reloadOnce().finally(() => (reloading = undefined));
      return reloading;
    },
    shutdown: () => server.shutdown(),
    finished: server.finished,
    ownExposition: (format) => own[format](),
  };
}

/** The files a reload reads (config, keys, policy) for the `watch: true` poller. */
export function instanceFiles(configPath: string, rt: Runtime): string[] {
  return watchedFiles(configPath, rt);
}

function _isMetrics(url: string): boolean {
  // Cheap test before any URL parsing: only /metrics (with or without a query) matches.
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  return path.endsWith("/metrics") && new URL(url).pathname === "/metrics";
}

/** Log the notes a reload build left (a generated key, a weak permission, ...). */
export function logNotices(logger: Logger, notices: readonly BuildNotice[]): void {
  for (const n of notices) logger[n.level](n.event, n.fields);
}

/** Warn about the settings a reload read but cannot apply: they change only on restart. */
export function warnRestartOnly(
  logger: Logger,
  r: { readonly listenChanged: boolean; readonly storeChanged?: boolean },
): void {
  if (r.listenChanged) {
    logger.warn("reload_listen_unchanged", {
      message: "The listen address changes only on restart",
    });
  }
  if (r.storeChanged) {
    logger.warn("reload_store_unchanged", {
      message: "store and shared_limits change only on restart",
    });
  }
}
