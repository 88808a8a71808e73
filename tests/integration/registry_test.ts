/**
 * /v2/token at the handler level: identity, scope grammar, policy intersection, service checks,
 * the OAuth2 POST flow and refresh tokens. The real registry, skopeo and nginx are in tests/e2e.
 */

import assert from "node:assert/strict";
import { decodeJws, generateKeyPem, verifyJws } from "../../src/jose/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const KEY = await generateKeyPem("ES256");

async function registry(extraPolicy = "", extraConfig = ""): Promise<TestHandler> {
  const alice = await cheapHash("alice-pw");
  const bob = await cheapHash("bob-pw");
  return await makeTestHandler({
    configYaml: `issuer: kp-test
audience: registry.local
services: [registry.local, other.local]
rs256_private_key_path: key.pem
algorithm: ES256
kid: thumbprint
policy_path: policy.yaml
trusted_proxies: ["10.0.0.1"]
${extraConfig}`,
    files: {
      "key.pem": KEY,
      "policy.yaml": `pull_only: &pull_only
  actions: [pull]
users:
  alice:
    password_hash: "${alice}"
    repos: ["alice/*", "shared/**", "registry:catalog:*"]
    actions: [pull, push]
  bob:
    password_hash: "${bob}"
    repos: ["\${account}/*", "shared/*"]
    <<: *pull_only
${extraPolicy}`,
    },
  });
}

async function body(res: Response): Promise<Record<string, unknown>> {
  return await res.json() as Record<string, unknown>;
}

function claimsOf(token: unknown): Record<string, unknown> {
  return decodeJws(token as string).payload;
}

Deno.test("GET /v2/token without credentials is a 401 Basic challenge", async () => {
  const kp = await registry();
  const res = await kp.fetch("/v2/token?service=registry.local&scope=repository:alice/app:pull");
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="Keypebble"/);
  assert.equal((await body(res)).error, "unauthorized");
});

Deno.test("GET /v2/token grants the intersection of the request and the policy", async () => {
  const kp = await registry();
  const res = await kp.fetch(
    "/v2/token?service=registry.local&scope=repository:bob/app:pull,push&scope=repository:alice/app:pull&account=bob",
    { headers: { authorization: basicAuth("bob", "bob-pw") } },
  );
  assert.equal(res.status, 200);
  const b = await body(res);
  assert.equal(b.token, b.access_token);
  assert.ok((b.expires_in as number) >= 60);
  assert.match(b.issued_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const { header, payload } = await verifyJws(b.token as string, kp.runtime.keyring.keys, {
    now: Math.floor(Date.now() / 1000),
    issuer: "kp-test",
    audience: "registry.local",
    typ: "kp-registry+jwt",
  });
  assert.equal(header.alg, "ES256");
  assert.equal(typeof header.kid, "string");
  assert.equal(payload.aud, "registry.local", "aud is a plain string for registry 2.8");
  assert.equal(payload.sub, "bob");
  assert.deepEqual(payload.access, [{ type: "repository", name: "bob/app", actions: ["pull"] }]);
});

Deno.test("GET /v2/token: an empty grant is still a 200 with an empty access list", async () => {
  const kp = await registry();
  const res = await kp.fetch("/v2/token?service=registry.local&scope=repository:carol/x:pull", {
    headers: { authorization: basicAuth("bob", "bob-pw") },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(claimsOf((await body(res)).token).access, []);
});

Deno.test("GET /v2/token reads X-Scopes, host:port names and registry:catalog", async () => {
  const kp = await registry();
  const res = await kp.fetch("/v2/token?service=registry.local&scope=registry:catalog:*", {
    headers: {
      authorization: basicAuth("alice", "alice-pw"),
      "x-scopes": "repository:shared/a/b:pull repository:localhost:5000/x:pull",
    },
  });
  assert.equal(res.status, 200);
  const access = claimsOf((await body(res)).token).access as { name: string }[];
  assert.deepEqual(access.map((a) => a.name).sort(), ["catalog", "shared/a/b"]);
});

Deno.test("GET /v2/token refuses a wrong password and an unknown user alike", async () => {
  const kp = await registry();
  const wrong = await kp.fetch("/v2/token?service=registry.local", {
    headers: { authorization: basicAuth("alice", "nope") },
  });
  const unknown = await kp.fetch("/v2/token?service=registry.local", {
    headers: { authorization: basicAuth("mallory", "nope") },
  });
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.deepEqual(await body(wrong), await body(unknown));
});

Deno.test("GET /v2/token: unknown service, account mismatch and bad scopes are 400s", async () => {
  const kp = await registry();
  const auth = { headers: { authorization: basicAuth("bob", "bob-pw") } };
  const svc = await kp.fetch("/v2/token?service=evil.example", auth);
  assert.equal(svc.status, 400);
  assert.equal((await body(svc)).error, "unsupported_service");
  const acct = await kp.fetch("/v2/token?service=registry.local&account=alice", auth);
  assert.equal(acct.status, 400);
  assert.equal((await body(acct)).error, "account_mismatch");
  for (
    const scope of [
      "repository:../etc:pull",
      "repository:bob/app",
      "repository:bob/app:",
      "repository:Bob/App:pull",
      "repository:bob/a%0Ab:pull",
      "repository:bob/a%00b:pull",
      `repository:${"a".repeat(10_000)}:pull`,
    ]
  ) {
    const res = await kp.fetch(`/v2/token?service=registry.local&scope=${scope}`, auth);
    assert.equal(res.status, 400, scope.slice(0, 40));
    assert.equal((await body(res)).error, "invalid_scope");
  }
});

Deno.test("GET /v2/token trusts X-Authenticated-User only from trusted proxies", async () => {
  const kp = await registry();
  const path = "/v2/token?service=registry.local&scope=repository:alice/app:push";
  const trusted = await kp.fetch(
    path,
    { headers: { "x-authenticated-user": "alice" } },
    "10.0.0.1",
  );
  assert.equal(trusted.status, 200);
  assert.equal(claimsOf((await body(trusted)).token).sub, "alice");
  const untrusted = await kp.fetch(
    path,
    { headers: { "x-authenticated-user": "alice" } },
    "192.0.2.9",
  );
  assert.equal(untrusted.status, 401);
  const comma = await kp.fetch(
    path,
    { headers: { "x-authenticated-user": "alice,bob" } },
    "10.0.0.1",
  );
  assert.equal(comma.status, 401);
});

Deno.test("GET /v2/token generate mode grants the user's literal repositories", async () => {
  const kp = await registry(`  carol:
    repos: ["team/app", "team/*"]
    actions: [pull]
`);
  const res = await kp.fetch("/v2/token?service=registry.local", {
    headers: { "x-authenticated-user": "carol", "x-policy-generate": "true" },
  }, "10.0.0.1");
  assert.equal(res.status, 200);
  assert.deepEqual(claimsOf((await body(res)).token).access, [
    { type: "repository", name: "team/app", actions: ["pull"] },
  ]);
});

Deno.test("GET /v2/token with offline_token returns a refresh token that is not an access token", async () => {
  const kp = await registry();
  const res = await kp.fetch(
    "/v2/token?service=registry.local&offline_token=true&client_id=docker",
    { headers: { authorization: basicAuth("alice", "alice-pw") } },
  );
  const b = await body(res);
  const refresh = b.refresh_token as string;
  assert.equal(decodeJws(refresh).header.typ, "kp-refresh+jwt");
  assert.equal(claimsOf(refresh).aud, "urn:keypebble:refresh");
  await assert.rejects(
    verifyJws(refresh, kp.runtime.keyring.keys, {
      now: Math.floor(Date.now() / 1000),
      audience: "registry.local",
    }),
    (e: Error & { code?: string }) => e.code === "invalid_token_type",
  );
});

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  };
}

/** The OAuth2 password grant asking for a refresh token, as client "c". */
async function offlineLogin(
  kp: TestHandler,
  username: string,
  password: string,
): Promise<Record<string, unknown>> {
  const res = await kp.fetch(
    "/v2/token",
    form({
      grant_type: "password",
      username,
      password,
      service: "registry.local",
      client_id: "c",
      access_type: "offline",
    }),
  );
  assert.equal(res.status, 200);
  return await body(res);
}

Deno.test("POST /v2/token password grant, then refresh grant without rotation", async () => {
  const kp = await registry();
  const res = await kp.fetch(
    "/v2/token",
    form({
      grant_type: "password",
      username: "alice",
      password: "alice-pw",
      service: "registry.local",
      client_id: "containerd",
      access_type: "offline",
      scope: "repository:alice/app:pull,push repository:bob/app:pull",
    }),
  );
  assert.equal(res.status, 200);
  const b = await body(res);
  assert.equal(b.token_type, "Bearer");
  assert.equal(b.scope, "repository:alice/app:pull,push");
  assert.equal(claimsOf(b.access_token).sub, "alice");
  const refresh = b.refresh_token as string;
  const again = await kp.fetch(
    "/v2/token",
    form({
      grant_type: "refresh_token",
      refresh_token: refresh,
      service: "registry.local",
      client_id: "containerd",
      scope: "repository:alice/app:pull",
    }),
  );
  assert.equal(again.status, 200);
  const b2 = await body(again);
  assert.equal(b2.refresh_token, undefined, "refresh tokens are not rotated");
  assert.deepEqual(claimsOf(b2.access_token).access, [
    { type: "repository", name: "alice/app", actions: ["pull"] },
  ]);
  // Bound to service and client.
  for (
    const [k, v] of [["service", "other.local"], ["client_id", "someone-else"]] as const
  ) {
    const r = await kp.fetch(
      "/v2/token",
      form({
        grant_type: "refresh_token",
        refresh_token: refresh,
        service: "registry.local",
        client_id: "containerd",
        [k]: v,
      }),
    );
    assert.equal(r.status, 400);
    assert.equal((await body(r)).error, "invalid_grant");
  }
});

Deno.test("POST /v2/token refuses forged, altered and access tokens as refresh tokens", async () => {
  const kp = await registry();
  const ok = await offlineLogin(kp, "alice", "alice-pw");
  const refresh = ok.refresh_token as string;
  const [h, p, s] = refresh.split(".");
  const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
  const payload = JSON.parse(new TextDecoder().decode(
    Uint8Array.from(atob(p.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
  ));
  payload.sub = "bob";
  const altered = `${h}.${
    btoa(JSON.stringify(payload)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")
  }.${s}`;
  for (const t of [flipped, altered, ok.access_token as string, "not-a-token"]) {
    const r = await kp.fetch(
      "/v2/token",
      form({
        grant_type: "refresh_token",
        refresh_token: t,
        service: "registry.local",
        client_id: "c",
      }),
    );
    assert.equal(r.status, 400);
    const e = await body(r);
    assert.equal(e.error, "invalid_grant");
    assert.equal(typeof e.error_description, "string");
  }
});

Deno.test("POST /v2/token: a user removed from the policy cannot refresh", async () => {
  const before = await registry();
  const ok = await offlineLogin(before, "bob", "bob-pw");
  // Same key, policy without bob (as after a reload).
  const after = await makeTestHandler({
    configYaml:
      "issuer: kp-test\naudience: registry.local\nrs256_private_key_path: key.pem\nalgorithm: ES256\nkid: thumbprint\npolicy_path: p.yaml\n",
    files: {
      "key.pem": KEY,
      "p.yaml": "users:\n  alice:\n    repos: [x/*]\n    actions: [pull]\n",
    },
  });
  const r = await after.fetch(
    "/v2/token",
    form({
      grant_type: "refresh_token",
      refresh_token: ok.refresh_token as string,
      service: "registry.local",
      client_id: "c",
    }),
  );
  assert.equal(r.status, 400);
  assert.equal((await body(r)).error, "invalid_grant");
});

Deno.test("POST /v2/token errors follow RFC 6749 §5.2", async () => {
  const kp = await registry();
  const cases: [Record<string, string>, string][] = [
    [
      { grant_type: "client_credentials", service: "registry.local", client_id: "c" },
      "unsupported_grant_type",
    ],
    [{ service: "registry.local", client_id: "c" }, "invalid_request"],
    [
      { grant_type: "password", service: "registry.local", username: "a", password: "b" },
      "invalid_request",
    ],
    [{
      grant_type: "password",
      service: "registry.local",
      client_id: "c",
      username: "alice",
      password: "x",
    }, "invalid_grant"],
  ];
  for (const [fields, code] of cases) {
    const r = await kp.fetch("/v2/token", form(fields));
    assert.equal(r.status, 400, code);
    assert.equal((await body(r)).error, code);
  }
  const notForm = await kp.fetch("/v2/token", { method: "POST", body: "{}" });
  assert.equal(notForm.status, 415);
});

Deno.test("GET /v2/token signs service and the granted scope, and answers with the claims (as the Python Keypebble)", async () => {
  const kp = await registry();
  const res = await kp.fetch(
    "/v2/token?service=registry.local&scope=repository:bob/app:pull,push&scope=repository:alice/app:pull",
    { headers: { authorization: basicAuth("bob", "bob-pw") } },
  );
  assert.equal(res.status, 200);
  const b = await body(res);
  const c = claimsOf(b.token);
  assert.equal(c.service, "registry.local");
  // Only what was granted: never the push nor alice's repository that were asked for.
  assert.equal(c.scope, "repository:bob/app:pull");
  assert.deepEqual(b.claims, c);
});

Deno.test("/v2/token without a policy names the missing policy instead of a bad password", async () => {
  const kp = await makeTestHandler({
    configYaml: "issuer: kp-test\naudience: registry.local\nhs256_secret: " +
      '"0123456789abcdef0123456789abcdef"\n',
  });
  const res = await kp.fetch("/v2/token?service=registry.local", {
    headers: { authorization: basicAuth("bob", "bob-pw") },
  });
  assert.equal(res.status, 401);
  const b = await body(res);
  assert.equal(b.error, "unauthorized");
  assert.match(b.message as string, /No policy is loaded.*policy_path/);
  const post = await kp.fetch("/v2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=password&service=registry.local&client_id=c&username=bob&password=x",
  });
  // The password grant answers as RFC 6749 §5.2 says (400 invalid_grant), with the reason.
  assert.equal(post.status, 400);
  const pb = await body(post);
  assert.equal(pb.error, "invalid_grant");
  assert.match(pb.message as string, /No policy is loaded/);
});

Deno.test("GET /v2/token: a decision remembered for one policy is never another policy's", async () => {
  const ask = (kp: TestHandler) =>
    kp.fetch("/v2/token?service=registry.local&scope=repository:shared/a/b:pull,push", {
      headers: { authorization: basicAuth("alice", "alice-pw") },
    });
  const wide = await registry();
  for (let i = 0; i < 3; i++) {
    const res = await ask(wide);
    assert.equal(res.status, 200);
    assert.deepEqual(claimsOf((await body(res)).token).access, [
      { type: "repository", name: "shared/a/b", actions: ["pull", "push"] },
    ]);
  }
  // The same user, the same question, under a policy that says less (as after a reload).
  const hash = await cheapHash("alice-pw");
  const narrow = await makeTestHandler({
    configYaml:
      "issuer: kp-test\naudience: registry.local\nservices: [registry.local]\nrs256_private_key_path: key.pem\nalgorithm: ES256\nkid: thumbprint\npolicy_path: p.yaml\n",
    files: {
      "key.pem": KEY,
      "p.yaml": `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["shared/*/*"]\n` +
        "    actions: [pull]\n",
    },
  });
  for (let i = 0; i < 2; i++) {
    const res = await ask(narrow);
    assert.equal(res.status, 200);
    assert.deepEqual(claimsOf((await body(res)).token).access, [
      { type: "repository", name: "shared/a/b", actions: ["pull"] },
    ]);
  }
  assert.deepEqual(claimsOf((await body(await ask(wide))).token).access, [
    { type: "repository", name: "shared/a/b", actions: ["pull", "push"] },
  ]);
});

Deno.test("GET /v2/token: a remembered decision never answers a question spelt differently", async () => {
  const kp = await registry();
  const h = { headers: { authorization: basicAuth("alice", "alice-pw") } };
  const glued =
    "/v2/token?service=registry.local&scope=repository:alice/a:pull%0Arepository:alice/b:pull";
  const before = await kp.fetch(glued, h);
  assert.equal(before.status, 400);
  assert.equal((await body(before)).error, "invalid_scope");
  // The same two scopes asked as two parameters are granted and remembered...
  const split = await kp.fetch(
    "/v2/token?service=registry.local&scope=repository:alice/a:pull&scope=repository:alice/b:pull",
    h,
  );
  assert.equal(split.status, 200);
  // ...and the glued form is still refused.
  const after = await kp.fetch(glued, h);
  assert.equal(after.status, 400);
  assert.equal((await body(after)).error, "invalid_scope");
});
