/**
 * Handler-level tests of the token profiles and the published documents: /auth, /command/token,
 * Kubernetes TokenRequest, JWKS, discovery and /healthz. In process, with a fixed clock; every
 * issued token is verified against the runtime's keyring.
 */

import assert from "node:assert/strict";
import { decodeJws, generateKeyPem, verifyJws } from "../../src/jose/mod.ts";
import { makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const SECRET = "profiles-hmac-secret-0123456789abcdefghij";

async function hmacHandler(extra = ""): Promise<TestHandler> {
  return await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
audience: default-aud
default_ttl_seconds: 600
max_ttl_seconds: 3600
hs256_secret_path: secret
kid: h1
allowed_custom_claims: [sub, role, edge_id, scope]
static_claims:
  scope: "fixed:scope"
  tier: gold
${extra}`,
    files: { secret: SECRET },
    now: () => NOW_MS,
  });
}

async function verified(kp: TestHandler, token: string): Promise<Record<string, unknown>> {
  // Each kind carries its own typ (src/profiles/table.ts); accept the one the token declares
  // among the kinds', never an unknown one.
  const typ = String(decodeJws(token).header.typ);
  const kinds = Object.values(kp.runtime.profiles).map((p) => p.signer.header.typ);
  assert.ok(kinds.includes(typ), `typ ${typ}`);
  const { payload } = await verifyJws(token, kp.runtime.keyring.keys, {
    now: NOW,
    issuer: kp.runtime.config.issuer,
    typ,
  });
  return payload;
}

function postJson(kp: TestHandler, path: string, body: unknown): Promise<Response> {
  return kp.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<string> {
  const body = await res.json();
  assert.equal(typeof body.message, "string");
  return body.error;
}

// ---- /auth ----

Deno.test("/auth never signs registered claims from the body", async () => {
  const kp = await hmacHandler();
  const res = await postJson(kp, "/auth", {
    sub: "edge-1",
    exp: 1,
    iss: "https://evil.test",
    jti: "chosen",
    iat: 2,
    nbf: 3,
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  const c = await verified(kp, body.token);
  assert.equal(c.sub, "edge-1");
  assert.equal(c.iss, "https://kp.test");
  assert.equal(c.iat, NOW);
  assert.equal(c.nbf, NOW);
  assert.equal(c.exp, NOW + 600);
  assert.notEqual(c.jti, "chosen");
  assert.match(c.jti as string, /^[0-9a-f]{32}$/);
  assert.deepEqual(body.claims, c, "the response echoes exactly the signed claims");
});

Deno.test("/auth drops claims outside allowed_custom_claims and static_claims win", async () => {
  const kp = await hmacHandler();
  const c = await verified(
    kp,
    (await (await postJson(kp, "/auth", {
      role: "reader",
      admin: true,
      scope: "everything",
      tier: "platinum",
    })).json()).token,
  );
  assert.equal(c.role, "reader");
  assert.equal(c.admin, undefined, "not allow-listed");
  assert.equal(c.scope, "fixed:scope", "static claim wins over the request");
  assert.equal(c.tier, "gold");
  assert.equal(c.aud, "default-aud");
});

Deno.test("/auth clamps ttl_seconds to max_ttl_seconds and does not sign it", async () => {
  const kp = await hmacHandler();
  for (
    const [path, body, ttl] of [
      ["/auth", { ttl_seconds: 999_999 }, 3600],
      ["/auth", { ttl_seconds: 30 }, 30],
      ["/auth", { ttl_seconds: "120" }, 120],
      ["/auth?ttl_seconds=99999", {}, 3600],
    ] as const
  ) {
    const res = await postJson(kp, path, body);
    assert.equal(res.status, 200, JSON.stringify(body));
    const out = await res.json();
    const c = await verified(kp, out.token);
    assert.equal((c.exp as number) - (c.iat as number), ttl, path);
    assert.equal(out.expires_in, ttl);
    assert.equal(c.ttl_seconds, undefined);
  }
  for (const bad of [0, -5, 1.5, "soon", true]) {
    const res = await postJson(kp, "/auth", { ttl_seconds: bad });
    assert.equal(res.status, 400, String(bad));
    assert.equal(await errorOf(res), "invalid_request");
  }
});

Deno.test("/auth refuses invalid JSON, non-objects and bodies over 64 KiB", async () => {
  const kp = await hmacHandler();
  for (const body of ["{", "not json", '{"a":1,}']) {
    const res = await postJson(kp, "/auth", body);
    assert.equal(res.status, 400, body);
    assert.equal(await errorOf(res), "invalid_json");
  }
  for (const body of ["[]", '"str"', "42", "null", "[{}]"]) {
    const res = await postJson(kp, "/auth", body);
    assert.equal(res.status, 400, body);
    assert.match(await errorOf(res), /^invalid_(json|body|request)$/, body);
  }
  const big = JSON.stringify({ role: "x".repeat(65_536) });
  const res = await postJson(kp, "/auth", big);
  assert.equal(res.status, 413);
  assert.equal(await errorOf(res), "payload_too_large");
  // Streamed without a Content-Length: still refused.
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 80; i++) c.enqueue(new TextEncoder().encode("x".repeat(1024)));
      c.close();
    },
  });
  const streamed = await kp.fetch("/auth", { method: "POST", body: stream });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  const get = await kp.fetch("/auth");
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  await get.body?.cancel();
});

// ---- /command/token ----

Deno.test("/command/token binds target, user and command; jti matches the response", async () => {
  const kp = await hmacHandler();
  const res = await postJson(kp, "/command/token", {
    user: "ops",
    target: "edge-7",
    command: "reboot --now",
    ttl_seconds: 10_000,
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  const c = await verified(kp, body.token);
  assert.equal(c.aud, "edge-7");
  assert.equal(c.sub, "ops");
  assert.equal(c.command, "reboot --now");
  assert.equal(c.jti, body.jti);
  assert.equal(c.exp, NOW + 3600, "clamped to max_ttl_seconds");
  assert.equal(body.expires_in, 3600);
  assert.equal(body.issued_at, new Date(NOW_MS).toISOString().replace(/\.\d{3}Z$/, "Z"));

  const anon = await (await postJson(kp, "/command/token", { target: "t", command: "c" })).json();
  const ac = await verified(kp, anon.token);
  assert.equal(ac.sub, "anonymous");
  assert.equal(ac.exp, NOW + 600);
  assert.notEqual(anon.jti, body.jti);

  for (const bad of [{}, { target: "t" }, { command: "c" }, { target: 5, command: "c" }]) {
    const r = await postJson(kp, "/command/token", bad);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(await errorOf(r), "invalid_request");
  }
});

// ---- Kubernetes TokenRequest ----

const SA = "/apis/authentication.k8s.io/v1/namespaces/ci/serviceaccounts/builder/token";

Deno.test("TokenRequest issues a service-account token with the kubernetes.io claim", async () => {
  const kp = await hmacHandler();
  for (const kind of ["Pod", "Secret", "Node"]) {
    const res = await postJson(kp, SA, {
      kind: "TokenRequest",
      spec: {
        audiences: ["api", "vault"],
        boundObjectRef: { kind, apiVersion: "v1", name: "obj-1", uid: "1234-abcd" },
      },
    });
    assert.equal(res.status, 201, kind);
    const body = await res.json();
    assert.equal(body.kind, "TokenRequest");
    const c = await verified(kp, body.status.token);
    assert.equal(c.sub, "system:serviceaccount:ci:builder");
    assert.deepEqual(c.aud, ["api", "vault"]);
    assert.match(c.jti as string, /^[0-9a-f]{32}$/);
    // As the Python Keypebble: without expirationSeconds, default_ttl_seconds (here 600).
    assert.equal(c.exp, NOW + 600, "default expirationSeconds = default_ttl_seconds");
    assert.equal(body.status.expirationTimestamp, "2027-01-15T08:10:00Z");
    assert.deepEqual(c["kubernetes.io"], {
      namespace: "ci",
      serviceaccount: { name: "builder" },
      [kind.toLowerCase()]: { name: "obj-1", uid: "1234-abcd" },
    });
  }
  const core = await postJson(kp, "/api/v1/namespaces/ci/serviceaccounts/builder/token", {
    spec: { audiences: ["x"], expirationSeconds: 600 },
  });
  assert.equal(core.status, 201);
  const cc = await verified(kp, (await core.json()).status.token);
  assert.equal(cc.exp, NOW + 600);
  assert.deepEqual(cc["kubernetes.io"], { namespace: "ci", serviceaccount: { name: "builder" } });
});

Deno.test("TokenRequest clamps long lifetimes and refuses bad requests", async () => {
  const kp = await hmacHandler();
  const long = await postJson(kp, SA, { spec: { audiences: ["x"], expirationSeconds: 86_400 } });
  assert.equal(long.status, 201);
  const lb = await long.json();
  assert.equal((await verified(kp, lb.status.token)).exp, NOW + 3600);
  assert.equal(lb.spec.expirationSeconds, 3600);
  for (
    const body of [
      {},
      { spec: {} },
      { spec: { audiences: [] } },
      { spec: { audiences: "x" } },
      { spec: { audiences: ["x"], expirationSeconds: 599 } },
      { spec: { audiences: ["x"], expirationSeconds: "3600" } },
      { kind: "Pod", spec: { audiences: ["x"] } },
      { spec: { audiences: ["x"], boundObjectRef: { kind: "Deployment", name: "d" } } },
      { spec: { audiences: ["x"], boundObjectRef: { kind: "Pod" } } },
    ]
  ) {
    const r = await postJson(kp, SA, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(await errorOf(r), "invalid_request", JSON.stringify(body));
  }
  for (
    const path of [
      "/api/v1/namespaces/ci/serviceaccounts/Builder/token",
      "/api/v1/namespaces/CI/serviceaccounts/builder/token",
      `/api/v1/namespaces/ci/serviceaccounts/${"a".repeat(300)}/token`,
      "/api/v1/namespaces/ci/serviceaccounts/%2E%2E/token",
      "/api/v1/namespaces/ci/serviceaccounts/a%2F..%2Fb/token",
      "/api/v1/namespaces/ci/serviceaccounts/-a/token",
    ]
  ) {
    const r = await postJson(kp, path, { spec: { audiences: ["x"] } });
    if (r.status === 404) {
      // Dot segments and encoded slashes never match a path parameter: no route, never a name.
      assert.ok(path.includes("%2E%2E") || path.includes("%2F"), path);
      await r.body?.cancel();
      continue;
    }
    assert.equal(r.status, 400, path);
    assert.equal(await errorOf(r), "invalid_name", path);
  }
  const badBound = await postJson(kp, SA, {
    spec: { audiences: ["x"], boundObjectRef: { kind: "Pod", name: "Bad_Name" } },
  });
  assert.equal(badBound.status, 400);
  assert.equal(await errorOf(badBound), "invalid_name");
});

// ---- JWKS and discovery ----

async function keyringHandler(issuer: string): Promise<TestHandler> {
  return await makeTestHandler({
    configYaml: `issuer: "${issuer}"
jwks_max_age_seconds: 60
keys:
  - path: ec.pem
    kid: k2026
  - path: rsa.pem
  - path: ed.pem
  - secret_path: secret
    kid: h1
`,
    files: {
      "ec.pem": await generateKeyPem("ES256"),
      "rsa.pem": await generateKeyPem("RS256"),
      "ed.pem": await generateKeyPem("EdDSA"),
      secret: SECRET,
    },
    now: () => NOW_MS,
  });
}

Deno.test("JWKS publishes public members of asymmetric keys only", async () => {
  const kp = await keyringHandler("https://kp.test");
  const res = await kp.fetch("/.well-known/jwks.json");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/(jwk-set\+)?json/);
  assert.equal(res.headers.get("cache-control"), "public, max-age=60");
  const { keys } = await res.json();
  assert.deepEqual(keys.map((k: Record<string, string>) => [k.alg, k.kty, k.use]), [
    ["ES256", "EC", "sig"],
    ["RS256", "RSA", "sig"],
    ["EdDSA", "OKP", "sig"],
  ]);
  assert.equal(keys[0].kid, "k2026");
  for (const k of keys) {
    for (const m of ["d", "p", "q", "dp", "dq", "qi", "k"]) assert.equal(k[m], undefined, m);
    assert.match(k.kid, /^[A-Za-z0-9_-]+$/);
  }
  // Publication matches the keyring: the token's kid is found, with the right alg.
  const t = (await (await postJson(kp, "/auth", {})).json()).token;
  const header = JSON.parse(atob(t.split(".")[0].replaceAll("-", "+").replaceAll("_", "/")));
  assert.equal(header.kid, "k2026");
  assert.equal(header.alg, "ES256");

  const hmacOnly = await hmacHandler();
  assert.deepEqual(await (await hmacOnly.fetch("/.well-known/jwks.json")).json(), { keys: [] });
  const head = await kp.fetch("/.well-known/jwks.json", { method: "HEAD" });
  assert.equal(head.status, 200);
  await head.body?.cancel();
});

Deno.test("discovery names the configured issuer exactly and the JWKS URL", async () => {
  const kp = await keyringHandler("https://issuer.example/tenant-1");
  const res = await kp.fetch("/.well-known/openid-configuration");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("cache-control") ?? "", /max-age=60/);
  const doc = await res.json();
  assert.equal(doc.issuer, "https://issuer.example/tenant-1");
  assert.equal(doc.jwks_uri, "https://issuer.example/tenant-1/.well-known/jwks.json");
  assert.deepEqual([...doc.id_token_signing_alg_values_supported].sort(), [
    "ES256",
    "EdDSA",
    "RS256",
  ]);
  assert.ok(doc.response_types_supported.includes("id_token"));
  assert.ok(doc.subject_types_supported.includes("public"));

  // An issuer that is not a URL keeps its value; the URLs come from public_url, never the Host.
  const plain = await hmacHandler();
  const pd = await (await plain.fetch("/.well-known/openid-configuration")).json();
  assert.equal(pd.issuer, "https://kp.test");
  const named = await makeTestHandler({
    configYaml: `issuer: keypebble-edge\nhs256_secret_path: secret\n`,
    files: { secret: SECRET },
  });
  const nd = await (await named.fetch("/.well-known/openid-configuration", {
    headers: { host: "evil.example" },
  })).json();
  assert.equal(nd.issuer, "keypebble-edge");
  assert.equal(nd.jwks_uri, undefined, "no public_url: no guessed URL");
  const withUrl = await makeTestHandler({
    configYaml:
      `issuer: keypebble-edge\npublic_url: "https://auth.example/"\nhs256_secret_path: secret\n`,
    files: { secret: SECRET },
  });
  const wd = await (await withUrl.fetch("/.well-known/openid-configuration")).json();
  assert.equal(wd.jwks_uri, "https://auth.example/.well-known/jwks.json");
  assert.equal(wd.token_endpoint, "https://auth.example/v2/token");
  assert.deepEqual(nd.id_token_signing_alg_values_supported, [], "HS256 is never advertised");
});

// ---- /healthz ----

Deno.test("/healthz reports status, generation and the last reload", async () => {
  const kp = await hmacHandler();
  const res = await kp.fetch("/healthz");
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.equal(body.generation, 1);
  assert.deepEqual(body.last_reload, { outcome: "none" });
  assert.equal(typeof body.version, "string");
  const post = await kp.fetch("/healthz", { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("GET /openapi.json serves the OpenAPI 3.1 document to anyone", async () => {
  const kp = await makeTestHandler({
    configYaml: 'issuer: "https://kp.test"\nhs256_secret: "0123456789abcdef0123456789abcdef"\n',
  });
  const res = await kp.fetch("/openapi.json");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.ok(doc.paths["/v2/token"].get);
});

// ---- Python Keypebble compatibility ----

Deno.test("/command/token honours the Python request's expirationSeconds", async () => {
  const kp = await hmacHandler();
  const res = await postJson(kp, "/command/token", {
    target: "edge-7",
    command: "reboot",
    expirationSeconds: 120,
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.expires_in, 120);
  const c = await verified(kp, body.token);
  assert.equal(c.exp, NOW + 120);
  // ttl_seconds wins when both are given; a bad value is still a 400
  const both = await postJson(kp, "/command/token", {
    target: "t",
    command: "c",
    ttl_seconds: 300,
    expirationSeconds: 120,
  });
  assert.equal((await both.json()).expires_in, 300);
  const bad = await postJson(kp, "/command/token", {
    target: "t",
    command: "c",
    expirationSeconds: "soon",
  });
  assert.equal(bad.status, 400);
});

Deno.test("static_claims reach command and Kubernetes tokens but never override their own claims", async () => {
  const kp = await hmacHandler();
  const cmd = await postJson(kp, "/command/token", { target: "edge-7", command: "ls" });
  const c = await verified(kp, (await cmd.json()).token);
  assert.equal(c.tier, "gold");
  assert.equal(c.aud, "edge-7");
  assert.equal(c.command, "ls");
  const sa = await postJson(kp, SA, { spec: { audiences: ["api"] } });
  const k = await verified(kp, (await sa.json()).status.token);
  assert.equal(k.tier, "gold");
  assert.deepEqual(k.aud, ["api"]);
  assert.equal(k.sub, "system:serviceaccount:ci:builder");
});
