/**
 * A seeded, reproducible fuzzer over the in-process handler. Each case is a random or mutated
 * request: method, path, query, headers, Basic credentials, scopes, tokens (valid ones mutated)
 * and bodies (JSON, broken JSON, huge, deep, invalid UTF-8, forms).
 *
 * Invariants checked on every case: the handler never throws, never answers 5xx, and every
 * non-2xx answer is JSON with a string `error` code. At the end: heap growth is bounded and the
 * limiter, lockout and credential-cache sizes are within their caps.
 *
 * Replay: `FUZZ_SEED=<seed> FUZZ_CASES=<n> deno task test:fuzz`. Each case's input is derived
 * from (seed, index) alone and the clock is simulated, so the same seed and count replay the same
 * requests in the same order (tokens the server signs carry random `jti`s, so a mutated token
 * differs in those bytes only).
 */

import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { generateKeyPem } from "../../src/jose/mod.ts";
import type { MemoryLimits } from "../../src/limits/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed_2030) >>> 0;
const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 100_000);
const BATCH = 8;
const T0 = Date.UTC(2030, 0, 1);
const SERVICE = "registry.test";
const CLIENT = "fuzz-client";

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32, our own few lines; one generator per case, seeded from (seed, index)

/** A small deterministic random source. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

function _caseRng(seed: number, index: number): Rng {
  return new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const INTERESTING = [
  "",
  " ",
  "a",
  "alice",
  "bob",
  "admin",
  "..",
  "../../etc/passwd",
  "%00",
  "%",
  "%zz",
  "\u0000",
  "\r\n",
  "\t",
  "ä",
  "😀",
  "\ud800",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "null",
  "true",
  "-1",
  "0",
  "1e309",
  "NaN",
  "0x10",
  "99999999999999999999",
  "$.body.x",
  "spiffe://edge.example/sensors/t-1",
  "${account}",
  "*",
  "**",
  "registry.test",
  "other.test",
  "repository:alice/app:pull",
  "repository:alice/app:*",
  "repository:alice/app:pull,push",
  "repository:bob/x:push",
  "registry:catalog:*",
  "repository:alice/../x:pull",
  "repository(plugin):alice/app:pull",
  "a".repeat(300),
  "b".repeat(5000),
  "<script>",
  "'; DROP TABLE users; --",
  "system:serviceaccount:ns:name",
  "kp-refresh+jwt",
  "none",
  "HS256",
  "RS256",
];

const CHARS =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~:/,;=+ %!*'()[]{}\"\\$@&?#";

function _str(r: Rng, max = 24): string {
  if (r.chance(0.35)) return r.pick(INTERESTING);
  const n = r.int(max + 1);
  let s = "";
  for (let i = 0; i < n; i++) {
    s += r.chance(0.03) ? String.fromCharCode(r.int(0x3000)) : CHARS[r.int(CHARS.length)];
  }
  return s;
}

function _json(r: Rng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 6 : 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1, 3600, 1e9, 1e300, -0, 0.5, 2 ** 53, -(2 ** 31), 600, 86_400]);
    case 3:
    case 4:
    case 5:
      return _str(r);
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      const n = r.int(5);
      for (let i = 0; i < n; i++) _set(o, _key(r), _json(r, depth + 1));
      return o;
    }
    default:
      return Array.from({ length: r.int(4) }, () => _json(r, depth + 1));
  }
}

/** Set an own property, even "__proto__", so JSON.stringify writes it. */
function _set(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const CLAIM_KEYS = [
  "sub",
  "aud",
  "iss",
  "exp",
  "iat",
  "nbf",
  "jti",
  "scope",
  "roles",
  "edge_id",
  "ttl_seconds",
  "access",
  "__proto__",
  "constructor",
  "target",
  "command",
  "user",
  "kind",
  "spec",
];

function _key(r: Rng): string {
  return r.chance(0.6) ? r.pick(CLAIM_KEYS) : _str(r, 12);
}

/** Mutate a string: flip, insert, delete, truncate, duplicate. */
function _mutate(r: Rng, s: string): string {
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const at = s.length === 0 ? 0 : r.int(s.length);
    switch (r.int(6)) {
      case 0:
        s = s.slice(0, at) + CHARS[r.int(CHARS.length)] + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + _str(r, 4) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(8));
        break;
      case 3:
        s = s.slice(0, at);
        break;
      case 4:
        s = s + s.slice(at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(r.int(0x80)) + s.slice(at);
    }
  }
  return s;
}

function _b64u(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Token mutations that keep it plausible: header swaps, alg tricks, segment games. */
function _mutateToken(r: Rng, t: string): string {
  const [h, p, s] = t.split(".");
  switch (r.int(8)) {
    case 0:
      return _mutate(r, t);
    case 1:
      return `${
        _b64u(
          JSON.stringify({
            alg: r.pick(["none", "HS256", "RS256", "ES256", "EdDSA", "XX", ""]),
            typ: r.pick(["JWT", "kp-refresh+jwt", "x"]),
          }),
        )
      }.${p}.${r.chance(0.5) ? "" : s}`;
    case 2:
      return `${h}.${_b64u(JSON.stringify(_json(r)))}.${s}`;
    case 3:
      return [h, p, s, s].slice(0, r.int(5)).join(".");
    case 4:
      return `${h}.${p}.${s}${r.pick(["=", "==", "+", "/", "%3D"])}`;
    case 5:
      return `${
        _b64u(
          JSON.stringify({
            alg: "RS256",
            kid: r.pick(["../../etc/passwd", "k".repeat(r.int(400)), "", 7]),
            crit: r.chance(0.5) ? ["exp"] : undefined,
          }),
        )
      }.${p}.${s}`;
    case 6:
      return `${h}.${p}.${s.slice(0, r.int(s.length + 1))}`;
    default:
      return t;
  }
}

// ---------------------------------------------------------------------------------------------
// The world: two runtimes and a pool of genuine tokens to mutate

interface World {
  hs: TestHandler;
  ed: TestHandler;
  rs: TestHandler;
  tokens: string[];
  huge: string;
  deep: string[];
}

async function _world(): Promise<World> {
  const clock = { t: T0 };
  const [alice, bob] = await Promise.all([cheapHash("alice-pw"), cheapHash("bob-pw")]);
  const policy = `users:
  alice:
    password_hash: "${alice}"
    repos: ["alice/*", "shared/**", "registry:catalog:*"]
    actions: ["pull", "push"]
    subjects: ["edge-*"]
    spiffe_ids: ["spiffe://edge.example/sensors/*"]
  bob:
    password_hash: "${bob}"
    repos: ["\${account}/*"]
    actions: ["pull"]
    rate_limit: { requests: 50, window_seconds: 10 }
  "*":
    repos: ["public/*"]
    actions: ["pull"]
`;
  const common = `issuer: "https://fuzz.test"
audience: "${SERVICE}"
services: ["${SERVICE}", "other.test"]
policy_path: policy.yaml
trusted_proxies: ["10.0.0.1", "fd00::/8"]
allowed_custom_claims: ["sub", "scope", "roles", "edge_id", "aud"]
static_claims: { env: "fuzz" }
rate_limit:
  per_address: { requests: 200, window_seconds: 10 }
  per_principal: { requests: 400, window_seconds: 10 }
lockout: { max_failures: 8, window_seconds: 30, lock_seconds: 20 }
limits: { max_body_bytes: 4096, max_scopes: 8, max_header_bytes: 2048, max_json_depth: 6 }
spiffe: { trust_domain: edge.example }
`;
  const now = () => clock.t;
  const hs = await makeTestHandler({
    configYaml: `${common}hs256_secret_path: secret\n`,
    files: { secret: "f".repeat(48), "policy.yaml": policy },
    now,
  });
  const ed = await makeTestHandler({
    configYaml: `${common}require_authentication: { auth: true, command: false, kubernetes: true }
keys:
  - { path: ed.pem, alg: EdDSA, kid: thumbprint }
  - { path: es.pem, alg: ES256 }
`,
    files: {
      "ed.pem": await generateKeyPem("EdDSA"),
      "es.pem": await generateKeyPem("ES256"),
      "policy.yaml": policy,
    },
    now,
  });
  const rs = await makeTestHandler({
    configYaml: `${common}rs256_private_key_path: rs.pem\nkid: libtrust\n`,
    files: { "rs.pem": await generateKeyPem("RS256"), "policy.yaml": policy },
    now,
  });
  const tokens: string[] = [];
  for (const kp of [hs, ed, rs]) {
    const r = await kp.fetch(
      `/v2/token?service=${SERVICE}&scope=repository:alice/app:pull&offline_token=true&client_id=${CLIENT}`,
      { headers: { authorization: basicAuth("alice", "alice-pw") } },
    );
    const b = await r.json();
    tokens.push(b.token, b.refresh_token);
  }
  Object.defineProperty(hs, "_clock", { value: clock });
  return {
    hs,
    ed,
    rs,
    tokens,
    huge: JSON.stringify({ sub: "x".repeat(200_000) }),
    deep: [
      "[".repeat(7) + "]".repeat(7),
      `{"a":${"[".repeat(10_000)}1${"]".repeat(10_000)}}`,
      `{"a":${'{"b":'.repeat(500)}1${"}".repeat(500)}}`,
      "[".repeat(3000),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// One case

interface Case {
  target: "hs" | "ed" | "rs";
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string | Uint8Array;
  remote: string;
}

const ROUTES = [
  "/healthz",
  "/readyz",
  "/auth",
  "/auth",
  "/auth",
  "/v2/token",
  "/v2/token",
  "/v2/token",
  "/v2/token",
  "/command/token",
  "/command/token",
  "/apis/authentication.k8s.io/v1/namespaces/{ns}/serviceaccounts/{name}/token",
  "/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
  "/.well-known/jwks.json",
  "/.well-known/openid-configuration",
  "/metrics",
  "/spiffe/v1/svid",
  "/spiffe/v1/svid",
  "/spiffe/v1/bundle",
  "/spiffe/v1/spiffile-bundle",
  "/spiffe/v1/verify",
];

function _path(r: Rng): string {
  if (r.chance(0.08)) {
    return "/" +
      encodeURI(_str(r, 60).toWellFormed()).replaceAll("?", "%3F").replaceAll("#", "%23");
  }
  let p = r.pick(ROUTES)
    .replace(
      "{ns}",
      () =>
        encodeURIComponent(
          (r.chance(0.6) ? r.pick(["default", "ci", "kube-system"]) : _str(r, 70)).toWellFormed(),
        ),
    )
    .replace(
      "{name}",
      () =>
        encodeURIComponent(
          (r.chance(0.6) ? r.pick(["builder", "a.b-c"]) : _str(r, 300)).toWellFormed(),
        ),
    );
  if (r.chance(0.05)) p = p + "/";
  if (r.chance(0.03)) p = p.toUpperCase();
  if (r.chance(0.03)) p = p.replace("/", "//");
  if (r.chance(0.02)) p = p + "%" + _str(r, 2);
  return p;
}

const QUERY_KEYS = [
  "scope",
  "scope",
  "service",
  "account",
  "offline_token",
  "client_id",
  "ttl_seconds",
  "x",
];

function _query(r: Rng, w: World): string {
  if (r.chance(0.3)) return "";
  if (r.chance(0.05)) return "?" + _str(r, 40).replaceAll("#", "");
  const q = new URLSearchParams();
  const n = 1 + r.int(5);
  for (let i = 0; i < n; i++) {
    const k = r.pick(QUERY_KEYS);
    let v = _str(r);
    if (k === "scope") v = _scope(r);
    if (k === "service" && r.chance(0.7)) v = SERVICE;
    if (k === "offline_token" && r.chance(0.7)) v = "true";
    if (k === "account" && r.chance(0.5)) v = r.pick(["alice", "bob"]);
    if (k === "x" && r.chance(0.3)) v = r.pick(w.tokens);
    q.append(k, v);
  }
  return "?" + q.toString();
}

function _scope(r: Rng): string {
  if (r.chance(0.5)) return r.pick(INTERESTING.filter((s) => s.includes(":")));
  if (r.chance(0.3)) return Array.from({ length: 1 + r.int(12) }, () => _scope(r)).join(" ");
  return `${r.pick(["repository", "registry", "repository(plugin)", _str(r, 8)])}:${
    r.pick(["alice/app", "bob/x", "public/a", "shared/a/b", _str(r, 30)])
  }:${r.pick(["pull", "push", "*", "pull,push", "delete", "", _str(r, 8)])}`;
}

function _authorization(r: Rng, w: World): string {
  switch (r.int(10)) {
    case 0:
    case 1:
      return basicAuth("alice", "alice-pw");
    case 2:
      return basicAuth("bob", r.chance(0.5) ? "bob-pw" : _str(r));
    case 3:
      return basicAuth(r.chance(0.5) ? "alice" : _str(r, 20), _str(r));
    case 4:
      return "Basic " +
        r.pick(["", "!!!!", "YWxpY2U=", "YWxpY2U6", "Og==", "/w==", "==", _str(r, 40)]);
    case 5:
      return "Bearer " + _mutateToken(r, r.pick(w.tokens));
    case 6:
      return r.pick(["basic", "BASIC", "Digest", "Negotiate", ""]) + " " + _str(r);
    case 7:
      return "Basic " + "A".repeat(r.pick([3000, 100]));
    case 8: {
      const bytes = Array.from({ length: 1 + r.int(20) }, () => r.int(256));
      return "Basic " + btoa(String.fromCharCode(...bytes));
    }
    default:
      return _str(r, 50);
  }
}

function _form(r: Rng, w: World): string {
  const f = new URLSearchParams();
  const grant = r.pick([
    "password",
    "password",
    "refresh_token",
    "refresh_token",
    "client_credentials",
    "",
    _str(r, 10),
  ]);
  if (r.chance(0.95)) f.set("grant_type", grant);
  if (r.chance(0.9)) f.set("client_id", r.chance(0.8) ? CLIENT : _str(r));
  if (r.chance(0.8)) f.set("service", r.chance(0.8) ? SERVICE : _str(r));
  if (r.chance(0.6)) f.set("scope", _scope(r));
  if (grant === "password" || r.chance(0.1)) {
    f.set("username", r.pick(["alice", "bob", _str(r, 10)]));
    f.set("password", r.pick(["alice-pw", "bob-pw", _str(r)]));
    if (r.chance(0.4)) f.set("access_type", "offline");
  }
  if (grant === "refresh_token" || r.chance(0.1)) {
    const t = r.pick(w.tokens);
    f.set("refresh_token", r.chance(0.3) ? t : _mutateToken(r, t));
  }
  if (r.chance(0.05)) f.append(_str(r, 8), _str(r));
  return f.toString();
}

function _routeBody(r: Rng, path: string, w: World): string {
  if (path.startsWith("/v2/token")) return _form(r, w);
  if (path.startsWith("/command")) {
    const o: Record<string, unknown> = {};
    if (r.chance(0.9)) o.target = r.chance(0.7) ? "host-1" : _json(r);
    if (r.chance(0.9)) o.command = r.chance(0.7) ? "uptime" : _json(r);
    if (r.chance(0.4)) o.user = r.chance(0.5) ? r.pick(["alice", "edge-1", "root"]) : _json(r);
    if (r.chance(0.3)) o.ttl_seconds = _json(r);
    return JSON.stringify(o);
  }
  if (path.startsWith("/spiffe/v1/")) {
    const id = () =>
      r.chance(0.7)
        ? r.pick([...SPIFFE_IDS, [SPIFFE_IDS[1]], "spiffe://edge.example/sensors/t-1/x", SERVICE])
        : _json(r);
    const o: Record<string, unknown> = {};
    if (r.chance(0.9)) o.spiffe_id = r.chance(0.5) ? SPIFFE_IDS[0] : id();
    if (r.chance(0.9)) o.audience = r.chance(0.5) ? SPIFFE_IDS[1] : id();
    if (r.chance(0.3)) o.ttl_seconds = r.pick([1, 60, 300, 1000, 0, -5, 1.5, "60"]);
    if (path.endsWith("/verify") || r.chance(0.05)) {
      o.token = r.chance(0.5) ? r.pick(w.tokens) : _str(r);
    }
    if (r.chance(0.2)) {
      _set(o, r.pick(["access", "sub", "typ", "kubernetes.io", _key(r)]), _json(r));
    }
    return JSON.stringify(o);
  }
  if (path.includes("serviceaccounts")) {
    const spec: Record<string, unknown> = {};
    if (r.chance(0.9)) spec.audiences = r.chance(0.7) ? ["api", _str(r, 10)] : _json(r);
    if (r.chance(0.4)) spec.expirationSeconds = r.pick([600, 3600, 599, -1, 1e12, "3600", 0.5]);
    if (r.chance(0.3)) {
      spec.boundObjectRef = r.chance(0.6)
        ? {
          kind: r.pick(["Pod", "Secret", "Node", _str(r, 8)]),
          name: _str(r, 20),
          uid: _str(r, 70),
          apiVersion: "v1",
        }
        : _json(r);
    }
    return JSON.stringify({
      kind: r.chance(0.9) ? "TokenRequest" : _str(r),
      apiVersion: "authentication.k8s.io/v1",
      spec: r.chance(0.95) ? spec : _json(r),
    });
  }
  const o: Record<string, unknown> = {};
  const n = r.int(6);
  for (let i = 0; i < n; i++) _set(o, _key(r), _json(r));
  return JSON.stringify(o);
}

function _body(r: Rng, path: string, w: World): string | Uint8Array | undefined {
  switch (r.int(14)) {
    case 0:
      return undefined;
    case 1:
      return "";
    case 2:
      return _mutate(r, _routeBody(r, path, w));
    case 3:
      return r.pick([
        "{",
        "}",
        "[]",
        "null",
        "1",
        '"x"',
        "{,}",
        '{"a":}',
        "{'a':1}",
        "\ufeff{}",
        '{"a":1}garbage',
      ]);
    case 4:
      return r.chance(0.3) ? w.huge : "x".repeat(r.pick([4000, 4097, 5000]));
    case 5:
      return r.pick(w.deep);
    case 6:
      return Uint8Array.from({ length: 1 + r.int(64) }, () => r.int(256));
    case 7:
      return JSON.stringify(_json(r));
    default:
      return _routeBody(r, path, w);
  }
}

const CONTENT_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=utf-8",
  "APPLICATION/X-WWW-FORM-URLENCODED",
  "text/plain",
  "multipart/form-data; boundary=x",
  "",
  "application/json; charset=latin1",
];

function _makeCase(r: Rng, w: World): Case {
  const roll = r.next();
  const target = roll < 0.88 ? "hs" : roll < 0.99 ? "ed" : "rs";
  const path = _path(r);
  const method = r.chance(0.9)
    ? (path.startsWith("/auth") || path.startsWith("/command") ||
        path.includes("serviceaccounts") || (path.startsWith("/v2") && r.chance(0.5))
      ? "POST"
      : "GET")
    : r.pick([
      "GET",
      "POST",
      "PUT",
      "DELETE",
      "PATCH",
      "OPTIONS",
      "HEAD",
      "get",
      "PROPFIND",
      "BREW",
      "X".repeat(40),
    ]);
  const headers: Array<[string, string]> = [];
  if (r.chance(0.55)) headers.push(["authorization", _authorization(r, w)]);
  if (r.chance(0.1)) {
    headers.push([
      "x-authenticated-user",
      r.chance(0.5) ? r.pick(["alice", "bob", "edge-1"]) : _str(r, 40),
    ]);
  }
  if (r.chance(0.1)) headers.push(["x-scopes", _scope(r)]);
  if (r.chance(0.05)) {
    headers.push(["x-policy-generate", r.pick(["true", "TRUE", "false", _str(r, 5)])]);
  }
  if (r.chance(0.1)) {
    headers.push([
      "accept",
      r.pick([
        "application/openmetrics-text; version=1.0.0",
        "text/plain;q=0.1, */*",
        "application/openmetrics-text; version=9",
        _str(r, 30),
      ]),
    ]);
  }
  let body: string | Uint8Array | undefined;
  if (method !== "GET" && method !== "HEAD" && method !== "get") {
    body = _body(r, path, w);
    const form = path.startsWith("/v2/token");
    headers.push([
      "content-type",
      r.chance(0.85) ? (form ? CONTENT_TYPES[1] : CONTENT_TYPES[0]) : r.pick(CONTENT_TYPES),
    ]);
  }
  if (r.chance(0.02)) headers.push(["x-scopes", "s".repeat(3000)]);
  const remote = r.chance(0.15)
    ? r.pick(["10.0.0.1", "fd00::1"])
    : r.chance(0.5)
    ? `192.0.2.${r.int(8)}`
    : `${r.int(256)}.${r.int(256)}.${r.int(256)}.${r.int(256)}`;
  return {
    target,
    method,
    path: path + _query(r, w),
    headers,
    ...(body === undefined ? {} : { body }),
    remote,
  };
}

function _describe(c: Case): string {
  const body = c.body === undefined
    ? "none"
    : typeof c.body === "string"
    ? JSON.stringify(c.body.slice(0, 300)) +
      (c.body.length > 300 ? `… (${c.body.length} chars)` : "")
    : `${c.body.length} bytes`;
  return `${c.target} ${c.method} ${JSON.stringify(c.path.slice(0, 300))} from ${c.remote}\n` +
    `  headers: ${
      JSON.stringify(c.headers.map(([k, v]) => [k, v.slice(0, 200)]))
    }\n  body: ${body}`;
}

/**
 * A full garbage collection, so heap figures measure what is retained, not what is pending:
 * V8's `gc` is exposed at run time through `node:v8` flags and fetched from a fresh `node:vm`
 * context (the global one was created before the flag was set).
 */
const _gc: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    return typeof gc === "function" ? gc : undefined;
  } catch {
    return undefined;
  }
})();

/** Heap in use after a full collection. */
function _settledHeap(): number {
  _gc?.();
  return Deno.memoryUsage().heapUsed;
}

/** Build the Request; `undefined` when Web APIs refuse the input itself (not the handler's job). */
function _request(c: Case): Request | undefined {
  const headers = new Headers();
  for (const [k, v] of c.headers) {
    try {
      headers.append(k, v);
    } catch {
      // a value Headers refuses (e.g. a lone CR) never reaches a handler
    }
  }
  try {
    return new Request(`http://keypebble.test${c.path}`, {
      method: c.method,
      headers,
      ...(c.body === undefined ? {} : { body: c.body as BodyInit }),
    });
  } catch {
    return undefined;
  }
}

/** Claims only one kind may carry, by the route that mints that kind. */
const SPIFFE_IDS = [
  "spiffe://edge.example/sensors/t-1",
  "spiffe://edge.example/orders",
  "spiffe://evil.example/orders",
];

const OWN_CLAIMS: Record<string, string> = {
  access: "/v2/token",
  "kubernetes.io": "serviceaccounts",
  command: "/command/token",
};

function _payload(
  token: string,
): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const part = (s: string) =>
    JSON.parse(
      atob(s.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - s.length % 4) % 4)),
    );
  const [h, p] = token.split(".");
  return { header: part(h), claims: part(p) };
}

/**
 * The profile rules on every token the fuzzer obtains: no kind's own claims in a token from
 * another kind's route, the registry's service only in registry tokens, service-account subjects
 * only from the Kubernetes route, and each kind's typ.
 */
function _kindViolation(path: string, text: string): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined; // metrics, JWKS text
  }
  const tokens = [
    body.token,
    body.access_token,
    (body.status as { token?: unknown })?.token,
    body.svid,
  ].filter((t): t is string => typeof t === "string");
  for (const token of tokens) {
    const { header, claims } = _payload(token);
    for (const [claim, route] of Object.entries(OWN_CLAIMS)) {
      if (claim in claims && !path.includes(route)) return `"${claim}" in a token from ${path}`;
    }
    const aud = ([] as unknown[]).concat(claims.aud ?? []);
    if (aud.includes(SERVICE) && !path.startsWith("/v2/token")) {
      return `registry audience in a token from ${path}`;
    }
    const sub = String(claims.sub ?? "");
    if (sub.startsWith("system:serviceaccount:") && !path.includes("serviceaccounts")) {
      return `service-account subject in a token from ${path}`;
    }
    if (sub.startsWith("spiffe://") !== path.startsWith("/spiffe/v1/svid")) {
      return `subject "${sub.slice(0, 40)}" in a token from ${path}`;
    }
    if (path.startsWith("/spiffe/v1/svid")) {
      // JWT-SVID profile: ES256, typ JWT, no x5c, one string aud, at most 300 s, no other claims
      const keys = Object.keys(claims).sort().join(",");
      if (
        header.alg !== "ES256" || header.typ !== "JWT" || "x5c" in header ||
        typeof claims.aud !== "string" || (claims.exp as number) - (claims.iat as number) > 300 ||
        keys !== "aud,exp,iat,iss,jti,nbf,sub"
      ) return `SVID breaks its profile: ${JSON.stringify({ header, claims })}`;
    }
    if (path.startsWith("/command/token") && header.typ !== "kp-command+jwt") {
      return `command token with typ ${header.typ}`;
    }
  }
  return undefined;
}

Deno.test(`handler fuzz: ${CASES} seeded cases never throw, never 5xx, errors are JSON (FUZZ_SEED=${SEED})`, async () => {
  const w = await _world();
  const clock = (w.hs as unknown as { _clock: { t: number } })._clock;
  const handlers = { hs: w.hs, ed: w.ed, rs: w.rs };
  const statuses = new Map<number, number>();
  const codes = new Map<string, number>();
  let skipped = 0;
  let heapStart = 0;
  const started = performance.now();

  const runOne = async (index: number): Promise<void> => {
    const r = _caseRng(SEED, index);
    const c = _makeCase(r, w);
    const req = _request(c);
    if (req === undefined) {
      skipped++;
      return;
    }
    const fail = (why: string): never => {
      throw new Error(
        `fuzz case ${index} failed: ${why}\n${_describe(c)}\n` +
          `replay: FUZZ_SEED=${SEED} FUZZ_CASES=${index + 1} deno task test:fuzz`,
      );
    };
    let res: Response;
    try {
      res = await handlers[c.target].handler(req, { remoteAddr: c.remote });
    } catch (e) {
      return fail(`the handler threw ${e instanceof Error ? e.stack : String(e)}`);
    }
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) fail(`status ${res.status}: ${await res.text()}`);
    if (res.status < 200 || res.status >= 300) {
      const type = res.headers.get("content-type") ?? "";
      const text = await res.text();
      if (!type.startsWith("application/json")) {
        fail(`status ${res.status} with content-type "${type}"`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return fail(`status ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      const err = (body as { error?: unknown }).error;
      if (typeof err !== "string" || err === "") {
        fail(`status ${res.status} without an error code: ${text.slice(0, 200)}`);
      }
      codes.set(err as string, (codes.get(err as string) ?? 0) + 1);
      if (res.status === 401 && !res.headers.has("www-authenticate") && err === "unauthorized") {
        fail("401 unauthorized without WWW-Authenticate");
      }
      if (res.status === 429 && !res.headers.has("retry-after")) fail("429 without Retry-After");
    } else {
      const why = _kindViolation(c.path, await res.text());
      if (why !== undefined) fail(why);
    }
  };

  for (let i = 0; i < CASES; i += BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(CASES, i + BATCH); j++) batch.push(runOne(j));
    await Promise.all(batch);
    clock.t += 61; // simulated time: windows roll, locks expire, tokens stay within their lifetime
    if (i === 2000) heapStart = _settledHeap();
    if (Deno.env.get("FUZZ_HEAP_TRACE") && i % 10_000 === 0) {
      console.log(`heap at ${i}: ${(_settledHeap() / 2 ** 20).toFixed(1)} MiB`);
    }
    if (i % 1000 === 0) {
      // Access logs are captured in memory by the test helper: keep the last few only
      for (const kp of [w.hs, w.ed, w.rs]) kp.logLines.splice(0, kp.logLines.length);
    }
  }
  const secs = (performance.now() - started) / 1000;

  // Bounded state
  for (const [name, kp] of Object.entries(handlers)) {
    const s = kp.services;
    const limits = s.limits.backend as MemoryLimits;
    assert.ok(limits.size.windows <= limits.maxKeys, `${name} rate-limit windows`);
    assert.ok(limits.size.lockout <= limits.maxKeys, `${name} lockout size`);
    assert.ok(limits.size.periods <= limits.maxPeriods, `${name} quota periods`);
    assert.ok(s.credentials.size <= 1024, `${name} credential cache size ${s.credentials.size}`);
    // Metrics stay bounded: no client string becomes a label
    const m = await (await kp.fetch("/metrics")).text();
    const series = m.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
    assert.ok(series < 2000, `${name}: ${series} metric series`);
  }
  // Heap: give the collector a chance, then allow generous growth (limiter maps at their caps)
  await new Promise((res) => setTimeout(res, 50));
  const heapEnd = _settledHeap();
  const growthMiB = (heapEnd - heapStart) / 2 ** 20;
  console.log(
    `fuzz: ${CASES} cases (seed ${SEED}) in ${
      secs.toFixed(1)
    } s, ${skipped} refused by Request itself\n` +
      `  statuses ${
        JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))
      }\n` +
      `  error codes ${
        JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))
      }\n` +
      `  heap ${(heapStart / 2 ** 20).toFixed(1)} → ${(heapEnd / 2 ** 20).toFixed(1)} MiB` +
      (_gc === undefined ? " (no gc available)" : " (after full gc)"),
  );
  // Retained growth: the limiter and lockout maps filling to their caps is a few MiB; without a
  // collector to call, only a loose bound means anything
  const bound = _gc === undefined ? 512 : 48;
  if (CASES >= 10_000) {
    assert.ok(growthMiB < bound, `heap grew by ${growthMiB.toFixed(1)} MiB (bound ${bound})`);
  }
  // The fuzz reached the interesting places
  if (CASES >= 10_000) {
    for (const s of [200, 400, 401, 404, 405, 413, 429]) assert.ok(statuses.has(s), `no ${s} seen`);
  }
});
