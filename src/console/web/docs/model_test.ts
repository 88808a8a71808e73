import assert from "node:assert/strict";
import { buildRequest, exampleOf, groupOf, mediaExample, operations, schemaText } from "./model.ts";

const DOC = {
  openapi: "3.1.0",
  paths: {
    "/admin/keys/{id}": {
      get: {
        operationId: "getKey",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      },
    },
    "/admin/usage": {
      get: {
        parameters: [{ $ref: "#/components/parameters/Range" }],
      },
      post: { operationId: "x", tags: ["Usage"] },
    },
  },
  components: {
    parameters: { Range: { name: "range", in: "query", schema: { type: "string" } } },
    schemas: {
      Key: {
        type: "object",
        required: ["id"],
        properties: {
          id: { type: "string", example: "k_1" },
          n: { type: ["integer", "null"] },
          s: { type: "string", enum: ["a", "b"] },
          when: { type: "string", format: "date-time" },
          tags: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
};

Deno.test("operations: ids, groups and order", () => {
  const ops = operations(DOC);
  assert.deepEqual(ops.map((o) => [o.method, o.id, o.group]), [
    ["get", "getKey", "admin"],
    ["get", "get_admin_usage", "admin"],
    ["post", "x", "Usage"],
  ]);
  assert.equal(groupOf("/.well-known/jwks.json"), "well-known");
  assert.equal(groupOf("/api/v1/auth/login"), "accounts & kubernetes");
});

Deno.test("schemaText and exampleOf follow $ref, enums, nullables and arrays", () => {
  const ref = { $ref: "#/components/schemas/Key" };
  assert.equal(
    schemaText(DOC, ref),
    '{\n  id: string,\n  n?: integer | null,\n  s?: "a" | "b",\n  when?: string,\n  tags?: string[]\n}',
  );
  assert.deepEqual(exampleOf(DOC, ref), {
    id: "k_1",
    n: 0,
    s: "a",
    when: "2026-01-01T00:00:00Z",
    tags: ["string"],
  });
  assert.deepEqual(mediaExample(DOC, { example: { a: 1 } }), { a: 1 });
  assert.deepEqual(mediaExample(DOC, { examples: { one: { value: 2 } } }), 2);
  assert.equal(mediaExample(DOC, undefined), undefined);
});

Deno.test("buildRequest fills the path, the query, auth headers and the body", () => {
  const [get, usage, post] = operations(DOC);
  const r = buildRequest(get, DOC, { params: { "path:id": "a/b" }, bearer: "tok" });
  assert.equal(r.url, "/admin/keys/a%2Fb");
  assert.equal((r.init.headers as Record<string, string>).authorization, "Bearer tok");
  assert.throws(() => buildRequest(get, DOC, { params: {} }), /"id" is required/);
  const u = buildRequest(usage, DOC, { params: { "query:range": "day" }, apiKey: "kp_x" });
  assert.equal(u.url, "/admin/usage?range=day");
  assert.equal((u.init.headers as Record<string, string>)["x-api-key"], "kp_x");
  assert.equal(u.init.body, undefined);
  const p = buildRequest(post, DOC, { params: {}, body: '{"a":1}' });
  assert.equal(p.init.method, "POST");
  assert.equal(p.init.body, '{"a":1}');
  assert.equal((p.init.headers as Record<string, string>)["content-type"], "application/json");
});
