import assert from "node:assert/strict";
import { OPENAPI } from "./openapi.ts";
import { ROUTES } from "./routes.ts";

const OPENAPI_JSON = JSON.stringify(OPENAPI);
const paths = OPENAPI.paths as Record<string, Record<string, unknown>>;
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

Deno.test("openapi.json describes every route and method of the route table", () => {
  const missing: string[] = [];
  for (const r of ROUTES) {
    for (const m of Object.keys(r.methods)) {
      if (paths[r.template]?.[m.toLowerCase()] === undefined) {
        missing.push(`${m} ${r.template}`);
      }
    }
  }
  assert.deepEqual(
    missing,
    [],
    `These routes are served but not described in src/app/openapi.ts: ${missing.join(", ")}.\n` +
      `Add each under OPENAPI.paths["<template>"].<method> (lower case) with a summary, the ` +
      `security it accepts, its parameters and request body, and its responses (reuse ` +
      `ERRORS / AUTH_ERRORS for the error statuses).`,
  );
});

Deno.test("openapi.json describes nothing that the route table does not serve", () => {
  const extra: string[] = [];
  for (const [template, item] of Object.entries(paths)) {
    const route = ROUTES.find((r) => r.template === template);
    for (const m of Object.keys(item).filter((k) => HTTP_METHODS.includes(k))) {
      if (route?.methods[m.toUpperCase()] === undefined) {
        extra.push(`${m.toUpperCase()} ${template}`);
      }
    }
  }
  assert.deepEqual(
    extra,
    [],
    `src/app/openapi.ts describes operations that no route serves: ${extra.join(", ")}.\n` +
      `Remove them, or add the route to ROUTES in src/app/routes.ts.`,
  );
});

Deno.test("openapi.json is OpenAPI 3.1 whose path parameters match the templates", () => {
  const doc = JSON.parse(OPENAPI_JSON);
  assert.equal(doc.openapi, "3.1.0");
  assert.ok(typeof doc.info.title === "string" && typeof doc.info.version === "string");
  for (const [template, item] of Object.entries(paths)) {
    const inPath = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(item)) {
      const params = ((op as { parameters?: { in: string; name: string }[] }).parameters ?? [])
        .filter((p) => p.in === "path").map((p) => p.name).sort();
      assert.deepEqual(params, inPath, `${method.toUpperCase()} ${template}: path parameters`);
      const responses = (op as { responses?: Record<string, unknown> }).responses ?? {};
      assert.ok(
        Object.keys(responses).length > 0,
        `${method.toUpperCase()} ${template}: responses`,
      );
    }
  }
  // Every $ref resolves.
  for (const ref of OPENAPI_JSON.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
    const schemas = (OPENAPI.components as { schemas: Record<string, unknown> }).schemas;
    assert.ok(schemas[ref[1]] !== undefined, `unresolved $ref ${ref[1]}`);
  }
});

Deno.test("every operation has a unique operationId (client generators need them)", () => {
  const seen = new Map<string, string>();
  const missing: string[] = [];
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const id = (op as { operationId?: string }).operationId;
      if (id === undefined) missing.push(`${method.toUpperCase()} ${template}`);
      else {
        assert.ok(!seen.has(id), `operationId ${id} of ${template} is also ${seen.get(id)}'s`);
        seen.set(id, template);
      }
    }
  }
  assert.deepEqual(missing, []);
});
