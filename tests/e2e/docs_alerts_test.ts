/**
 * The example Prometheus alert rules of docs/operations.md are valid (`promtool check rules`) and
 * fire as their text says (`promtool test rules` on synthetic series): a failed reload, 5xx
 * answers and a scrape target that is down alert; a healthy instance does not.
 */

import assert from "node:assert/strict";
import { blocksOf, fileOf } from "../helpers/doc_blocks.ts";
import { REPO_ROOT } from "../helpers/process.ts";

const UNIT_TESTS = `rule_files: [keypebble-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'keypebble_config_reloads_total{job="keypebble",instance="a",outcome="failure"}'
        values: '0 0 1 1 1'
      - series: 'keypebble_config_reloads_total{job="keypebble",instance="b",outcome="failure"}'
        values: '0 0 0 0 0'
      - series: 'keypebble_http_requests_total{job="keypebble",instance="a",route="/auth",method="POST",code="503"}'
        values: '0+6x20'
      - series: 'keypebble_http_requests_total{job="keypebble",instance="b",route="/auth",method="POST",code="200"}'
        values: '0+60x20'
      - series: 'up{job="keypebble",instance="a"}'
        values: '0x10'
      - series: 'up{job="keypebble",instance="b"}'
        values: '1x10'
    alert_rule_test:
      - eval_time: 4m
        alertname: KeypebbleReloadFailed
        exp_alerts:
          - exp_labels: { severity: ticket, job: keypebble, instance: a, outcome: failure }
            exp_annotations:
              summary: "A config reload failed on a; see its reload log line"
      - eval_time: 15m
        alertname: KeypebbleServerErrors
        exp_alerts:
          - exp_labels: { severity: page, instance: a }
            exp_annotations:
              summary: "Keypebble on a answers 5xx (0.1 per second)"
      - eval_time: 5m
        alertname: KeypebbleDown
        exp_alerts:
          - exp_labels: { severity: page, job: keypebble, instance: a }
            exp_annotations:
              summary: "Keypebble on a has not answered a scrape for 2 minutes"
`;

async function promtool(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("promtool", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

Deno.test("e2e docs/operations.md alert rules: promtool check rules and test rules", async () => {
  const page = "docs/operations.md";
  const blocks = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`));
  const rules = blocks.find((b) => fileOf(b) === "keypebble-alerts.yml");
  assert.ok(rules !== undefined, `${page} has no <!-- file: keypebble-alerts.yml --> block`);
  const dir = await Deno.makeTempDir({ prefix: "kp-alerts-" });
  try {
    await Deno.writeTextFile(`${dir}/keypebble-alerts.yml`, rules.body);
    await Deno.writeTextFile(`${dir}/tests.yml`, UNIT_TESTS);
    const check = await promtool(["check", "rules", "keypebble-alerts.yml"], dir);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /SUCCESS: 7 rules found/);
    const test = await promtool(["test", "rules", "tests.yml"], dir);
    assert.equal(test.code, 0, test.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
