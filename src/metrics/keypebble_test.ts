import assert from "node:assert/strict";
import { createKeypebbleMetrics, type KeypebbleMetrics } from "./keypebble.ts";

function populated(): KeypebbleMetrics {
  const m = createKeypebbleMetrics({ version: "0.1.0", runtime: 'deno "2.9" \\ \nx' });
  m.httpRequests.labels("/auth", "POST", "200").inc();
  m.httpRequests.labels("/v2/token", "GET", "401").inc(2);
  m.httpDuration.labels("/auth").observe(0.0021);
  m.httpDuration.labels("/auth").observe(0.7);
  m.tokensIssued.labels("auth", "HS256").inc();
  m.authFailures.labels("unauthorized").inc();
  m.rateLimited.labels("address").inc();
  m.lockouts.labels("principal").inc();
  m.configReloads.labels("success").inc();
  m.configGeneration.labels().set(2);
  return m;
}

async function promtool(text: string): Promise<{ code: number; output: string }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    // A missing tool is a failure, not a skip: this test is the format's conformance check.
    throw new Error(`promtool is required for this test (install prometheus): ${e}`);
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, output: (dec.decode(out.stdout) + dec.decode(out.stderr)).trim() };
}

Deno.test("Keypebble metrics in Prometheus 0.0.4 pass promtool check metrics with no lint problems", async () => {
  const text = populated().registry.renderPrometheus();
  const { code, output } = await promtool(text);
  assert.equal(code, 0, `promtool failed:\n${output}\n---\n${text}`);
  // promtool prints one line per lint problem ("name: problem"); clean output is empty.
  const problems = output.split("\n").filter((l) => l.trim() !== "");
  assert.deepEqual(problems, [], `promtool lint problems:\n${output}`);
});

Deno.test("promtool check fails on a broken exposition (the check is real)", async () => {
  const { code } = await promtool('# TYPE x counter\nx_total{a="b} 1\n');
  assert.notEqual(code, 0);
});

Deno.test("createKeypebbleMetrics() renders every series in both formats", () => {
  const m = populated();
  const prom = m.registry.renderPrometheus();
  const om = m.registry.renderOpenMetrics();
  for (
    const needle of [
      'keypebble_http_requests_total{route="/v2/token",method="GET",code="401"} 2\n',
      'keypebble_http_request_duration_seconds_bucket{route="/auth",le="+Inf"} 2\n',
      'keypebble_http_request_duration_seconds_count{route="/auth"} 2\n',
      'keypebble_tokens_issued_total{kind="auth",alg="HS256"} 1\n',
      'keypebble_auth_failures_total{reason="unauthorized"} 1\n',
      'keypebble_rate_limited_total{scope="address"} 1\n',
      'keypebble_rate_limited_total{scope="principal"} 0\n',
      'keypebble_lockouts_total{scope="principal"} 1\n',
      'keypebble_config_reloads_total{outcome="failure"} 0\n',
      "keypebble_config_generation 2\n",
      'keypebble_build_info{version="0.1.0",runtime="deno \\"2.9\\" \\\\ \\nx"} 1\n',
    ]
  ) {
    assert.ok(prom.includes(needle), `prometheus text lacks ${needle}`);
    assert.ok(om.includes(needle), `openmetrics text lacks ${needle}`);
  }
  assert.ok(prom.includes("# TYPE keypebble_http_requests_total counter\n"));
  assert.ok(prom.includes("# TYPE keypebble_build_info gauge\n"));
  assert.ok(om.includes("# TYPE keypebble_http_requests counter\n"));
  assert.ok(om.includes("# TYPE keypebble_build info\n"));
  assert.ok(om.endsWith("# EOF\n"));
});
