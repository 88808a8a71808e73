/**
 * Checks a real answer against the served OpenAPI document: its status is documented, and its
 * JSON body has every required field of the documented schema and no field the schema does not
 * name (following `$ref` and `allOf`), so the document and the handlers cannot drift.
 */

import assert from "node:assert/strict";
import { OPENAPI } from "../../src/app/openapi.ts";

type Json = Record<string, unknown>;
const SCHEMAS = (OPENAPI.components as { schemas: Record<string, Json> }).schemas;

/** The document's paths, by template and lower-case method. */
export const PATHS = OPENAPI.paths as Record<string, Record<string, Json>>;

function resolve(s: Json): Json {
  const ref = s.$ref as string | undefined;
  return ref === undefined ? s : resolve(SCHEMAS[ref.replace("#/components/schemas/", "")]);
}

/** Required and known properties of an object schema (following $ref and allOf). */
function fields(schema: Json): { required: Set<string>; known: Map<string, Json> } {
  const s = resolve(schema);
  const required = new Set<string>((s.required as string[] | undefined) ?? []);
  const known = new Map(Object.entries((s.properties as Record<string, Json>) ?? {}));
  for (const part of (s.allOf as Json[] | undefined) ?? []) {
    const f = fields(part);
    f.required.forEach((r) => required.add(r));
    f.known.forEach((v, k) => known.set(k, v));
  }
  return { required, known };
}

/** Assert that `value` has the fields `schema` requires and none it does not name. */
export function conforms(value: unknown, schema: Json, where: string): void {
  const s = resolve(schema);
  const type = s.type;
  if (type === "array" || (Array.isArray(type) && type.includes("array") && Array.isArray(value))) {
    assert.ok(Array.isArray(value), `${where}: an array`);
    for (const [i, v] of (value as unknown[]).entries()) {
      conforms(v, s.items as Json, `${where}[${i}]`);
    }
    return;
  }
  const f = fields(s);
  if (f.known.size === 0 || value === null || typeof value !== "object") return;
  const body = value as Json;
  for (const r of f.required) assert.ok(r in body, `${where}: required "${r}" is missing`);
  for (const [k, v] of Object.entries(body)) {
    const sub = f.known.get(k);
    assert.ok(sub !== undefined, `${where}: "${k}" is answered but not documented`);
    conforms(v, sub, `${where}.${k}`);
  }
}

/** Check an answer of `method template` against the document; resolves to its JSON body. */
export async function checkDocumented(
  res: Response,
  template: string,
  method: string,
): Promise<Json> {
  const op = PATHS[template]?.[method];
  assert.ok(op !== undefined, `${method} ${template} is documented`);
  const documented = (op.responses as Record<string, Json>)[String(res.status)];
  assert.ok(documented !== undefined, `${method} ${template}: status ${res.status} is documented`);
  const text = await res.text();
  if (text === "") return {};
  const body = JSON.parse(text);
  const schema = ((documented.content as Record<string, Json> | undefined)?.["application/json"]
    ?.schema) as Json | undefined;
  assert.ok(schema !== undefined, `${method} ${template} ${res.status}: a JSON schema`);
  conforms(body, schema, `${method} ${template} ${res.status}`);
  return body;
}
