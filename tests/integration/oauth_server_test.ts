/**
 * The OAuth2 server (issue 13) at handler level: client credentials for config clients, the
 * password and refresh_token grants, token exchange (our tokens and a trusted issuer's, whose
 * JWKS is served by a stand-in for the remote issuer), introspection, revocation, discovery, and
 * bad input at every endpoint. tests/e2e/oauth_client_test.ts runs the same grants with an
 * independent client library against a real server.
 */

import assert from "node:assert/strict";
// A test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { exportJWK, generateKeyPair, SignJWT } from "npm:jose@5.9.6";
import { hashPassword } from "../../src/identity/mod.ts";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";

const CLIENT_SECRET = "ci-secret-0123456789abcdef";
const K8S = "https://k8s.example.test";

async function instance() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k8s-1", alg: "ES256", use: "sig" };
  let jwksFetches = 0;
  const fetchJwks = ((input: string | URL | Request) => {
    jwksFetches++;
    assert.equal(String(input), `${K8S}/openid/v1/jwks`);
    return Promise.resolve(Response.json({ keys: [jwk] }));
  }) as typeof fetch;
  const hash = await hashPassword(CLIENT_SECRET, { iterations: 1000 });
  const kp = await makeAccountInstance({
    fetchJwks,
    extraYaml: `oauth:
  clients:
    - id: ci
      secret_hash: "${hash}"
      audiences: [deploy-api, other-api]
      scopes: [deploy, read]
  trusted_issuers:
    - issuer: ${K8S}
      jwks_uri: ${K8S}/openid/v1/jwks
      audiences: [keypebble]
      scopes: [deploy]
      subject_prefix: "ci-cluster:"
  exchange_audiences: [deploy-api]
  token_exchange: true
`,
  });
  const k8sToken = (claims: Record<string, unknown>, exp = "10m") =>
    new SignJWT({ sub: "system:serviceaccount:ci:runner", ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "k8s-1" })
      .setIssuer(K8S)
      .setIssuedAt(Math.floor(Date.UTC(2026, 5, 10, 12, 0, 5) / 1000))
      .setExpirationTime(
        Math.floor(Date.UTC(2026, 5, 10, 12, 0, 5) / 1000) + (exp === "10m" ? 600 : 10),
      )
      .sign(privateKey);
  const form = (
    path: string,
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    kp.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(params).toString(),
    });
  return { kp, form, k8sToken, fetches: () => jwksFetches };
}

const claimsOf = (t: string) =>
  JSON.parse(atob(t.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${btoa(`${id}:${secret}`)}`,
});

Deno.test("client_credentials for a config client: scopes and audiences within what it holds", async () => {
  const { kp, form } = await instance();
  try {
    const res = await form(
      "/oauth2/token",
      { grant_type: "client_credentials", scope: "deploy" },
      basic("ci", CLIENT_SECRET),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.scope, "deploy");
    const c = claimsOf(body.access_token);
    assert.deepEqual([c.sub, c.client_id, c.scope, c.aud], ["ci", "ci", "deploy", "deploy-api"]);
    const post = await form("/oauth2/token", {
      grant_type: "client_credentials",
      client_id: "ci",
      client_secret: CLIENT_SECRET,
      audience: "other-api",
    });
    assert.equal(claimsOf((await post.json()).access_token).aud, "other-api");
    for (
      const [what, params, headers, status, error] of [
        [
          "wrong secret",
          { grant_type: "client_credentials" },
          basic("ci", "nope"),
          401,
          "invalid_client",
        ],
        [
          "scope not held",
          { grant_type: "client_credentials", scope: "admin" },
          basic("ci", CLIENT_SECRET),
          400,
          "invalid_scope",
        ],
        [
          "audience not held",
          { grant_type: "client_credentials", audience: "bank" },
          basic("ci", CLIENT_SECRET),
          400,
          "invalid_target",
        ],
        ["unknown grant", { grant_type: "implicit" }, {}, 400, "unsupported_grant_type"],
      ] as const
    ) {
      const r = await form("/oauth2/token", params, headers);
      assert.equal(r.status, status, what);
      const e = await r.json();
      assert.equal(e.error, error, what);
      assert.equal(typeof e.error_description, "string");
    }
    const json = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(json.status, 415);
    await json.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("password and refresh_token grants: rotation, binding to the client, reuse revokes the family", async () => {
  const { kp, form } = await instance();
  try {
    const u = await kp.user("pw@example.com");
    const res = await form("/oauth2/token", {
      grant_type: "password",
      username: "pw@example.com",
      password: u.password,
    });
    assert.equal(res.status, 200);
    const t = await res.json();
    assert.equal(t.token_type, "Bearer");
    assert.match(t.refresh_token, /^kprt_/);
    assert.equal(claimsOf(t.access_token).email, "pw@example.com");
    const bad = await form("/oauth2/token", {
      grant_type: "password",
      username: "pw@example.com",
      password: "wrong-one",
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error, "invalid_grant");
    const r1 = await (await form("/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: t.refresh_token,
    })).json();
    assert.ok(r1.refresh_token);
    kp.advance(31_000); // past accounts.refresh_reuse_seconds (30): reuse, not a retry
    const reuse = await form("/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: t.refresh_token,
    });
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, "invalid_grant");
    const dead = await form("/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: r1.refresh_token,
    });
    assert.equal(dead.status, 400);
    await dead.body?.cancel();
    // A family started by a client may only be refreshed by that client.
    const bound = await (await form("/oauth2/token", {
      grant_type: "password",
      username: "pw@example.com",
      password: u.password,
    }, basic("ci", CLIENT_SECRET))).json();
    assert.equal(claimsOf(bound.access_token).client_id, "ci");
    const anon = await form("/oauth2/token", {
      grant_type: "refresh_token",
      refresh_token: bound.refresh_token,
    });
    assert.equal(anon.status, 400);
    assert.match((await anon.json()).message, /another client/);
  } finally {
    await kp.close();
  }
});

Deno.test("token exchange: a trusted issuer's JWT and our own token, with the server deciding the claims", async () => {
  const { kp, form, k8sToken, fetches } = await instance();
  try {
    const ex = (subject: string, extra: Record<string, string> = {}) =>
      form("/oauth2/token", {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: subject,
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        ...extra,
      });
    const sa = await k8sToken({ aud: ["keypebble"] });
    const res = await ex(sa, { audience: "deploy-api" });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    assert.equal(body.issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
    const c = claimsOf(body.access_token);
    assert.deepEqual([c.sub, c.aud, c.scope, c.iss], [
      "ci-cluster:system:serviceaccount:ci:runner",
      "deploy-api",
      "deploy",
      "https://kp.test",
    ]);
    assert.ok(c.exp - c.iat <= 600, "never beyond the subject token's expiry");
    // The JWKS is cached.
    await (await ex(sa)).body?.cancel();
    assert.equal(fetches(), 1);
    for (
      const [what, subject, extra, error] of [
        ["not for us", await k8sToken({ aud: ["someone-else"] }), {}, "invalid_request"],
        ["scope beyond the issuer's", sa, { scope: "admin" }, "invalid_scope"],
        ["audience not allowed", sa, { audience: "bank" }, "invalid_target"],
        ["garbage", "x.y.z", {}, "invalid_request"],
        ["actor token", sa, {
          actor_token: sa,
          actor_token_type: "urn:ietf:params:oauth:token-type:jwt",
        }, "invalid_request"],
      ] as const
    ) {
      const r = await ex(subject, extra as Record<string, string>);
      assert.equal(r.status, 400, what);
      assert.equal((await r.json()).error, error, what);
    }
    // Our own account token, narrowed to an audience; its account claims carry over.
    const u = await kp.user("ex@example.com", { role: "operator" });
    const own = await ex(u.access, { audience: "deploy-api" });
    assert.equal(own.status, 200);
    const exchanged = (await own.json()).access_token;
    const oc = claimsOf(exchanged);
    assert.deepEqual([oc.sub, oc.email, oc.aud], [u.id, "ex@example.com", "deploy-api"]);
    // The account kind's own claims stay with account tokens: an exchanged token is not one.
    assert.equal(oc.role, undefined);
    const asAccount = await kp.fetch("/api/v1/auth/me", { headers: bearer(exchanged) });
    assert.equal(asAccount.status, 401, "an exchanged token never passes for an account token");
    await asAccount.body?.cancel();
    const wider = await ex(u.access, { scope: "deploy" });
    assert.equal((await wider.json()).error, "invalid_scope", "no scope out of nothing");
    // An expired subject token.
    kp.advance(3_600_000);
    const late = await ex(sa);
    assert.equal(late.status, 400);
    assert.match((await late.json()).message, /expired/);
  } finally {
    await kp.close();
  }
});

Deno.test("introspection needs a client and answers active only for valid, unrevoked tokens", async () => {
  const { kp, form } = await instance();
  try {
    const u = await kp.user("in@example.com");
    const intro = (token: string, headers = basic("ci", CLIENT_SECRET)) =>
      form("/oauth2/introspect", { token }, headers);
    const anon = await form("/oauth2/introspect", { token: u.access });
    assert.equal(anon.status, 401);
    assert.equal((await anon.json()).error, "invalid_client");
    const a = await (await intro(u.access)).json();
    assert.equal(a.active, true);
    assert.equal(a.sub, u.id);
    assert.equal(a.username, "in@example.com");
    assert.equal(a.role, "viewer");
    const r = await (await intro(u.refresh)).json();
    assert.deepEqual([r.active, r.token_type, r.sub], [true, "refresh_token", u.id]);
    assert.deepEqual(await (await intro("nonsense")).json(), { active: false });
    // Every kind of our access tokens, not only accounts'.
    const cc = await (await form(
      "/oauth2/token",
      { grant_type: "client_credentials" },
      basic("ci", CLIENT_SECRET),
    )).json();
    const ci = await (await intro(cc.access_token)).json();
    assert.deepEqual([ci.active, ci.sub, ci.client_id], [true, "ci", "ci"]);
    // An API key needs the introspect scope.
    const { key, raw } = await kp.svc.createKey({
      orgName: (await kp.svc.createOrg("o")).name,
      label: "rs",
      scopes: ["read"],
    });
    const noScope = await intro(u.access, basic(key.id, raw));
    assert.equal(noScope.status, 403);
    await noScope.body?.cancel();
    const { key: k2, raw: raw2 } = await kp.svc.createKey({
      orgName: "o",
      label: "rs2",
      scopes: ["introspect"],
    });
    assert.equal((await (await intro(u.access, basic(k2.id, raw2))).json()).active, true);
    // Expired.
    kp.advance(901_000);
    assert.deepEqual(await (await intro(u.access)).json(), { active: false });
  } finally {
    await kp.close();
  }
});

Deno.test("revocation: a revoked access token and refresh family are refused at every endpoint", async () => {
  const { kp, form } = await instance();
  try {
    const u = await kp.user("rv@example.com");
    const rv = await form("/oauth2/revoke", { token: u.access });
    assert.equal(rv.status, 200);
    await rv.body?.cancel();
    assert.ok(await kp.store.revocations.isRevoked(claimsOf(u.access).jti));
    const me = await kp.fetch("/api/v1/auth/me", { headers: bearer(u.access) });
    assert.equal(me.status, 401);
    assert.match((await me.json()).message, /revoked/);
    assert.deepEqual(
      await (await form("/oauth2/introspect", { token: u.access }, basic("ci", CLIENT_SECRET)))
        .json(),
      { active: false },
    );
    const ex = await form("/oauth2/token", {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: u.access,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    });
    assert.equal(ex.status, 400);
    await ex.body?.cancel();
    // Refresh family.
    assert.equal(
      (await form("/oauth2/revoke", { token: u.refresh, token_type_hint: "refresh_token" })).status,
      200,
    );
    const rf = await kp.postJson("/api/v1/auth/refresh", u.refresh);
    assert.equal(rf.status, 401);
    await rf.body?.cancel();
    assert.deepEqual(
      await (await form("/oauth2/introspect", { token: u.refresh }, basic("ci", CLIENT_SECRET)))
        .json(),
      { active: false },
    );
    // Unknown tokens: 200 as well (RFC 7009 §2.2); a wrong client secret: 401.
    assert.equal((await form("/oauth2/revoke", { token: "whatever" })).status, 200);
    const wrong = await form("/oauth2/revoke", { token: "whatever" }, basic("ci", "bad"));
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const noToken = await form("/oauth2/revoke", {});
    assert.equal((await noToken.json()).error, "invalid_request");
  } finally {
    await kp.close();
  }
});

Deno.test("discovery lists exactly the endpoints, grants and methods that exist", async () => {
  const { kp } = await instance();
  try {
    const doc = await (await kp.fetch("/.well-known/openid-configuration")).json();
    assert.equal(doc.token_endpoint, "https://kp.test/oauth2/token");
    assert.equal(doc.introspection_endpoint, "https://kp.test/oauth2/introspect");
    assert.equal(doc.revocation_endpoint, "https://kp.test/oauth2/revoke");
    assert.deepEqual(doc.grant_types_supported, [
      "client_credentials",
      "password",
      "refresh_token",
      "urn:ietf:params:oauth:grant-type:token-exchange",
    ]);
    assert.ok(!("authorization_endpoint" in doc), "no authorization endpoint exists");
    assert.ok(!("userinfo_endpoint" in doc));
    for (
      const path of [
        new URL(doc.token_endpoint).pathname,
        new URL(doc.introspection_endpoint).pathname,
        new URL(doc.revocation_endpoint).pathname,
      ]
    ) {
      const res = await kp.fetch(path, { method: "GET" });
      assert.equal(res.status, 405, `${path} exists (POST only)`);
      await res.body?.cancel();
    }
  } finally {
    await kp.close();
  }
});
