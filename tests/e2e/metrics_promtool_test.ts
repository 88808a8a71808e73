/**
 * The metrics exposition checked by the real `promtool check metrics` (Debian package
 * prometheus, installed by .ci/run): the metric set alone, and a live handler after traffic.
 */

import assert from "node:assert/strict";
import { createKeypebbleMetrics } from "../../src/metrics/mod.ts";
import { basicAuth, makeTestHandler } from "../helpers/handler.ts";

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
  const m = createKeypebbleMetrics({ version: "0.1.0", runtime: 'deno "2.9" \\ \nx' });
  m.httpRequests.labels("/auth", "POST", "200").inc();
  m.httpRequests.labels("/v2/token", "GET", "401").inc(2);
  m.httpDuration.labels("/auth").observe(0.0021);
  m.tokensIssued.labels("auth", "HS256").inc();
  m.authFailures.labels("unauthorized").inc();
  m.rateLimited.labels("address").inc();
  m.lockouts.labels("principal").inc();
  m.configReloads.labels("success").inc();
  m.configGeneration.labels().set(2);
  const text = m.registry.renderPrometheus();
  const { code, output } = await promtool(text);
  assert.equal(code, 0, `promtool failed:\n${output}\n---\n${text}`);
  const problems = output.split("\n").filter((l) => l.trim() !== "");
  assert.deepEqual(problems, [], `promtool lint problems:\n${output}`);
});

Deno.test("promtool check fails on a broken exposition (the check is real)", async () => {
  const { code } = await promtool('# TYPE x counter\nx_total{a="b} 1\n');
  assert.notEqual(code, 0);
});

Deno.test("GET /metrics after mixed traffic passes promtool check metrics", async () => {
  const kp = await makeTestHandler({
    configYaml: 'issuer: "https://kp.test"\naudience: r.test\nhs256_secret: ' +
      '"0123456789abcdef0123456789abcdef"\n',
  });
  await kp.fetch("/auth", { method: "POST", body: "{}" });
  await kp.fetch("/v2/token?service=r.test", { headers: { authorization: basicAuth("a", "b") } });
  await kp.fetch("/nope");
  await kp.fetch("/auth", { method: "POST", body: "{" });
  const res = await kp.fetch("/metrics");
  const text = await res.text();
  const { code, output } = await promtool(text);
  assert.equal(code, 0, `promtool check metrics failed:\n${output}\n---\n${text}`);
});
