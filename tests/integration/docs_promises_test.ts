/**
 * The documentation's promises that can drift: the generated configuration reference names every
 * environment variable, and the sample error messages in the guides are the real ones.
 */

import assert from "node:assert/strict";
import { documentedEnvNames, parseConfig } from "../../src/config/mod.ts";
import { PROFILE_KEYS } from "../../src/config/profiles.ts";
import { KeypebbleError } from "../../src/errors.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string): Promise<string> => Deno.readTextFile(new URL(path, ROOT));

function errorOf(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig(text, "kp.yaml", { env });
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    return e.message;
  }
  throw new Error("expected an error");
}

Deno.test("docs/configuration.md names every KEYPEBBLE_ variable", async () => {
  const reference = await read("docs/configuration.md");
  // profiles.<kind> is one table with a placeholder, and the kinds are listed once.
  const kinds = new RegExp(
    `^KEYPEBBLE_PROFILES__(${PROFILE_KEYS.join("|").toUpperCase()})(?=__|$)`,
  );
  const missing = documentedEnvNames().filter((n) => {
    const shown = n.replace(kinds, "KEYPEBBLE_PROFILES__<KIND>");
    if (!reference.includes(`\`${shown}\``)) return true;
    const kind = kinds.exec(n)?.[1].toLowerCase();
    return kind !== undefined && !reference.includes(`\`${kind}\``);
  });
  assert.deepEqual(missing, [], "run deno task docs: docs/configuration.md lacks these variables");
});

Deno.test("the guides' sample config errors are the real messages", async () => {
  const guide = await read("docs/config-guide.md");
  const operations = await read("docs/operations.md");
  const key = 'hs256_secret: "0123456789abcdef0123456789abcdef"\n';
  const samples = [
    errorOf(`issuer: kp\n${key}default_ttl_seconds: soon\n`),
    errorOf(`issuer: kp\n${key}service: {hots: 0.0.0.0}\n`),
  ];
  for (const m of samples) {
    const asJson = JSON.stringify(m).slice(1, -1);
    assert.ok(guide.includes(asJson) || guide.includes(m), `docs/config-guide.md lacks: ${m}`);
  }
  const port = errorOf(`issuer: kp\n${key}`, { KEYPEBBLE_PORT: "http" });
  assert.ok(guide.includes(port.replace(/ \(.*$/, "")), `docs/config-guide.md lacks: ${port}`);
  const level = errorOf(`issuer: kp\n${key}`, { KEYPEBBLE_LOG_LEVEL: "loud" });
  const levelStart = level.slice(0, level.indexOf(" one of") + 7);
  assert.ok(operations.includes(levelStart), `docs/operations.md lacks: ${levelStart}`);
});
