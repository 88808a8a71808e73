/**
 * `keypebble config schema` (the binary's own output) checked by a real JSON Schema validator,
 * npm `ajv` in draft 2020-12 mode: the schema compiles, `example-config.yaml` validates, and so
 * does every config in the README (blocks with an `issuer` whole; fragments of a config, whose
 * top-level keys are all config keys, without the `required` rule). Typos are refused.
 */

import assert from "node:assert/strict";
// Test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { Ajv2020 } from "npm:ajv@8.17.1/dist/2020.js";
import { parse } from "yaml";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";

type Json = Record<string, unknown>;

async function schema(): Promise<Json> {
  const r = await runKeypebble(["config", "schema"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

Deno.test("e2e config schema: ajv (draft 2020-12) validates example-config.yaml and the README's configs", async () => {
  const s = await schema();
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const whole = ajv.compile(s);
  const fragment = ajv.compile({ ...s, $id: `${s.$id}:fragment`, required: [] });
  const example = parse(await Deno.readTextFile(`${REPO_ROOT}example-config.yaml`));
  assert.ok(whole(example), JSON.stringify(whole.errors));

  const props = s.properties as Json;
  let wholeCount = 0;
  let fragments = 0;
  for (const block of yamlBlocks(await Deno.readTextFile(`${REPO_ROOT}README.md`))) {
    let doc: unknown;
    try {
      doc = parse(block, { merge: true });
    } catch {
      continue; // not one YAML document (e.g. several with ---)
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) continue;
    const keys = Object.keys(doc as Json);
    if (!keys.every((k) => k in props || /^x[-_]/.test(k))) continue; // a policy, compose, …
    const v = "issuer" in (doc as Json) ? whole : fragment;
    assert.ok(v(doc), `README block:\n${block}\n${JSON.stringify(v.errors, null, 1)}`);
    if (v === whole) wholeCount++;
    else fragments++;
  }
  assert.ok(wholeCount >= 2, `${wholeCount} whole configs in the README`);
  console.log(`validated example-config.yaml, ${wholeCount} configs and ${fragments} fragments`);

  for (
    const bad of [
      { issuer: "x", servce: { port: 1 } },
      { issuer: "x", service: { port: "eighty" } },
      { issuer: "x", log_level: "loud" },
      { issuer: 3 },
      { audience: "a" },
      { issuer: "x", store: { url: "sqlite:a", cache_secs: 5 } },
    ]
  ) assert.equal(whole(bad), false, JSON.stringify(bad));
  assert.ok(
    whole({ issuer: "x", require_authentication: true, rate_limit: { per_address: false } }),
  );
});
