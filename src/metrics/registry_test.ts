import assert from "node:assert/strict";
import { escapeLabelValue, MetricsRegistry, OVERFLOW_LABEL_VALUE } from "./registry.ts";

function sampleLines(text: string, prefix: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(prefix));
}

Deno.test("labels() returns the same cached child for the same values", () => {
  const r = new MetricsRegistry();
  const c = r.counter("t_requests", "Requests", ["route", "method"]);
  const a = c.labels("/auth", "POST");
  assert.equal(c.labels("/auth", "POST"), a);
  assert.notEqual(c.labels("/auth", "GET"), a);
  assert.notEqual(c.labels("/v2/token", "POST"), a);
  assert.equal(c.size, 3);
});

Deno.test("labels() rejects the wrong number of label values", () => {
  const c = new MetricsRegistry().counter("t_x", "X", ["a", "b"]);
  assert.throws(
    () => (c.labels as (...v: string[]) => unknown)("only-one"),
    /takes "2" label values/,
  );
});

Deno.test("counter inc() rejects negative and non-finite increments", () => {
  const c = new MetricsRegistry().counter("t_x", "X", []).labels();
  assert.throws(() => c.inc(-1));
  assert.throws(() => c.inc(NaN));
  assert.throws(() => c.inc(Infinity));
  c.inc(2.5);
  assert.equal(c.value, 2.5);
});

Deno.test("registry rejects duplicate and colliding names and bad label names", () => {
  const r = new MetricsRegistry();
  r.counter("t_requests", "A", []);
  assert.throws(() => r.counter("t_requests_total", "B", []), /already registered/);
  assert.throws(() => r.gauge("t_requests_total", "C", []), /already registered/);
  assert.throws(() => r.gauge("bad-name", "D", []), /not valid/);
  assert.throws(() => r.gauge("t_g", "E", ["__reserved"]), /not valid/);
  assert.throws(() => r.histogram("t_h", "F", ["le"]), /not valid/);
  assert.throws(() => r.histogram("t_h2_seconds", "G", [], { unit: "bytes" }), /must end with/);
  assert.throws(() => r.histogram("t_h3", "H", [], { buckets: [1, 1] }), /strictly increasing/);
});

Deno.test("renderPrometheus() names counters with _total on HELP, TYPE and samples", () => {
  const r = new MetricsRegistry();
  r.counter("keypebble_http_requests", "HTTP requests", ["route", "method", "code"])
    .labels("/auth", "POST", "200").inc();
  const text = r.renderPrometheus();
  assert.equal(
    text,
    "# HELP keypebble_http_requests_total HTTP requests\n" +
      "# TYPE keypebble_http_requests_total counter\n" +
      'keypebble_http_requests_total{route="/auth",method="POST",code="200"} 1\n',
  );
  assert.ok(!text.includes("# EOF"));
});

Deno.test("renderOpenMetrics() uses family names on TYPE lines and ends with # EOF", () => {
  const r = new MetricsRegistry();
  r.counter("keypebble_http_requests", "HTTP requests", ["route"]).labels("/auth").inc(3);
  r.info("keypebble_build", "Build", ["version"]).labels("1.2.3");
  r.gauge("keypebble_config_generation", "Generation", []).labels().set(7);
  const text = r.renderOpenMetrics();
  assert.ok(text.endsWith("# EOF\n"));
  assert.equal(text.indexOf("# EOF"), text.length - "# EOF\n".length);
  for (const line of text.split("\n").filter((l) => l.startsWith("# TYPE"))) {
    assert.ok(!/_total\s/.test(line), `TYPE line has _total: ${line}`);
  }
  assert.ok(text.includes("# TYPE keypebble_http_requests counter\n"));
  assert.ok(text.includes('keypebble_http_requests_total{route="/auth"} 3\n'));
  assert.ok(text.includes("# TYPE keypebble_build info\n"));
  assert.ok(text.includes('keypebble_build_info{version="1.2.3"} 1\n'));
  assert.ok(text.includes("# TYPE keypebble_config_generation gauge\n"));
  assert.ok(text.includes("keypebble_config_generation 7\n"));
});

Deno.test("histogram buckets render cumulative, monotonic, with +Inf equal to _count", () => {
  const r = new MetricsRegistry();
  const h = r.histogram("t_duration_seconds", "Duration", ["route"], { unit: "seconds" });
  const child = h.labels("/auth");
  for (const v of [0.0001, 0.0005, 0.003, 0.003, 0.2, 1, 7, 100]) child.observe(v);
  for (const text of [r.renderPrometheus(), r.renderOpenMetrics()]) {
    const buckets = sampleLines(text, "t_duration_seconds_bucket");
    assert.equal(buckets.length, h.buckets.length + 1);
    const values = buckets.map((l) => Number(l.split(" ").at(-1)));
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!);
    assert.ok(buckets.at(-1)!.includes('le="+Inf"'));
    const count = Number(sampleLines(text, "t_duration_seconds_count")[0]!.split(" ").at(-1));
    assert.equal(values.at(-1), count);
    assert.equal(count, 8);
    // le is inclusive: 0.0005 lands in the 0.0005 bucket alongside 0.0001.
    assert.ok(buckets[0]!.endsWith('le="0.0005"} 2'));
    assert.ok(text.includes('t_duration_seconds_bucket{route="/auth",le="1.0"} 6\n'));
    const sum = Number(sampleLines(text, "t_duration_seconds_sum")[0]!.split(" ").at(-1));
    assert.ok(Math.abs(sum - 108.2066) < 1e-9);
  }
  assert.ok(r.renderOpenMetrics().includes("# UNIT t_duration_seconds seconds\n"));
  assert.ok(!r.renderPrometheus().includes("# UNIT"));
});

Deno.test("label values escape backslash, double quote and newline", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const r = new MetricsRegistry();
  r.counter("t_x", 'Help with \\ and "quote"\nnext', ["v"]).labels('a"b\\c\nd').inc();
  const prom = r.renderPrometheus();
  assert.ok(prom.includes('t_x_total{v="a\\"b\\\\c\\nd"} 1\n'));
  // 0.0.4 HELP escapes only backslash and newline; OpenMetrics also the double quote.
  assert.ok(prom.includes('# HELP t_x_total Help with \\\\ and "quote"\\nnext\n'));
  assert.ok(r.renderOpenMetrics().includes('# HELP t_x Help with \\\\ and \\"quote\\"\\nnext\n'));
  for (const text of [prom, r.renderOpenMetrics()]) {
    assert.equal(text.split("\n").filter((l) => l.startsWith("t_x")).length, 1);
  }
});

Deno.test("labels() past maxChildren folds new combinations into one 'other' child", () => {
  const r = new MetricsRegistry();
  const c = r.counter("t_paths", "Paths", ["route", "method"], { maxChildren: 3 });
  c.labels("/a", "GET").inc();
  c.labels("/b", "GET").inc();
  c.labels("/c", "GET").inc();
  for (let i = 0; i < 10_000; i++) c.labels(`/random/${i}`, "GET").inc();
  assert.equal(c.size, 4);
  assert.equal(c.labels("/a", "GET").value, 1);
  assert.equal(c.labels("/zzz", "POST"), c.labels("/yyy", "PUT"));
  assert.equal(c.labels("/zzz", "POST").value, 10_000);
  const text = r.renderPrometheus();
  assert.ok(
    text.includes(
      `t_paths_total{route="${OVERFLOW_LABEL_VALUE}",method="${OVERFLOW_LABEL_VALUE}"} 10000\n`,
    ),
  );
  assert.equal(sampleLines(text, "t_paths_total").length, 4);
});

Deno.test("a metric without labels renders 0 before first use", () => {
  const r = new MetricsRegistry();
  r.counter("t_plain", "Plain", []);
  r.histogram("t_h", "H", [], { buckets: [1] });
  assert.ok(r.renderPrometheus().includes("t_plain_total 0\n"));
  assert.ok(r.renderOpenMetrics().includes('t_h_bucket{le="+Inf"} 0\n'));
  assert.ok(r.renderOpenMetrics().includes("t_h_count 0\n"));
});
