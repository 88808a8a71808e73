import assert from "node:assert/strict";
import { registerProcessMetrics } from "./process.ts";
import { MetricsRegistry } from "./registry.ts";

Deno.test("registerProcessMetrics() exposes what was read, and CPU time as a growing counter", () => {
  const r = new MetricsRegistry();
  const update = registerProcessMetrics(r, { residentBytes: 100, cpuSeconds: 1.5 });
  let text = r.renderPrometheus();
  assert.match(text, /^process_resident_memory_bytes 100$/m);
  assert.match(text, /^process_cpu_seconds_total 1\.5$/m);
  assert.doesNotMatch(text, /process_open_fds/, "an unread fact is not exposed as 0");
  update({ residentBytes: 90, cpuSeconds: 2 });
  text = r.renderPrometheus();
  assert.match(text, /^process_resident_memory_bytes 90$/m);
  assert.match(text, /^process_cpu_seconds_total 2$/m);
  assert.match(r.renderOpenMetrics(), /^# UNIT process_cpu_seconds seconds$/m);
});
