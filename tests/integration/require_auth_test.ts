/**
 * `require_authentication`: with it on, /auth, /command/token and the Kubernetes endpoint need a
 * caller, and the token's subject is the caller unless the policy's `subjects` list allows the
 * name asked for. With it off they stay open, as documented.
 */

import assert from "node:assert/strict";
import { decodeJws, generateKeyPem } from "../../src/jose/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const KEY = await generateKeyPem("EdDSA");

async function server(requireAuth: string): Promise<TestHandler> {
  return await makeTestHandler({
    configYaml: `issuer: kp
audience: edge
rs256_private_key_path: key.pem
algorithm: EdDSA
policy_path: policy.yaml
trusted_proxies: ["10.0.0.1"]
require_authentication: ${requireAuth}
`,
    files: {
      "key.pem": KEY,
      "policy.yaml": `users:
  ops:
    password_hash: "${await cheapHash("ops-pw")}"
    repos: []
    actions: [pull]
    subjects: ["edge-*", "runner"]
    service_accounts: ["edge-ns/*", "ci/builder"]
  dev:
    password_hash: "${await cheapHash("dev-pw")}"
    repos: []
    actions: [pull]
`,
    },
  });
}

function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

const K8S = "/api/v1/namespaces/ci/serviceaccounts/builder/token";

async function sub(res: Response, path: (b: Record<string, unknown>) => unknown): Promise<unknown> {
  assert.equal(res.status === 200 || res.status === 201, true, `status ${res.status}`);
  return decodeJws(path(await res.json()) as string).payload.sub;
}

Deno.test("require_authentication: every issuing endpoint answers 401 without a caller", async () => {
  const kp = await server("true");
  for (
    const [path, body] of [
      ["/auth", { sub: "x" }],
      ["/command/token", { target: "t", command: "c" }],
      [K8S, { spec: { audiences: ["a"] } }],
    ] as const
  ) {
    const res = await kp.fetch(path, post(body));
    assert.equal(res.status, 401, path);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="Keypebble"/);
    assert.equal((await res.json()).error, "unauthorized");
    const bad = await kp.fetch(path, post(body, { authorization: basicAuth("ops", "wrong") }));
    assert.equal(bad.status, 401, path);
  }
});

Deno.test("require_authentication: the subject is the caller by default", async () => {
  const kp = await server("true");
  const auth = { authorization: basicAuth("dev", "dev-pw") };
  assert.equal(await sub(await kp.fetch("/auth", post({}, auth)), (b) => b.token), "dev");
  assert.equal(
    await sub(
      await kp.fetch("/command/token", post({ target: "t", command: "ls" }, auth)),
      (b) => b.token,
    ),
    "dev",
  );
  // The Kubernetes subject is always the service account, and which accounts a caller may mint
  // for is policy: `dev` has no `service_accounts`, so none.
  const k8s = await kp.fetch(K8S, post({ spec: { audiences: ["a"] } }, auth));
  assert.equal(k8s.status, 403);
  assert.equal((await k8s.json()).error, "forbidden");
  const ops = { authorization: basicAuth("ops", "ops-pw") };
  const allowed = await kp.fetch(K8S, post({ spec: { audiences: ["a"] } }, ops));
  assert.equal(allowed.status, 201);
  await allowed.body?.cancel();
});

Deno.test("finding 2: an authenticated caller cannot mint a Kubernetes token outside service_accounts", async () => {
  const kp = await server("true");
  const ops = { authorization: basicAuth("ops", "ops-pw") };
  const path = (ns: string, name: string) =>
    `/apis/authentication.k8s.io/v1/namespaces/${ns}/serviceaccounts/${name}/token`;
  const admin = await kp.fetch(
    path("kube-system", "cluster-admin"),
    post({ spec: { audiences: ["a"] } }, ops),
  );
  assert.equal(admin.status, 403);
  assert.equal((await admin.json()).error, "forbidden");
  const edge = await kp.fetch(path("edge-ns", "agent"), post({ spec: { audiences: ["a"] } }, ops));
  assert.equal(edge.status, 201);
  const token = (await edge.json()).status.token;
  assert.equal(decodeJws(token).payload.sub, "system:serviceaccount:edge-ns:agent");
  // A glob over the namespace does not reach a namespace that merely starts the same.
  const other = await kp.fetch(
    path("edge-ns2", "agent"),
    post({ spec: { audiences: ["a"] } }, ops),
  );
  assert.equal(other.status, 403);
  await other.body?.cancel();
});

Deno.test("require_authentication: naming another subject needs the policy's subjects list", async () => {
  const kp = await server("true");
  const dev = { authorization: basicAuth("dev", "dev-pw") };
  const denied = await kp.fetch("/auth", post({ sub: "runner" }, dev));
  assert.equal(denied.status, 403);
  assert.equal((await denied.json()).error, "forbidden");
  const deniedCmd = await kp.fetch(
    "/command/token",
    post({ user: "runner", target: "t", command: "c" }, dev),
  );
  assert.equal(deniedCmd.status, 403);

  const ops = { authorization: basicAuth("ops", "ops-pw") };
  assert.equal(
    await sub(await kp.fetch("/auth", post({ sub: "runner" }, ops)), (b) => b.token),
    "runner",
  );
  assert.equal(
    await sub(
      await kp.fetch("/command/token", post({ user: "runner", target: "t", command: "c" }, ops)),
      (b) => b.token,
    ),
    "runner",
  );
  // Patterns in subjects are literal names, not globs: "edge-*" allows exactly that string.
  assert.equal((await kp.fetch("/auth", post({ sub: "edge-7" }, ops))).status, 403);
});

Deno.test("require_authentication accepts a trusted proxy's identity header", async () => {
  const kp = await server("{auth: true}");
  const res = await kp.fetch("/auth", post({}, { "x-authenticated-user": "ops" }), "10.0.0.1");
  assert.equal(await sub(res, (b) => b.token), "ops");
  const untrusted = await kp.fetch(
    "/auth",
    post({}, { "x-authenticated-user": "ops" }),
    "192.0.2.1",
  );
  assert.equal(untrusted.status, 401);
});

Deno.test("require_authentication per endpoint leaves the others open", async () => {
  const kp = await server("{command: true}");
  assert.equal((await kp.fetch("/auth", post({ sub: "anyone" }))).status, 200);
  assert.equal((await kp.fetch(K8S, post({ spec: { audiences: ["a"] } }))).status, 201);
  assert.equal((await kp.fetch("/command/token", post({ target: "t", command: "c" }))).status, 401);
});

Deno.test("without require_authentication the issuing endpoints are open, as documented", async () => {
  const kp = await server("false");
  assert.equal(
    await sub(await kp.fetch("/auth", post({ sub: "whoever" })), (b) => b.token),
    "whoever",
  );
  assert.equal(
    await sub(
      await kp.fetch("/command/token", post({ target: "t", command: "c" })),
      (b) => b.token,
    ),
    "anonymous",
  );
});
