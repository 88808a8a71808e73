import assert from "node:assert/strict";
import { parseMaxOpenFiles, parseProcStat, readProcessStats } from "./process_stats.ts";

const STAT = "4242 (keypebble (w 1)) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 75 0 0 20 0 9 0 " +
  "1234567 18679107584 16537 18446744073709551615 1 1 0 0 0 0 0 16781312 17474 0 0 0 17 1 0 0 0 0 0";

Deno.test("parseProcStat() reads CPU ticks, start, vsize and rss past a comm with spaces", () => {
  assert.deepEqual(parseProcStat(STAT), {
    utimeTicks: 250,
    stimeTicks: 75,
    startTicks: 1234567,
    vsizeBytes: 18679107584,
    rssBytes: 16537 * 4096,
  });
  assert.equal(parseProcStat("garbage"), undefined);
});

Deno.test("parseMaxOpenFiles() reads the soft limit", () => {
  const limits = "Limit                     Soft Limit           Hard Limit           Units\n" +
    "Max open files            1024                 524288               files\n";
  assert.equal(parseMaxOpenFiles(limits), 1024);
  assert.equal(parseMaxOpenFiles(limits.replace("1024", "unlimited")), undefined);
});

Deno.test("readProcessStats() prefers /proc and falls back to the runtime, leaving out the rest", async () => {
  const full = await readProcessStats({
    readText: (p) =>
      Promise.resolve(
        p === "/proc/self/stat"
          ? STAT
          : p === "/proc/stat"
          ? "cpu 1 2 3\nbtime 1700000000\n"
          : "Max open files 4096 4096 files\n",
      ),
    countEntries: () => Promise.resolve(11),
    rss: () => 5_000_000,
    cpuMicros: () => Promise.resolve(1),
    startTime: () => 1,
  });
  assert.deepEqual(full, {
    residentBytes: 5_000_000,
    virtualBytes: 18679107584,
    cpuSeconds: 3.25,
    startTimeSeconds: 1700000000 + 12345.67,
    openFds: 10,
    maxFds: 4096,
  });
  const bare = await readProcessStats({
    readText: () => Promise.resolve(undefined),
    countEntries: () => Promise.resolve(undefined),
    rss: () => 5_000_000,
    cpuMicros: () => Promise.resolve(2_500_000),
    startTime: () => 1_700_000_000,
  });
  assert.deepEqual(bare, {
    residentBytes: 5_000_000,
    cpuSeconds: 2.5,
    startTimeSeconds: 1_700_000_000,
  });
});
