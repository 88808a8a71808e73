/**
 * The standard `process_*` series (the Prometheus client libraries' process collector), fed
 * from a {@link ProcessStats} reading taken when `/metrics` is scraped. Only the facts the first
 * reading had are registered: a runtime or a sandbox that cannot read one (Deno without read
 * access to /proc, a non-Linux system) exposes no series for it rather than a false 0.
 */

import type { MetricsRegistry } from "./registry.ts";

/**
 * One reading of the process (the shape of src/platform/process_stats.ts's `ProcessStats`,
 * restated here: metrics and platform are one layer and do not import each other).
 */
export interface ProcessStats {
  readonly residentBytes?: number;
  readonly virtualBytes?: number;
  readonly cpuSeconds?: number;
  readonly startTimeSeconds?: number;
  readonly openFds?: number;
  readonly maxFds?: number;
}

/** Updates the registered series from a new reading. */
export type ProcessMetricsUpdate = (stats: ProcessStats) => void;

/** Register the series `first` has values for; returns the updater. */
export function registerProcessMetrics(
  r: MetricsRegistry,
  first: ProcessStats,
): ProcessMetricsUpdate {
  const setters: ((s: ProcessStats) => void)[] = [];
  const gauge = (
    key: keyof ProcessStats,
    name: string,
    help: string,
    unit?: string,
  ) => {
    if (first[key] === undefined) return;
    const child = r.gauge(name, help, [], unit === undefined ? {} : { unit }).labels();
    setters.push((s) => {
      const v = s[key];
      if (v !== undefined) child.set(v);
    });
  };
  gauge(
    "residentBytes",
    "process_resident_memory_bytes",
    "Resident memory size in bytes",
    "bytes",
  );
  gauge(
    "virtualBytes",
    "process_virtual_memory_bytes",
    "Virtual memory size in bytes",
    "bytes",
  );
  gauge(
    "startTimeSeconds",
    "process_start_time_seconds",
    "Start time of the process since the Unix epoch in seconds",
    "seconds",
  );
  gauge("openFds", "process_open_fds", "Number of open file descriptors");
  gauge("maxFds", "process_max_fds", "Maximum number of open file descriptors");
  if (first.cpuSeconds !== undefined) {
    const cpu = r.counter(
      "process_cpu_seconds",
      "Total user and system CPU time spent in seconds",
      [],
      { unit: "seconds" },
    ).labels();
    setters.push((s) => {
      // A counter only grows: add what the process used since the last reading.
      if (s.cpuSeconds !== undefined && s.cpuSeconds > cpu.value) cpu.inc(s.cpuSeconds - cpu.value);
    });
  }
  const update = (s: ProcessStats) => {
    for (const set of setters) set(s);
  };
  update(first);
  return update;
}
