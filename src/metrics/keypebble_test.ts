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
