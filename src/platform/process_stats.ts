/**
 * The process facts behind `/metrics`' `process_*` series, as the Prometheus client libraries
 * define them (process collector: resident and virtual memory, CPU seconds, start time, open and
 * maximum file descriptors). The adapters read them when `/metrics` is scraped, never per
 * request: Linux's `/proc/self` where the process may read it, the runtime's own counters
 * (`memoryUsage().rss`, `cpuUsage()`) otherwise. A fact that cannot be read is absent, and its
 * series is not exposed, rather than exposed as a false 0.
 */

/** One reading; every field optional. */
export interface ProcessStats {
  readonly residentBytes?: number;
  readonly virtualBytes?: number;
  /** User plus system CPU time since the process started. */
  readonly cpuSeconds?: number;
  /** Seconds since the epoch. */
  readonly startTimeSeconds?: number;
  readonly openFds?: number;
  /** The soft limit on open files (`RLIMIT_NOFILE`). */
  readonly maxFds?: number;
}

/** What a runtime offers to read them. */
export interface ProcessStatsSource {
  /** The text of a `/proc` file, or undefined when it cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** How many entries a directory has, or undefined. */
  countEntries(path: string): Promise<number | undefined>;
  /** Resident set size from the runtime (no file access). */
  rss(): number | undefined;
  /** User + system CPU microseconds from the runtime (`getrusage`), or undefined. */
  cpuMicros(): Promise<number | undefined>;
  /** Seconds since the epoch when this process began, from the runtime, or undefined. */
  startTime(): number | undefined;
}

/** Linux's USER_HZ: the unit of `/proc/<pid>/stat` times on every architecture Linux exposes. */
const USER_HZ = 100;

/** Read every fact `src` can give. */
export async function readProcessStats(src: ProcessStatsSource): Promise<ProcessStats> {
  const [stat, limits, boot, fds, cpu] = await Promise.all([
    src.readText("/proc/self/stat"),
    src.readText("/proc/self/limits"),
    src.readText("/proc/stat"),
    src.countEntries("/proc/self/fd"),
    src.cpuMicros(),
  ]);
  const s = stat === undefined ? undefined : parseProcStat(stat);
  const btime = boot === undefined ? undefined : /^btime (\d+)$/m.exec(boot)?.[1];
  const rss = src.rss();
  const start = s !== undefined && btime !== undefined
    ? Number(btime) + s.startTicks / USER_HZ
    : src.startTime();
  const maxFds = limits === undefined ? undefined : parseMaxOpenFiles(limits);
  return _defined({
    residentBytes: rss ?? s?.rssBytes,
    virtualBytes: s?.vsizeBytes,
    cpuSeconds: s !== undefined
      ? (s.utimeTicks + s.stimeTicks) / USER_HZ
      : cpu === undefined
      ? undefined
      : cpu / 1e6,
    startTimeSeconds: start,
    // The directory listing itself holds one descriptor while it is read.
    openFds: fds === undefined ? undefined : Math.max(0, fds - 1),
    maxFds,
  });
}

/** The fields of `/proc/<pid>/stat` used here (proc(5); the comm field may hold spaces). */
export function parseProcStat(
  text: string,
): {
  utimeTicks: number;
  stimeTicks: number;
  startTicks: number;
  vsizeBytes: number;
  rssBytes: number;
} | undefined {
  const close = text.lastIndexOf(")");
  if (close === -1) return undefined;
  // After "pid (comm) ": field 3 (state) is index 0; utime is field 14, stime 15, starttime 22,
  // vsize 23, rss 24 (in pages).
  const f = text.slice(close + 2).trim().split(/\s+/);
  const n = (field: number) => Number(f[field - 3]);
  const out = {
    utimeTicks: n(14),
    stimeTicks: n(15),
    startTicks: n(22),
    vsizeBytes: n(23),
    rssBytes: n(24) * 4096,
  };
  return Object.values(out).every(Number.isFinite) ? out : undefined;
}

/** The soft "Max open files" of `/proc/<pid>/limits`, undefined when unlimited or absent. */
export function parseMaxOpenFiles(text: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null || m[1] === "unlimited") return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

function _defined(o: Record<string, number | undefined>): ProcessStats {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && Number.isFinite(v)) out[k] = v;
  return out;
}
