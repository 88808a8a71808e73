/**
 * The metrics exposition checked by the real `promtool check metrics` (Debian package
 * prometheus, installed by .ci/run): the metric set alone, and a live handler after traffic.
 */

import assert from "node:assert/strict";
import { BIN, fixture, start } from "./workers_helpers.ts";
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

for (const workers of ["1", "2"]) {
  Deno.test({
    name:
      `the real server's /metrics (${workers} worker(s)) has the process_* series, read when scraped, and passes promtool`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const dir = await fixture("rate_limit: { per_address: false, per_principal: false }\n");
    const s = await start(dir, ["--workers", workers]);
    try {
      const scrape = async () => {
        const r = await fetch(`${s.url}/metrics`, { headers: { connection: "close" } });
        return await r.text();
      };
      const value = (text: string, name: string) => {
        const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
        assert.ok(m, `${name} missing:\n${text}`);
        return Number(m[1]);
      };
      const first = await scrape();
      for (let i = 0; i < 300; i++) {
        await (await fetch(`${s.url}/auth`, { method: "POST", body: '{"sub":"x"}' })).body
          ?.cancel();
      }
      const text = await scrape();
      const { code, output } = await promtool(text);
      assert.equal(code, 0, `promtool check metrics failed:\n${output}\n---\n${text}`);
      // Process-wide facts, exposed once however many workers serve (not summed per worker).
      const rss = value(text, "process_resident_memory_bytes");
      assert.ok(rss > 10e6 && rss < 2e9, `rss ${rss}`);
      const started = value(text, "process_start_time_seconds");
      assert.ok(Math.abs(started - Date.now() / 1000) < 120, `start ${started}`);
      if (BIN !== undefined) {
        // The binary may read /proc (from source, the test's --allow-read stops at the repo:
        // those two series are then absent, never 0).
        assert.ok(value(text, "process_open_fds") > 3);
        assert.ok(value(text, "process_max_fds") >= value(text, "process_open_fds"));
      } else assert.doesNotMatch(text, /^process_open_fds 0$/m);
      // CPU time is read at the scrape: it moved with the requests in between.
      assert.ok(
        value(text, "process_cpu_seconds_total") > value(first, "process_cpu_seconds_total"),
      );
      assert.equal(text.split("\n").filter((l) => l.startsWith("# TYPE process_cpu")).length, 1);
      const open = await (await fetch(`${s.url}/metrics`, {
        headers: { accept: "application/openmetrics-text; version=1.0.0", connection: "close" },
      })).text();
      assert.match(open, /^# UNIT process_resident_memory_bytes bytes$/m);
      assert.match(open, /^process_cpu_seconds_total \S+$/m);
    } finally {
      s.child.kill("SIGTERM");
      assert.equal(await s.exited, 0);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
