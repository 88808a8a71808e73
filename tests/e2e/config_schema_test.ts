/**
 * `keypebble config schema` (the binary's own output) checked by a real JSON Schema validator,
 * npm `ajv` in draft 2020-12 mode: the schema compiles, `example-config.yaml` validates, and so
 * does every config in README.md and docs/*.md (blocks with an `issuer` whole, and each of those
 * starts with the `# yaml-language-server: $schema=` line; fragments of a config, whose top-level
 * keys are all config keys, without the `required` rule). Typos are refused. That the whole
 * configs also pass `keypebble check` without a warning is tests/integration/docs_configs_test.ts
 * (and, for those a page's tested commands write, tests/integration/docs_commands_test.ts).
 */

import assert from "node:assert/strict";
// Test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { Ajv2020 } from "npm:ajv@8.17.1/dist/2020.js";
import { parse } from "yaml";
import { blocksOf, docPages, SCHEMA_LINE } from "../helpers/doc_blocks.ts";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";

type Json = Record<string, unknown>;

async function schema(): Promise<Json> {
  const r = await runKeypebble(["config", "schema"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function yamlBlocks(): Promise<{ where: string; body: string }[]> {
  const out: { where: string; body: string }[] = [];
  for (const page of await docPages()) {
    for (const b of blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`))) {
      if (b.lang === "yaml") out.push({ where: `${page}:${b.line}`, body: b.body });
    }
  }
  return out;
}

Deno.test("e2e config schema: ajv (draft 2020-12) validates example-config.yaml and the docs' configs", async () => {
  const s = await schema();
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const whole = ajv.compile(s);
  const fragment = ajv.compile({ ...s, $id: `${s.$id}:fragment`, required: [] });
  const example = parse(await Deno.readTextFile(`${REPO_ROOT}example-config.yaml`));
  assert.ok(whole(example), JSON.stringify(whole.errors));

  const props = s.properties as Json;
  let wholeCount = 0;
  let fragments = 0;
  for (const { where, body: block } of await yamlBlocks()) {
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
    assert.ok(v(doc), `${where}:\n${block}\n${JSON.stringify(v.errors, null, 1)}`);
    if (v === whole) assert.ok(block.startsWith(SCHEMA_LINE), `${where} lacks ${SCHEMA_LINE}`);
    if (v === whole) wholeCount++;
    else fragments++;
  }
  assert.ok(wholeCount >= 5, `${wholeCount} whole configs in the docs`);
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
