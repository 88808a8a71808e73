/// <reference lib="dom" />
/**
 * The API reference's logic, without the page: the operations of an OpenAPI 3.1 document grouped
 * for the navigation, `$ref` resolution, a compact text form of a schema, an example value for a
 * schema (the document's own example first), and the request a "try it" form sends.
 *
 * @module
 */

/** A JSON object. */
export type Json = Record<string, unknown>;

/** One operation of the document. */
export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly id: string;
  readonly group: string;
  readonly op: Json;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

/** The navigation group of a path: its first segment (`/admin/keys` → `admin`). */
export function groupOf(path: string): string {
  if (path.startsWith("/.well-known/")) return "well-known";
  if (path.startsWith("/api/v1/") || path.startsWith("/apis/")) return "accounts & kubernetes";
  const seg = path.split("/")[1] ?? "";
  return seg === "" ? "other" : seg;
}

/** Every operation, in document order, each with an id (its operationId, or method and path). */
export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op === undefined) continue;
      const id = typeof op.operationId === "string"
        ? op.operationId
        : `${method}${path.replace(/[^A-Za-z0-9]+/g, "_")}`;
      out.push({
        method,
        path,
        id,
        group: typeof (op.tags as string[] | undefined)?.[0] === "string"
          ? (op.tags as string[])[0]
          : groupOf(path),
        op,
      });
    }
  }
  return out;
}

/** Follow a local `$ref` (`#/components/...`); other values are returned as they are. */
export function resolve(doc: Json, v: unknown, seen = 0): Json {
  const o = (v ?? {}) as Json;
  const ref = o.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/") || seen > 32) return o;
  let cur: unknown = doc;
  for (const part of ref.slice(2).split("/")) {
    cur = (cur as Json | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return resolve(doc, cur, seen + 1);
}

function _types(s: Json): string[] {
  const t = s.type;
  return Array.isArray(t) ? t.map(String) : typeof t === "string" ? [t] : [];
}

/** A schema as compact text: `{ id: string, tags?: string[] }`, `"a" | "b"`, `integer | null`. */
export function schemaText(doc: Json, schema: unknown, indent = 0): string {
  const s = resolve(doc, schema);
  const pad = "  ".repeat(indent + 1);
  if (Array.isArray(s.allOf)) return s.allOf.map((p) => schemaText(doc, p, indent)).join(" & ");
  for (const k of ["oneOf", "anyOf"]) {
    if (Array.isArray(s[k])) {
      return (s[k] as unknown[]).map((p) => schemaText(doc, p, indent)).join(" | ");
    }
  }
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((e) => JSON.stringify(e)).join(" | ");
  const types = _types(s);
  const parts = types.map((t) => {
    if (t === "array") return `${schemaText(doc, s.items, indent)}[]`;
    if (t === "object") {
      const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
      if (props.length === 0) return "object";
      const req = new Set((s.required as string[] | undefined) ?? []);
      const lines = props.map(([k, v]) =>
        `${pad}${k}${req.has(k) ? "" : "?"}: ${schemaText(doc, v, indent + 1)}`
      );
      return `{\n${lines.join(",\n")}\n${"  ".repeat(indent)}}`;
    }
    return t;
  });
  if (parts.length === 0) {
    return s.properties !== undefined ? schemaText(doc, { ...s, type: "object" }, indent) : "any";
  }
  return parts.join(" | ");
}

/** An example of a schema: its `example`/`examples`, `default`, or one built from its type. */
export function exampleOf(doc: Json, schema: unknown, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (depth > 6) return null;
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((p) => exampleOf(doc, p, depth + 1) as Json));
  }
  for (const k of ["oneOf", "anyOf"]) {
    if (Array.isArray(s[k]) && (s[k] as unknown[]).length > 0) {
      return exampleOf(doc, (s[k] as unknown[])[0], depth + 1);
    }
  }
  const t = _types(s).find((x) => x !== "null") ?? (s.properties !== undefined ? "object" : "");
  switch (t) {
    case "object": {
      const out: Json = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
        out[k] = exampleOf(doc, v, depth + 1);
      }
      return out;
    }
    case "array":
      return [exampleOf(doc, s.items, depth + 1)];
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return true;
    case "string":
      return s.format === "date-time" ? "2026-01-01T00:00:00Z" : "string";
    default:
      return null;
  }
}

/** The example of a media type: `example`, the first of `examples`, or one from its schema. */
export function mediaExample(doc: Json, media: Json | undefined): unknown {
  if (media === undefined) return undefined;
  if (media.example !== undefined) return media.example;
  const ex = media.examples as Record<string, Json> | undefined;
  if (ex !== undefined) {
    const first = Object.values(ex)[0];
    if (first !== undefined) return resolve(doc, first).value;
  }
  return exampleOf(doc, media.schema);
}

/** What the "try it" form holds. */
export interface TryInput {
  readonly params: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly contentType?: string;
  readonly bearer?: string;
  readonly apiKey?: string;
}

/** The request of a "try it" form: the path filled in, the query, the auth headers, the body. */
export function buildRequest(
  o: Operation,
  doc: Json,
  input: TryInput,
): { url: string; init: RequestInit } {
  const params = ((o.op.parameters ?? []) as unknown[]).map((p) => resolve(doc, p));
  let path = o.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = { accept: "application/json" };
  for (const p of params) {
    const name = String(p.name);
    const v = input.params[`${p.in}:${name}`] ?? "";
    if (p.in === "path") {
      if (v === "") throw new Error(`The path parameter "${name}" is required`);
      path = path.replace(`{${name}}`, encodeURIComponent(v));
    } else if (v !== "" && p.in === "query") query.append(name, v);
    else if (v !== "" && p.in === "header") headers[name.toLowerCase()] = v;
  }
  if (input.bearer) headers.authorization = `Bearer ${input.bearer}`;
  if (input.apiKey) headers["x-api-key"] = input.apiKey;
  const hasBody = input.body !== undefined && input.body.trim() !== "" && o.method !== "get";
  if (hasBody) headers["content-type"] = input.contentType ?? "application/json";
  const q = query.toString();
  return {
    url: `${path}${q ? `?${q}` : ""}`,
    init: {
      method: o.method.toUpperCase(),
      headers,
      ...(hasBody ? { body: input.body } : {}),
      credentials: "omit",
      cache: "no-store",
    },
  };
}
