/**
 * The typed bundle of Keypebble's own series. The HTTP layer and the server hold one bundle per
 * process (it survives config reloads) and render `registry` on `GET /metrics`.
 *
 * Every label here has a bounded value set when callers follow the contract: `route` is a
 * route template (`/apis/.../serviceaccounts/{name}/token`, never the raw path), `code` a status,
 * `reason` a stable error code. Each metric is capped at `maxChildren` anyway (overflow child
 * `"other"`), so a mistake cannot explode cardinality.
 */

import {
  type Counter,
  type Gauge,
  type Histogram,
  type Info,
  MetricsRegistry,
} from "./registry.ts";

/** Label value of `scope` on rate-limit and lockout counters. */
export type LimitScope = "address" | "principal";

/** Label value of `outcome` on config reloads. */
export type ReloadOutcome = "success" | "failure";

/** Keypebble's metrics, each a fixed-label handle into `registry`. */
export interface KeypebbleMetrics {
  /** The registry holding every series below; render it on `GET /metrics`. */
  readonly registry: MetricsRegistry;
  /** `keypebble_http_requests_total{route,method,code}`. */
  readonly httpRequests: Counter<[route: string, method: string, code: string]>;
  /** `keypebble_http_request_duration_seconds{route}` (histogram, seconds). */
  readonly httpDuration: Histogram<[route: string]>;
  /** `keypebble_tokens_issued_total{kind,alg}`; kind e.g. `auth`, `registry`, `command`, `ksa`. */
  readonly tokensIssued: Counter<[kind: string, alg: string]>;
  /** `keypebble_auth_failures_total{reason}`; reason a stable error code. */
  readonly authFailures: Counter<[reason: string]>;
  /** `keypebble_rate_limited_total{scope}`. */
  readonly rateLimited: Counter<[scope: LimitScope]>;
  /** `keypebble_lockouts_total{scope}`: entries that became locked. */
  readonly lockouts: Counter<[scope: LimitScope]>;
  /** `keypebble_config_reloads_total{outcome}`. */
  readonly configReloads: Counter<[outcome: ReloadOutcome]>;
  /** `keypebble_config_generation`: 1 at start, +1 per successful reload. */
  readonly configGeneration: Gauge<[]>;
  /** `keypebble_build_info{version,runtime} 1` (OpenMetrics type `info`). */
  readonly buildInfo: Info<[version: string, runtime: string]>;
}

/**
 * Creates a registry with Keypebble's series registered, the build info set, and the bounded
 * label values (`scope`, `outcome`) pre-created so they render as 0 before the first event.
 *
 * @example
 * ```ts
 * const m = createKeypebbleMetrics({ version: "0.1.0", runtime: "deno 2.9.6" });
 * m.httpRequests.labels("/auth", "POST", "200").inc();
 * m.httpDuration.labels("/auth").observe(0.0021);
 * ```
 */
export function createKeypebbleMetrics(
  info: { version: string; runtime: string },
): KeypebbleMetrics {
  const r = new MetricsRegistry();
  const m: KeypebbleMetrics = {
    registry: r,
    buildInfo: r.info("keypebble_build", "Keypebble version and runtime", ["version", "runtime"]),
    configGeneration: r.gauge(
      "keypebble_config_generation",
      "Generation of the active configuration, 1 at start and +1 per successful reload",
      [],
    ),
    configReloads: r.counter("keypebble_config_reloads", "Configuration reloads by outcome", [
      "outcome",
    ]),
    httpRequests: r.counter("keypebble_http_requests", "HTTP requests by route template", [
      "route",
      "method",
      "code",
    ]),
    httpDuration: r.histogram(
      "keypebble_http_request_duration_seconds",
      "HTTP request duration by route template",
      ["route"],
      { unit: "seconds" },
    ),
    tokensIssued: r.counter("keypebble_tokens_issued", "Tokens issued by kind and algorithm", [
      "kind",
      "alg",
    ]),
    authFailures: r.counter("keypebble_auth_failures", "Failed authentications by reason", [
      "reason",
    ]),
    rateLimited: r.counter("keypebble_rate_limited", "Requests refused by a rate limit", [
      "scope",
    ]),
    lockouts: r.counter("keypebble_lockouts", "Keys locked out after repeated failures", [
      "scope",
    ]),
  };
  m.buildInfo.labels(info.version, info.runtime);
  m.configGeneration.labels().set(1);
  for (const s of ["address", "principal"] as const) {
    m.rateLimited.labels(s);
    m.lockouts.labels(s);
  }
  for (const o of ["success", "failure"] as const) m.configReloads.labels(o);
  return m;
}
