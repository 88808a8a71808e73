/**
 * The OpenAPI document a real server serves passes a real linter: npm `@redocly/cli lint` with
 * its recommended rules reports 0 errors (and no warning but the three below), every operation
 * has a unique `operationId` and examples, and every example validates against its schema under
 * a real JSON Schema 2020-12 validator (npm `ajv`), so client generators get a consistent
 * document.
 *
 * The only warnings allowed: `operation-4xx-response` on `GET /healthz`, `/readyz` and
 * `/metrics`, which are never admitted nor limited and so have no 4xx answer to describe.
 */

import assert from "node:assert/strict";
// Test-only imports, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { Ajv2020 } from "npm:ajv@8.17.1/dist/2020.js";
import { type RunningServer, startServer } from "../helpers/process.ts";

const REDOCLY = "npm:@redocly/cli@2.77.0";
const ALLOWED_WARNINGS = new Set([
  "operation-4xx-response #/paths/~1healthz/get/responses",
  "operation-4xx-response #/paths/~1readyz/get/responses",
  "operation-4xx-response #/paths/~1metrics/get/responses",
]);

type Json = Record<string, unknown>;

async function served(): Promise<{ doc: Json; text: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kp-openapi-" });
  let server: RunningServer | undefined;
  try {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        "issuer: https://openapi.e2e",
        `hs256_secret: "${"o".repeat(40)}"`,
        "store:",
        '  url: "sqlite:kp.db"',
        "accounts: {}",
        "spiffe:",
        "  trust_domain: example.org",
        "",
      ].join("\n"),
    );
    server = await startServer(`${dir}/config.yaml`, {
      cwd: dir,
      env: { KEYPEBBLE_ADMIN_PASSWORD: "openapi-admin-password" },
    });
    const res = await fetch(`${server.url}/openapi.json`);
    const text = await res.text();
    return { doc: JSON.parse(text), text };
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "e2e openapi: @redocly/cli lint finds 0 errors in the served document",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { text } = await served();
  const dir = await Deno.makeTempDir({ prefix: "kp-lint-" });
  try {
    await Deno.writeTextFile(`${dir}/openapi.json`, text);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", REDOCLY, "lint", "--format=json", "openapi.json"],
      cwd: dir,
      env: {
        REDOCLY_TELEMETRY: "off",
        REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
      totals: { errors: number; warnings: number };
      problems: {
        ruleId: string;
        severity: string;
        message: string;
        location: { pointer: string }[];
      }[];
    };
    const errors = report.problems.filter((p) => p.severity === "error");
    assert.deepEqual(errors.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`), []);
    assert.equal(report.totals.errors, 0);
    const warnings = report.problems.filter((p) => p.severity === "warn").map((p) =>
      `${p.ruleId} ${p.location[0]?.pointer}`
    );
    assert.deepEqual(warnings.filter((w) => !ALLOWED_WARNINGS.has(w)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "e2e openapi: every operation has a unique operationId and examples that fit its schemas",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { doc } = await served();
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  // The document's schemas, addressable as "#/components/schemas/…" from each example's schema.
  ajv.addSchema({ $id: "openapi", components: doc.components }, "openapi");
  const fix = (s: unknown): unknown =>
    JSON.parse(JSON.stringify(s ?? {}).replaceAll('"#/components/', '"openapi#/components/'));
  const ids = new Set<string>();
  let examples = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.equal(typeof op.operationId, "string", `${where}: operationId`);
      assert.ok(!ids.has(op.operationId as string), `${where}: unique operationId`);
      ids.add(op.operationId as string);
      const media: [string, Json][] = [];
      const body = op.requestBody as Json | undefined;
      for (const [t, m] of Object.entries((body?.content ?? {}) as Record<string, Json>)) {
        media.push([`${where} request ${t}`, m]);
      }
      for (const [status, r] of Object.entries(op.responses as Record<string, Json>)) {
        for (const [t, m] of Object.entries((r.content ?? {}) as Record<string, Json>)) {
          media.push([`${where} ${status} ${t}`, m]);
        }
      }
      const ok = Object.keys(op.responses as Json).find((s) => s.startsWith("2"));
      assert.ok(ok !== undefined, `${where}: a success answer`);
      for (const [label, m] of media) {
        assert.ok(m.example !== undefined, `${label}: an example`);
        examples++;
        if (m.schema === undefined) continue;
        const validate = ajv.compile(fix(m.schema) as Json);
        assert.ok(
          validate(m.example),
          `${label}: example does not fit: ${JSON.stringify(validate.errors)}`,
        );
      }
    }
  }
  assert.ok(ids.size >= 60, `${ids.size} operations`);
  assert.ok(examples >= ids.size);
});
