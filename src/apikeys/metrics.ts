/**
 * `keypebble_api_key_requests_total{org,outcome}`: requests checked with an API key, by
 * organisation and outcome (`allowed`, `refused`), registered on first use in the process's
 * registry (at most 1000 organisations, then the overflow child).
 */

import type { Counter, MetricsRegistry } from "../metrics/registry.ts";
import type { KeypebbleMetrics } from "../metrics/mod.ts";

const COUNTERS = new WeakMap<MetricsRegistry, Counter<[org: string, outcome: string]>>();

/** The counter for `metrics`' registry. */
export function apiKeyRequests(metrics: KeypebbleMetrics): Counter<[org: string, outcome: string]> {
  let c = COUNTERS.get(metrics.registry);
  if (c === undefined) {
    c = metrics.registry.counter(
      "keypebble_api_key_requests",
      "Requests checked with an API key, by organisation and outcome",
      ["org", "outcome"],
    );
    COUNTERS.set(metrics.registry, c);
  }
  return c;
}
