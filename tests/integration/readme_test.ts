/**
 * The README's promises that can drift: the environment-override table lists every setting, and
 * the sample error messages are the real ones.
 */

import assert from "node:assert/strict";
import { documentedEnvNames, parseConfig } from "../../src/config/mod.ts";
import { KeypebbleError } from "../../src/errors.ts";

const README = await Deno.readTextFile(new URL("../../README.md", import.meta.url));

function errorOf(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig(text, "kp.yaml", { env });
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    return e.message;
  }
  throw new Error("expected an error");
}

Deno.test("the README's environment table lists every KEYPEBBLE_ variable", () => {
  const section = README.slice(README.indexOf("## Environment overrides"));
  // A section with one shape per entry (profiles.<kind>) is one row with placeholders, naming
  // every entry and setting.
  const placeholder = (n: string): boolean => {
    const m = /^KEYPEBBLE_([A-Z0-9_]+?)__([A-Z0-9_]+?)(?:__([A-Z0-9_]+))?$/.exec(n);
    if (m === null) return false;
    const rows = section.split("\n").filter((l) => l.startsWith(`| \`KEYPEBBLE_${m[1]}__<`));
    const entry = rows.some((l) => !l.includes(">__<") && l.includes(`\`${m[2]}\``));
    const setting = m[3] === undefined ||
      rows.some((l) => l.includes(">__<") && l.includes(`\`${m[3]}\``));
    return entry && setting;
  };
  const missing = documentedEnvNames().filter((n) =>
    !section.includes(`| \`${n}\``) && !placeholder(n)
  );
  assert.deepEqual(missing, [], "add these rows to the README's Environment overrides table");
});

Deno.test("the README's sample config errors are the real messages", () => {
  const key = 'hs256_secret: "0123456789abcdef0123456789abcdef"\n';
  const samples = [
    errorOf(`issuer: kp\n${key}default_ttl_seconds: soon\n`),
    errorOf(`issuer: kp\n${key}service: {hots: 0.0.0.0}\n`),
  ];
  for (const m of samples) {
    const asJson = JSON.stringify(m).slice(1, -1);
    assert.ok(README.includes(asJson) || README.includes(m), `README lacks: ${m}`);
  }
  const port = errorOf(`issuer: kp\n${key}`, { KEYPEBBLE_PORT: "http" });
  assert.ok(README.includes(port.replace(/ \(.*$/, "")), `README lacks: ${port}`);
  const level = errorOf(`issuer: kp\n${key}`, { KEYPEBBLE_LOG_LEVEL: "loud" });
  assert.ok(README.includes(level.slice(0, level.indexOf(" one of") + 7)));
});
