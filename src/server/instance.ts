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
  type ProcessMetricsUpdate,
  registerProcessMetrics,
} from "../metrics/mod.ts";
import type { ClientTimeouts, ConnFacts, Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  loadRuntime,
  type Runtime,
  watchedFiles,
} from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { isReadyz, notReadyResponse } from "./draining.ts";
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
   * Expose the `process_*` series (one worker per process does: they describe the process, and
   * the workers' expositions are summed).
   */
  readonly processMetrics?: boolean;
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
  /**
   * The new config turns TLS on or off, or changes whether client certificates are asked for
   * (only a restart changes those; a new certificate, key or CA bundle is swapped in).
   */
  readonly tlsModeChanged?: boolean;
  /** A new certificate is served from now on (its subject and end), for the log. */
  readonly tlsSwapped?: { readonly subject: string; readonly notAfter: string };
}

/** A running instance. */
export interface Instance {
  readonly port: number;
  /** ALPN protocols the listener offers (`[]` without TLS). */
  readonly protocols: readonly string[];
  readonly metrics: KeypebbleMetrics;
  current(): Runtime;
  reload(why: string): Promise<ReloadResult>;
  /** Stop accepting (new connections are refused), `/readyz` 503, finish requests in flight. */
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
  /** This instance's own exposition (no siblings), for a sibling's merge. */
  ownExposition(format: MetricsFormat): string;
  /** Read the `process_*` facts now (before an exposition is rendered). */
  refreshProcessMetrics(): Promise<void>;
}

/** Build services and start listening; rejects when the port cannot be bound. */
export async function startInstance(o: InstanceOptions): Promise<Instance> {
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
  // process_* (read when scraped, never per request)
  let updateProcess: ProcessMetricsUpdate | undefined;
  if (o.processMetrics && platform.processStats !== undefined) {
    updateProcess = registerProcessMetrics(registry, await platform.processStats());
  }
  const refreshProcess = async (): Promise<void> => {
    if (updateProcess !== undefined) updateProcess(await platform.processStats!());
  };
  let reloadStatus: ReloadStatus = { outcome: "none" };
  let draining = false;
  const services = createServices({
    ready: () => !draining,
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
  const serveHandler = (req: Request, info: ConnFacts): Promise<Response> => {
    // Once draining, /readyz says so (a probe on a kept-alive connection takes this instance
    // out of rotation); everything else in flight is served as usual. (`services.ready` tells
    // the routes the same, for when the health route answers it itself.)
    if (draining && isReadyz(req.url)) return Promise.resolve(notReadyResponse());
    if ((sib !== undefined || updateProcess !== undefined) && _isMetrics(req.url)) {
      return refreshProcess().then(() => sib?.gather()).then(() => handler(req, info));
    }
    return handler(req, info);
  };

  const server = await platform.serve({
    host: raw.config.host,
    port: o.port,
    handler: serveHandler,
    reusePort: o.reusePort,
    timeouts: o.timeouts,
    ...(raw.tls === undefined ? {} : { tls: raw.tls }),
  });
  /** The TLS material the listener serves (a reload may not be able to change it). */
  let served = raw.tls;

  /**
   * When this process first published each kid in its JWKS. Keys served at start count as
   * published long ago (their history is unknown): only a reload can be caught signing with a
   * key verifiers may not have fetched yet.
   */
  const published = new Map<string, number>();
  _notePublished(published, raw, -Infinity);

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
      const tlsModeChanged = _tlsMode(next.tls) !== _tlsMode(served);
      let tlsSwapped: ReloadResult["tlsSwapped"];
      if (!tlsModeChanged && next.tls !== undefined && next.tls.id !== served?.id) {
        // The new pair is served before the runtime swaps: if the listener refuses it, the
        // whole reload fails and the old pair, like the old config, keeps serving.
        try {
          await server.updateTls!(next.tls);
        } catch (e) {
          throw new Error(
            `${next.config.source}: service.tls: the new certificate cannot be served: ${
              e instanceof Error ? e.message : String(e)
            }`,
          );
        }
        served = next.tls;
        tlsSwapped = {
          subject: next.tls.leaf.subject,
          notAfter: new Date(next.tls.leaf.notAfter).toISOString(),
        };
      }
      _warnEarlySigners(published, raw, next, Date.now(), notices);
      raw = next; // the swap: requests in flight keep the one they read
      reloadStatus = { outcome: "success", at };
      metrics.configReloads.labels("success").inc();
      metrics.configGeneration.labels().set(raw.generation);
      return {
        ok: true,
        generation: raw.generation,
        notices,
        listenChanged,
        storeChanged,
        ...(tlsModeChanged ? { tlsModeChanged } : {}),
        ...(tlsSwapped === undefined ? {} : { tlsSwapped }),
      };
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
    protocols: server.protocols,
    metrics,
    current: () => raw,
    reload(): Promise<ReloadResult> {
      reloading ??= reloadOnce().finally(() => (reloading = undefined));
      return reloading;
    },
    shutdown: () => {
      draining = true;
      return server.shutdown();
    },
    finished: server.finished,
    ownExposition: (format) => own[format](),
    refreshProcessMetrics: refreshProcess,
  };
}

/** Record the kids `rt` publishes that were not published before, at `at`. */
function _notePublished(published: Map<string, number>, rt: Runtime, at: number): void {
  for (const k of rt.keyring.keys) {
    if (k.publicJwk !== undefined && k.kid !== undefined && !published.has(k.kid)) {
      published.set(k.kid, at);
    }
  }
}

/**
 * A key that starts signing with this reload must have been in the JWKS for at least
 * `jwks_max_age_seconds`, or a verifier caching the JWKS meets a kid it does not know (docs/keys.md
 * "Keys and rotation": stage it first). Warned about, not refused: an emergency rotation after a
 * leak must be able to switch at once.
 */
function _warnEarlySigners(
  published: Map<string, number>,
  before: Runtime,
  next: Runtime,
  now: number,
  notices: BuildNotice[],
): void {
  const signers = (rt: Runtime) =>
    new Set(Object.values(rt.profiles).map((p) => p.signer.kid).filter((k) => k !== undefined));
  const was = signers(before);
  _notePublished(published, next, now);
  const maxAge = next.config.jwksMaxAgeSeconds;
  for (const kid of signers(next)) {
    if (was.has(kid)) continue;
    const entry = next.keyring.keys.find((k) => k.kid === kid);
    if (entry?.publicJwk === undefined) continue; // an HMAC secret: shared out of band
    const since = (now - (published.get(kid) ?? now)) / 1000;
    if (since >= maxAge) continue;
    notices.push({
      level: "warn",
      event: "key_signs_early",
      fields: {
        kid,
        published_seconds_ago: Math.floor(since),
        jwks_max_age_seconds: maxAge,
        message: `kid "${kid}" signs from now on but entered the JWKS ${
          Math.floor(since)
        } s ago: verifiers caching the JWKS (up to jwks_max_age_seconds, ${maxAge} s) may not know it yet; stage the next key first (keys[].staged: true), docs/keys.md "Keys and rotation"`,
      },
    });
  }
}

/** `http`, `https` or `mtls-required` / `mtls-optional`: what only a restart changes. */
function _tlsMode(tls: Runtime["tls"]): string {
  if (tls === undefined) return "http";
  return tls.clientCa === undefined ? "https" : `mtls-${tls.clientCertificates}`;
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
  r: {
    readonly listenChanged: boolean;
    readonly storeChanged?: boolean;
    readonly tlsModeChanged?: boolean;
  },
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
  if (r.tlsModeChanged) {
    logger.warn("reload_tls_unchanged", {
      message:
        "Turning service.tls on or off, and client_ca_path or client_certificates, change only on restart (a new certificate, key or CA bundle is swapped on reload)",
    });
  }
}
