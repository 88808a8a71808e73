/**
 * Examples for every operation of the OpenAPI document, so client generators, the `/docs` page
 * and a reader see a realistic request and answer for each: an operation's own `example` wins;
 * a few operations have theirs written here ({@link REQUEST_EXAMPLES}); every other request body
 * and JSON answer gets one built from its schema, with realistic values chosen by field name
 * (an `id` looks like an id, an `email` like an address, a time like RFC 3339). A test validates
 * every example against its schema (`tests/e2e/openapi_lint_test.ts`, with npm `ajv`).
 *
 * @module
 */

type Json = Record<string, unknown>;

const UUID = "3f2c9a1e-5b7d-4e8f-9a6b-1c2d3e4f5a6b";
const JWT = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
const TIME = "2026-06-10T12:00:00Z";

/** Values by field name, for strings. */
const STRINGS: Readonly<Record<string, string>> = {
  id: UUID,
  key_id: UUID,
  user_id: UUID,
  replaced_by: UUID,
  replaces: UUID,
  email: "alice@example.com",
  username: "alice",
  display_name: "Alice Example",
  password: "correct-horse-battery-staple",
  old_password: "correct-horse-battery-staple",
  new_password: "a-longer-new-passphrase",
  name: "acme",
  org_name: "acme",
  org_id: "acme",
  label: "ci-runner",
  prefix: "kp_live_3kT9",
  raw_key: "kp_live_3kT9xq7Lm2pW8rV5nB4cZ1yH6dF0gJ",
  token: JWT,
  access_token: JWT,
  id_token: JWT,
  svid: JWT,
  refresh_token: "rt_8e1b5f0c2d7a4b9e",
  token_type: "Bearer",
  scope: "read write",
  issuer: "https://auth.example.com",
  iss: "https://auth.example.com",
  sub: "alice",
  aud: "api.example.com",
  audience: "api.example.com",
  service: "registry.example.com",
  spiffe_id: "spiffe://example.org/ns/prod/sa/billing",
  client_id: "billing",
  target: "web-01",
  command: "systemctl restart nginx",
  user: "alice",
  error: "invalid_request",
  message: '"label" is required',
  detail: '"label" is required',
  description: "On-call engineers",
  reason: "credential stuffing",
  value: "203.0.113.7",
  jti: "b7e2c1d4a9f04e3c",
  status: "active",
  version: "0.1.0",
  url: "/",
};

function _string(name: string, s: Json): string {
  if (s.format === "date-time") return TIME;
  if (s.format === "uri") return "https://example.com/";
  if (
    name.endsWith("_at") || name === "at" || name === "until" || name === "from" || name === "to"
  ) {
    return TIME;
  }
  return STRINGS[name] ?? (name === "" ? "string" : `example ${name.replace(/_/g, " ")}`);
}

function _resolve(doc: Json, s: unknown): Json {
  const o = (s ?? {}) as Json;
  if (typeof o.$ref !== "string") return o;
  const name = o.$ref.replace("#/components/schemas/", "");
  return _resolve(doc, ((doc.components as Json).schemas as Json)[name]);
}

/** An example of `schema` (named `name` in its parent), built from its type. */
export function exampleFor(doc: Json, schema: unknown, name = "", depth = 0): unknown {
  const s = _resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (depth > 8) return null;
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((p) => exampleFor(doc, p, name, depth + 1) as Json));
  }
  for (const k of ["oneOf", "anyOf"] as const) {
    const alts = s[k];
    if (Array.isArray(alts) && alts.length > 0) {
      return exampleFor(doc, alts[alts.length - 1], name, depth + 1);
    }
  }
  const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string | undefined];
  const t = types.find((x) => x !== undefined && x !== "null") ??
    (s.properties !== undefined ? "object" : types.includes("null") ? "null" : undefined);
  switch (t) {
    case "object": {
      const out: Json = {};
      const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
      for (const [k, v] of props) out[k] = exampleFor(doc, v, k, depth + 1);
      return out;
    }
    case "array":
      return s.items === undefined ? [] : [exampleFor(doc, s.items, _singular(name), depth + 1)];
    case "integer":
    case "number": {
      const min = typeof s.minimum === "number" ? s.minimum : undefined;
      const guess = /ttl|seconds|expires_in/.test(name)
        ? 900
        : /quota/.test(name)
        ? 100000
        : /per_minute|requests|total|count/.test(name)
        ? 120
        : /errors/.test(name)
        ? 3
        : /rate/.test(name)
        ? 0.025
        : 1;
      const v = min !== undefined && guess < min ? min : guess;
      const max = typeof s.maximum === "number" ? s.maximum : undefined;
      return max !== undefined && v > max ? max : t === "integer" ? Math.round(v) : v;
    }
    case "boolean":
      return true;
    case "string":
      return _string(name, s);
    case "null":
      return null;
    default:
      return {};
  }
}

function _singular(name: string): string {
  const irregular: Record<string, string> = {
    scopes: "scope",
    audiences: "audience",
    keys: "key",
    redirect_uris: "url",
    post_logout_redirect_uris: "url",
  };
  return irregular[name] ?? name.replace(/s$/, "");
}

/** Request bodies written by hand, by operationId (what a first call would really send). */
export const REQUEST_EXAMPLES: Readonly<Record<string, unknown>> = {
  mintAuthToken: { sub: "alice", role: "deployer", ttl_seconds: 600 },
  login: { email: "admin@example.com", password: "correct-horse-battery-staple" },
  refresh: { refresh_token: "rt_8e1b5f0c2d7a4b9e" },
  createOrg: { name: "acme" },
  createKey: {
    org_name: "acme",
    label: "ci-runner",
    scopes: ["read"],
    rate_limit_per_minute: 600,
    monthly_quota: 100000,
    expires_in_seconds: 7_776_000,
  },
  rollKey: { grace_seconds: 3600 },
  createBlock: { kind: "address", value: "203.0.113.7", seconds: 3600, reason: "scanning" },
  createUser: {
    email: "bob@acme.example",
    password: "a-longer-new-passphrase",
    display_name: "Bob",
    role: "org_admin",
    org_id: "acme",
  },
  setUserRole: { role: "operator" },
  setUserStatus: { status: "suspended" },
  createGroup: { name: "on-call", description: "On-call engineers" },
  addGroupMember: { user_id: UUID },
  mintCommandToken: { target: "web-01", command: "systemctl restart nginx", ttl_seconds: 300 },
};

/**
 * Fill in the examples of every operation of `doc` (a copy; the input is not changed): each
 * request body and each JSON, form or text answer without one gets `example`.
 */
export function withExamples(doc: Json): Json {
  const out = structuredClone(doc);
  for (const item of Object.values(out.paths as Record<string, Json>)) {
    for (const op of Object.values(item) as Json[]) {
      const id = op.operationId as string;
      const body = op.requestBody as Json | undefined;
      for (const media of Object.values((body?.content ?? {}) as Record<string, Json>)) {
        if (media.example !== undefined || media.examples !== undefined) continue;
        media.example = REQUEST_EXAMPLES[id] ?? exampleFor(out, media.schema);
      }
      for (const [status, res] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        for (const [type, media] of Object.entries((res.content ?? {}) as Record<string, Json>)) {
          if (media.example !== undefined || media.examples !== undefined) continue;
          media.example = type.startsWith("text/") || type.includes("openmetrics")
            ? _textExample(type)
            : status >= "400" && (media.schema as Json | undefined)?.$ref === ERROR_REF
            ? _errorExample(status, String(res.description ?? ""))
            : exampleFor(out, media.schema);
        }
      }
    }
  }
  return out;
}

const ERROR_REF = "#/components/schemas/Error";

/** A stable error code typical of each status (src/errors.ts). */
const ERROR_CODES: Readonly<Record<string, string>> = {
  "400": "invalid_request",
  "401": "unauthorized",
  "403": "forbidden",
  "404": "not_found",
  "405": "method_not_allowed",
  "409": "conflict",
  "413": "payload_too_large",
  "415": "unsupported_media_type",
  "429": "rate_limited",
  "503": "store_unavailable",
};

function _errorExample(status: string, description: string): Json {
  const message = description.split(/[;(]/)[0].trim() || "Refused";
  return { error: ERROR_CODES[status] ?? "invalid_request", message };
}

function _textExample(type: string): string {
  if (type.includes("html")) return "<!doctype html>…";
  if (type.includes("javascript")) return "…";
  if (type.includes("css")) return "…";
  return "# TYPE keypebble_tokens_issued counter\nkeypebble_tokens_issued_total 42\n";
}
