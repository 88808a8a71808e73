import assert from "node:assert/strict";
import { parse } from "yaml";
import { configJsonSchema, shapeSchema } from "./json_schema.ts";
import { CONFIG_SHAPE, shapePaths } from "./schema.ts";

type Json = Record<string, unknown>;

Deno.test("the config schema is draft 2020-12, closed, and names every key of the shape table", () => {
  const s = configJsonSchema();
  assert.equal(s.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(s.required, ["issuer"]);
  assert.equal(s.additionalProperties, false);
  for (const path of shapePaths()) {
    let cur: Json = s;
    for (const k of path) {
      const obj = (cur.anyOf as Json[] | undefined)?.[0] ?? cur;
      const props = obj.properties as Record<string, Json> | undefined;
      assert.ok(props?.[k] !== undefined, `${path.join(".")} is in the schema`);
      cur = props[k];
    }
  }
});

Deno.test("every value of the shape table has a type and a description", () => {
  const missing: string[] = [];
  const walk = (shape: Readonly<Record<string, import("./schema.ts").Shape>>, at: string) => {
    for (const [k, s] of Object.entries(shape)) {
      const here = at === "" ? k : `${at}.${k}`;
      if (s.kind === "value" && (s.type === undefined || s.description === undefined)) {
        missing.push(here);
      }
      if (s.kind === "map") walk(s.keys, here);
      if (s.kind === "list" && s.item.kind === "map") walk(s.item.keys, `${here}[]`);
    }
  };
  walk(CONFIG_SHAPE, "");
  assert.deepEqual(missing, []);
});

Deno.test("maps that may also be a scalar allow both forms", () => {
  const ra = shapeSchema(CONFIG_SHAPE.require_authentication) as Json;
  assert.deepEqual((ra.anyOf as Json[])[1], { type: "boolean" });
  const limit = ((shapeSchema(CONFIG_SHAPE.rate_limit) as Json).properties as Json)
    .per_address as Json;
  assert.ok(Array.isArray(limit.anyOf));
});

Deno.test("example-config.yaml names only keys the schema knows and says where its schema is", async () => {
  const text = await Deno.readTextFile(new URL("../../example-config.yaml", import.meta.url));
  assert.match(text, /^# yaml-language-server: \$schema=/);
  const doc = parse(text) as Json;
  const props = configJsonSchema().properties as Json;
  for (const k of Object.keys(doc)) assert.ok(k in props || /^x[-_]/.test(k), k);
});
