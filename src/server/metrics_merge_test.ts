import assert from "node:assert/strict";
import { createKeypebbleMetrics } from "../metrics/mod.ts";
import { mergeExpositions } from "./metrics_merge.ts";

function worker(reqs: number, extraRoute?: string) {
  const m = createKeypebbleMetrics({ version: "1", runtime: "test" });
  m.configGeneration.labels().set(3);
  m.configReloads.labels("success").inc(2);
  for (let i = 0; i < reqs; i++) {
    m.httpRequests.labels("/auth", "POST", "200").inc();
    m.httpDuration.labels("/auth").observe(0.002);
  }
  if (extraRoute) {
    m.httpRequests.labels(extraRoute, "GET", "200").inc();
    m.httpDuration.labels(extraRoute).observe(0.2);
  }
  return m.registry;
}

const SAME = new Set([
  "keypebble_config_reloads",
  "keypebble_config_generation",
  "keypebble_build",
]);

Deno.test("merging sums counters and histograms, keeps gauges and per-process counters", () => {
  const a = worker(3);
  const b = worker(4, "/healthz");
  for (const format of ["prometheus", "openmetrics"] as const) {
    const text = mergeExpositions([a.render(format), b.render(format)], SAME);
    assert.match(
      text,
      /^keypebble_http_requests_total\{route="\/auth",method="POST",code="200"\} 7$/m,
    );
    assert.match(
      text,
      /^keypebble_http_requests_total\{route="\/healthz",method="GET",code="200"\} 1$/m,
    );
    assert.match(text, /^keypebble_http_request_duration_seconds_count\{route="\/auth"\} 7$/m);
    assert.match(
      text,
      /^keypebble_http_request_duration_seconds_bucket\{route="\/healthz",le="\+Inf"\} 1$/m,
    );
    assert.match(text, /^keypebble_config_generation 3$/m);
    assert.match(text, /^keypebble_config_reloads_total\{outcome="success"\} 2$/m);
    assert.match(text, /^keypebble_build_info\{version="1",runtime="test"\} 1$/m);
    // every family header once, and (OpenMetrics) one # EOF at the very end
    const headers = text.split("\n").filter((l) => l.startsWith("# TYPE"));
    assert.equal(new Set(headers).size, headers.length);
    if (format === "openmetrics") {
      assert.ok(text.endsWith("# EOF\n"));
      assert.equal(text.split("# EOF").length, 2);
    }
  }
});

Deno.test("a series only one worker has lands next to its label set, buckets in order", () => {
  const a = worker(1);
  const b = worker(1, "/healthz");
  const text = mergeExpositions([a.renderPrometheus(), b.renderPrometheus()], SAME);
  const lines = text.split("\n").filter((l) =>
    l.includes('route="/healthz"') && l.includes("_bucket")
  );
  const les = lines.map((l) => /le="([^"]+)"/.exec(l)![1]);
  assert.equal(les.at(-1), "+Inf");
  const nums = les.slice(0, -1).map(Number);
  assert.deepEqual(nums, [...nums].sort((x, y) => x - y));
  // the healthz group is contiguous
  const all = text.split("\n");
  const idx = all.map((
    l,
    i,
  ) => (l.includes('route="/healthz"') && l.startsWith("keypebble_http_request_duration") ? i : -1))
    .filter((i) => i >= 0);
  assert.equal(idx.at(-1)! - idx[0] + 1, idx.length);
});

Deno.test("one exposition merges to itself", () => {
  const a = worker(5).renderOpenMetrics();
  assert.equal(mergeExpositions([a], SAME), a);
});
