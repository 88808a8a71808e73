/**
 * The JSON Schema (draft 2020-12) of a config file, generated from {@link CONFIG_SHAPE}: what
 * `keypebble config schema` prints, so editors complete and check `keypebble.yaml` (with a
 * `# yaml-language-server: $schema=…` line). It says which keys exist at every level, their
 * types, defaults and meaning; the values' finer rules (key sizes, URLs, CIDRs) stay with the
 * config reader, which names the file and field of any problem.
 *
 * @module
 */

import { CONFIG_SHAPE, type Shape, type ShapeDoc } from "./schema.ts";

type Json = Record<string, unknown>;

/** Where the schema says it lives (its `$id`). */
export const CONFIG_SCHEMA_ID = "urn:keypebble:config";

function _doc(d: ShapeDoc): Json {
  return {
    ...(d.description === undefined ? {} : { description: d.description }),
    ...(d.default === undefined ? {} : { default: d.default }),
  };
}

function _types(d: ShapeDoc): string[] {
  return d.type === undefined ? [] : typeof d.type === "string" ? [d.type] : [...d.type];
}

function _value(d: ShapeDoc): Json {
  const types = _types(d);
  const out: Json = _doc(d);
  if (types.length > 0) out.type = types.length === 1 ? types[0] : types;
  if (d.enum !== undefined) out.enum = [...d.enum];
  if (types.includes("array")) out.items = d.items === undefined ? {} : { type: d.items };
  return out;
}

/** The schema of one place of the config. */
export function shapeSchema(s: Shape): Json {
  switch (s.kind) {
    case "value":
      return _value(s);
    case "free":
      return { ..._doc(s), type: "object" };
    case "list":
      return { ..._doc(s), type: "array", items: shapeSchema(s.item) };
    case "map": {
      const obj: Json = {
        type: "object",
        properties: Object.fromEntries(
          Object.entries(s.keys).map(([k, v]) => [k, shapeSchema(v)]),
        ),
        additionalProperties: false,
      };
      const others = _types(s);
      if (others.length === 0) return { ..._doc(s), ...obj };
      return { ..._doc(s), anyOf: [obj, { type: others.length === 1 ? others[0] : others }] };
    }
  }
}

/** The JSON Schema of a whole config file. */
export function configJsonSchema(): Json {
  const top = shapeSchema({ kind: "map", keys: CONFIG_SHAPE }) as Json;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: CONFIG_SCHEMA_ID,
    title: "Keypebble configuration",
    description: "keypebble.yaml: see `keypebble check --config FILE` for what a config serves",
    type: "object",
    required: ["issuer"],
    properties: top.properties,
    // `x-…` keys hold YAML anchors for `<<` merges (as in compose files); never read.
    patternProperties: { "^x[-_]": {} },
    additionalProperties: false,
  };
}
