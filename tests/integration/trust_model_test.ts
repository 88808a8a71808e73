/**
 * Issue 19: every finding of the hostile review of 004ddb8, as an attack that must now fail.
 * Each test names its finding; each would have passed the attack on 004ddb8.
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";
import { hashPassword } from "../../src/identity/mod.ts";
import { makeKeyInstance } from "../helpers/api_keys.ts";
import { makeTestHandler } from "../helpers/handler.ts";

const CLIENT_SECRET = "ci-client-secret-0123456789";
const TE = "urn:ietf:params:oauth:grant-type:token-exchange";
const TT_JWT = "urn:ietf:params:oauth:token-type:jwt";
const TT_AT = "urn:ietf:params:oauth:token-type:access_token";

function claimsOf(token: string): Record<string, unknown> {
  const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(p + "=".repeat((4 - p.length % 4) % 4)));
}

async function instance(extra = "", exchange = true) {
  const hash = await hashPassword(CLIENT_SECRET, { iterations: 1000 });
  const kp = await makeAccountInstance({
    extraYaml: `oauth:
  clients:
    - id: ci
      secret_hash: "${hash}"
      audiences: [deploy-api]
      scopes: [deploy]
  exchange_audiences: [deploy-api]
  token_exchange: ${exchange}
store:
  url: "sqlite::memory:"
  pepper_path: pepper
accounts: {}
${extra}`,
  });
  const form = (path: string, params: Record<string, string>, headers = {}) =>
    kp.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(params).toString(),
    });
  const ciBasic = { authorization: `Basic ${btoa(`ci:${CLIENT_SECRET}`)}` };
  const admin = await kp.postJson("/api/v1/auth/login", {
    username: "admin",
    password: "admin-password-1",
  });
  const adminToken = (await admin.json()).access_token as string;
  return { kp, form, ciBasic, adminToken };
}

Deno.test("finding 1: token exchange refuses /auth and command tokens, and is off unless oauth.token_exchange", async () => {
  const { kp, form } = await instance();
  try {
    const auth = await kp.postJson("/auth", {
      sub: "ci",
      scope: "deploy read admin",
      email: "admin@example.com",
    });
    const authToken = (await auth.json()).token;
    const cmd = await kp.postJson("/command/token", { target: "my-api", command: "ls" });
    const cmdToken = (await cmd.json()).token;
    for (const [what, t] of [["auth", authToken], ["command", cmdToken]]) {
      const r = await form("/oauth2/token", {
        grant_type: TE,
        subject_token: t,
        subject_token_type: TT_JWT,
      });
      assert.equal(r.status, 400, what);
      const b = await r.json();
      assert.equal(b.error, "invalid_request", what);
      assert.match(b.message, /not accepted here/, what);
    }
  } finally {
    await kp.close();
  }
  const off = await instance("", false);
  try {
    const u = await off.kp.user("x@example.com");
    const r = await off.form("/oauth2/token", {
      grant_type: TE,
      subject_token: u.access,
      subject_token_type: TT_AT,
    });
    assert.equal((await r.json()).error, "unsupported_grant_type");
    const doc = await (await off.kp.fetch("/.well-known/openid-configuration")).json();
    assert.ok(!doc.grant_types_supported.includes(TE), "not in discovery when off");
  } finally {
    await off.kp.close();
  }
  // No store, no oauth section: the grant does not exist.
  const bare = await makeTestHandler({
    configYaml: 'issuer: "https://kp.test"\nhs256_secret: "' + "k".repeat(40) + '"\n',
  });
  const r = await bare.fetch("/oauth2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=${encodeURIComponent(TE)}&subject_token=x.y.z&subject_token_type=${
      encodeURIComponent(TT_JWT)
    }`,
  });
  assert.equal((await r.json()).error, "unsupported_grant_type");
});

Deno.test("finding 1: an exchanged account token carries what the account holds, never a forged scope", async () => {
  const { kp, form } = await instance();
  try {
    const u = await kp.user("dev@example.com", { role: "operator" });
    const r = await form("/oauth2/token", {
      grant_type: TE,
      subject_token: u.access,
      subject_token_type: TT_AT,
      scope: "deploy",
    });
    assert.equal((await r.json()).error, "invalid_scope", "no scope out of nothing");
    const ok = await form("/oauth2/token", {
      grant_type: TE,
      subject_token: u.access,
      subject_token_type: TT_AT,
    });
    const c = claimsOf((await ok.json()).access_token);
    assert.equal(c.sub, u.id);
    assert.equal(c.role, undefined);
    assert.equal(c.kp_kind, "exchange");
    assert.deepEqual(c.kp_parent, [claimsOf(u.access).jti]);
  } finally {
    await kp.close();
  }
});

Deno.test("finding 2: an org admin's admin key reaches its own organisation only", async () => {
  const { kp, adminToken } = await instance();
  try {
    for (const o of ["acme", "globex"]) {
      const r = await kp.postJson("/admin/orgs", { name: o }, bearer(adminToken));
      assert.equal(r.status, 201);
    }
    const globexKey = await kp.svc.createKey({ orgName: "globex", label: "g" });
    const oa = await kp.user("oa@example.com", { role: "org_admin", orgId: "acme" });
    // The org admin may make an admin key in its organisation…
    const made = await kp.postJson(
      "/admin/keys",
      { org_name: "acme", label: "ops", scopes: ["admin"] },
      bearer(oa.access),
    );
    assert.equal(made.status, 201);
    const { raw_key: acmeAdmin, reach } = await made.json();
    assert.equal(reach, "org");
    // …but never one of every organisation, nor one in another.
    const root = await kp.postJson(
      "/admin/keys",
      { org_name: "acme", label: "root", scopes: ["admin"], reach: "all" },
      bearer(oa.access),
    );
    assert.equal(root.status, 403);
    const h = { "x-admin-key": acmeAdmin, "content-type": "application/json" };
    const tries: [string, string, unknown, number][] = [
      ["GET", "/admin/orgs", undefined, 403],
      ["POST", `/admin/keys/${globexKey.key.id}/roll`, { grace_seconds: 0 }, 404],
      ["GET", `/admin/keys/${globexKey.key.id}`, undefined, 404],
      ["DELETE", `/admin/keys/${globexKey.key.id}`, undefined, 404],
      ["POST", "/admin/orgs/globex/suspend", undefined, 403],
      ["POST", "/admin/keys", { org_name: "globex", label: "x" }, 403],
      ["GET", "/admin/keys?org_name=globex", undefined, 403],
      ["GET", "/admin/stats", undefined, 403],
      ["POST", "/admin/blocks", { kind: "address", value: "192.0.2.9" }, 403],
    ];
    for (const [method, path, body, status] of tries) {
      const r = await kp.fetch(path, {
        method,
        headers: h,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.equal(r.status, status, `${method} ${path}`);
      await r.body?.cancel();
    }
    // Its own organisation's keys: listed, and only those.
    const list = await (await kp.fetch("/admin/keys", { headers: h })).json();
    assert.ok(list.keys.every((k: { org_name: string }) => k.org_name === "acme"));
    // globex's key still works: nothing was rolled or revoked.
    assert.equal(
      (await kp.fetch("/forward-auth", { headers: { "x-api-key": globexKey.raw } })).status,
      200,
    );
  } finally {
    await kp.close();
  }
});

Deno.test("finding 3: a client's X-Required-Scope never replaces the operator's ?scope=", async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("acme");
    const { raw } = await kp.svc.createKey({ orgName: "acme", label: "r", scopes: ["read"] });
    const r = await kp.fetch("/forward-auth?scope=admin", {
      headers: { "x-api-key": raw, "x-required-scope": "read" },
    });
    assert.equal(r.status, 403);
    assert.equal((await r.json()).error, "insufficient_scope");
    // The header can only add a requirement.
    const both = await kp.fetch("/forward-auth?scope=read", {
      headers: { "x-api-key": raw, "x-required-scope": "write" },
    });
    assert.equal(both.status, 403);
    await both.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 4: only access-token kinds introspect active; keys cannot carry an account's claims or audience", async () => {
  const { kp, form, ciBasic, adminToken } = await instance();
  try {
    const me = claimsOf(adminToken);
    const cmd = await kp.postJson("/command/token", {
      user: me.sub,
      target: "my-api",
      command: "x",
    });
    const auth = await kp.postJson("/auth", { sub: me.sub as string });
    for (const t of [(await cmd.json()).token, (await auth.json()).token]) {
      const r = await form("/oauth2/introspect", { token: t }, ciBasic);
      assert.deepEqual(await r.json(), { active: false });
    }
    const own = await form("/oauth2/introspect", { token: adminToken }, ciBasic);
    const body = await own.json();
    assert.equal(body.active, true);
    assert.equal(body.username, "admin@example.test");
    await kp.svc.createOrg("acme");
    const oa = await kp.user("oa2@example.com", { role: "org_admin", orgId: "acme" });
    const forged = await kp.postJson("/admin/keys", {
      org_name: "acme",
      label: "f",
      audiences: ["my-api"],
      claims: { role: "superadmin", email: "admin@example.test" },
    }, bearer(oa.access));
    assert.equal(forged.status, 403, "an org admin grants no claims it does not hold");
    await forged.body?.cancel();
    // Not even a superadmin can give a key an account's claims.
    const root = await kp.postJson("/admin/keys", {
      org_name: "acme",
      label: "f",
      claims: { role: "superadmin", email: "admin@example.test" },
    }, bearer(adminToken));
    assert.equal(root.status, 400);
    assert.equal((await root.json()).error, "invalid_claims");
    // The account tokens' audience belongs to them (here the issuer: no accounts.audience).
    const aud = await kp.postJson("/admin/keys", {
      org_name: "acme",
      label: "a",
      audiences: ["https://kp.test"],
    }, bearer(oa.access));
    assert.equal(aud.status, 403);
    await aud.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 5: an org admin cannot mint a superadmin service token through /admin/keys", async () => {
  const { kp } = await instance();
  try {
    await kp.svc.createOrg("acme");
    const oa = await kp.user("oa3@example.com", { role: "org_admin", orgId: "acme" });
    const r = await kp.postJson("/admin/keys", {
      org_name: "acme",
      label: "svc",
      scopes: ["service"],
      claims: { service_role: "superadmin" },
    }, bearer(oa.access));
    assert.equal(r.status, 403);
    await r.body?.cancel();
    const viaPico = await kp.postJson("/api/v1/auth/service-tokens", {
      name: "svc",
      role: "superadmin",
    }, bearer(oa.access));
    assert.equal(viaPico.status, 403);
    await viaPico.body?.cancel();
    const ok = await kp.postJson("/admin/keys", {
      org_name: "acme",
      label: "svc",
      scopes: ["service"],
      claims: { service_role: "operator" },
    }, bearer(oa.access));
    assert.equal(ok.status, 201);
    await ok.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 6: a refresh token bound to an OAuth2 client is refused at /api/v1/auth/refresh", async () => {
  const { kp, form, ciBasic } = await instance();
  try {
    await kp.user("rt@example.com");
    const r = await form("/oauth2/token", {
      grant_type: "password",
      username: "rt@example.com",
      password: "correct-horse-9",
    }, ciBasic);
    const { refresh_token } = await r.json();
    const pico = await kp.postJson("/api/v1/auth/refresh", { refresh_token });
    assert.equal(pico.status, 401);
    assert.match((await pico.json()).detail, /another client/);
    // The client itself still refreshes (the refused attempt did not use the token up).
    const own = await form(
      "/oauth2/token",
      { grant_type: "refresh_token", refresh_token },
      ciBasic,
    );
    assert.equal(own.status, 200);
    await own.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 7a: a registry refresh token revoked at /oauth2/revoke is refused at POST /v2/token", async () => {
  const kp = await makeKeyInstance({
    extraYaml: "services: [reg]\npolicy_path: policy.yaml\n",
    files: {
      "policy.yaml": `users:\n  alice:\n    password_hash: "${await hashPassword("pw-alice-1", {
        iterations: 1000,
      })}"\n    repos: ["*"]\n    actions: ["pull"]\n`,
    },
  });
  try {
    const post = (body: string) =>
      kp.fetch("/v2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
    const first = await post(
      "grant_type=password&service=reg&client_id=docker&access_type=offline&username=alice&password=pw-alice-1",
    );
    const { refresh_token } = await first.json();
    const again = () =>
      post(`grant_type=refresh_token&service=reg&client_id=docker&refresh_token=${refresh_token}`);
    assert.equal((await again()).status, 200);
    const rv = await kp.fetch("/oauth2/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${refresh_token}`,
    });
    assert.equal(rv.status, 200);
    const refused = await again();
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get("pragma"), "no-cache");
    const b = await refused.json();
    assert.equal(b.error, "invalid_grant");
    assert.match(b.error_description, /revoked/);
  } finally {
    await kp.close();
  }
});

Deno.test("finding 7b/c: a revoked key or suspended org kills its tokens and everything exchanged from them", async () => {
  const { kp, form, ciBasic } = await instance();
  try {
    await kp.svc.createOrg("acme");
    const k = await kp.svc.createKey({ orgName: "acme", label: "k", scopes: ["deploy"] });
    const cc = async () => {
      const r = await form("/oauth2/token", {
        grant_type: "client_credentials",
        client_id: k.key.id,
        client_secret: k.raw,
      });
      return (await r.json()).access_token as string;
    };
    const introspect = async (t: string) =>
      (await (await form("/oauth2/introspect", { token: t }, ciBasic)).json()).active;
    const exchange = async (t: string) =>
      (await (await form("/oauth2/token", {
        grant_type: TE,
        subject_token: t,
        subject_token_type: TT_AT,
      })).json()).access_token as string;
    const t1 = await cc();
    const ex1 = await exchange(t1);
    const ex2 = await exchange(ex1);
    assert.deepEqual([await introspect(t1), await introspect(ex1), await introspect(ex2)], [
      true,
      true,
      true,
    ]);
    // Revoking the first token ends everything exchanged from it (7c).
    await form("/oauth2/revoke", { token: t1 });
    assert.deepEqual([await introspect(t1), await introspect(ex1), await introspect(ex2)], [
      false,
      false,
      false,
    ]);
    const r = await form("/oauth2/token", {
      grant_type: TE,
      subject_token: ex1,
      subject_token_type: TT_AT,
    });
    assert.equal(r.status, 400, "a revoked parent cannot be exchanged");
    await r.body?.cancel();
    // A suspended organisation's tokens die, and come back with it.
    const t2 = await cc();
    const ex3 = await exchange(t2);
    await kp.svc.setOrgStatus("acme", "suspended");
    assert.deepEqual([await introspect(t2), await introspect(ex3)], [false, false]);
    await kp.svc.setOrgStatus("acme", "active");
    assert.deepEqual([await introspect(t2), await introspect(ex3)], [true, true]);
    // A revoked key's tokens die (7b).
    await kp.svc.revoke(k.key.id);
    assert.deepEqual([await introspect(t2), await introspect(ex3)], [false, false]);
  } finally {
    await kp.close();
  }
});

Deno.test("finding 7d: suspending an account, or changing its password, ends the tokens it holds", async () => {
  const { kp, adminToken } = await instance();
  try {
    const u = await kp.user("s@example.com");
    const me = () => kp.fetch("/api/v1/auth/me", { headers: bearer(u.access) });
    assert.equal((await me()).status, 200);
    const put = (status: string) =>
      kp.fetch(`/api/v1/auth/users/${u.id}/status`, {
        method: "PUT",
        headers: { ...bearer(adminToken), "content-type": "application/json" },
        body: JSON.stringify({ status }),
      });
    const s = await put("suspended");
    assert.equal(s.status, 200);
    assert.equal((await s.json()).status, "suspended");
    assert.equal((await me()).status, 401, "the access token dies");
    const login = await kp.postJson("/api/v1/auth/login", {
      email: "s@example.com",
      password: u.password,
    });
    assert.equal(login.status, 403);
    await login.body?.cancel();
    const refresh = await kp.postJson("/api/v1/auth/refresh", { refresh_token: u.refresh });
    assert.equal(refresh.status, 401);
    await refresh.body?.cancel();
    assert.equal((await put("active")).status, 200);
    kp.advance(1000);
    assert.equal((await me()).status, 401, "tokens from before the suspension stay revoked");
    const again = await kp.postJson("/api/v1/auth/login", {
      email: "s@example.com",
      password: u.password,
    });
    assert.equal(again.status, 200);
    const fresh = (await again.json()).access_token;
    assert.equal((await kp.fetch("/api/v1/auth/me", { headers: bearer(fresh) })).status, 200);
    kp.advance(1000);
    const change = await kp.postJson("/api/v1/auth/me/password", {
      old_password: u.password,
      new_password: "a-new-password-7",
    }, bearer(fresh));
    assert.equal(change.status, 200);
    assert.equal(
      (await kp.fetch("/api/v1/auth/me", { headers: bearer(fresh) })).status,
      401,
      "a password change ends older access tokens",
    );
    // Nobody suspends themselves; an org admin cannot suspend outside its organisation.
    const self = await kp.fetch(`/api/v1/auth/users/${claimsOf(adminToken).sub}/status`, {
      method: "PUT",
      headers: { ...bearer(adminToken), "content-type": "application/json" },
      body: JSON.stringify({ status: "suspended" }),
    });
    assert.equal(self.status, 403);
    await self.body?.cancel();
    const oa = await kp.user("oa4@example.com", { role: "org_admin", orgId: "elsewhere" });
    const far = await kp.fetch(`/api/v1/auth/users/${u.id}/status`, {
      method: "PUT",
      headers: { ...bearer(oa.access), "content-type": "application/json" },
      body: JSON.stringify({ status: "suspended" }),
    });
    assert.equal(far.status, 404);
    await far.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 8: behind a trusted proxy the client is the rightmost X-Forwarded-For entry; X-Real-IP from a client is ignored", async () => {
  const kp = await makeKeyInstance({ extraYaml: "trusted_proxies: [127.0.0.1]\n" });
  try {
    await kp.svc.createOrg("acme");
    let locked = 0;
    for (let i = 0; i < 30; i++) {
      const r = await kp.fetch("/forward-auth", {
        headers: {
          "x-api-key": `kp_live_${"B".repeat(43)}`,
          // What nginx's $proxy_add_x_forwarded_for makes of a client's own header.
          "x-forwarded-for": `10.9.9.${i}, 203.0.113.7`,
          "x-real-ip": `10.0.0.${i}`,
        },
      }, "127.0.0.1");
      if (r.status === 429) locked++;
      await r.body?.cancel();
    }
    assert.ok(locked >= 20, `the client address is locked out (${locked} of 30 refused)`);
    const log = kp.logLines.map((l) => JSON.parse(l)).filter((l) => l.event === "request");
    assert.equal(log.at(-1).remote, "203.0.113.7", "the access log shows the client");
    assert.equal(log.at(-1).peer, "127.0.0.1");
  } finally {
    await kp.close();
  }
});

Deno.test("finding 9: the login lockout counts per account, whatever name is used; /me/password is locked too", async () => {
  const { kp } = await instance("lockout:\n  max_failures: 5\n");
  try {
    let n = 0;
    // Each attempt from its own address: only the account's own count can lock.
    const login = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      kp.fetch("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }, `198.51.100.${++n}`);
    for (let i = 0; i < 3; i++) {
      await (await login({ email: "admin@example.test", password: `wrong-${i}-aaaa` })).body
        ?.cancel();
    }
    for (let i = 0; i < 2; i++) {
      await (await login({ username: "admin", password: `wrong-u${i}-aaaa` })).body?.cancel();
    }
    const locked = await login({ username: "admin", password: "admin-password-1" });
    assert.equal(locked.status, 429, "five failures under two names lock the one account");
    await locked.body?.cancel();
    const u = await kp.user("pw@example.com");
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const r = await kp.fetch("/api/v1/auth/me/password", {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(u.access) },
        body: JSON.stringify({ old_password: `guess-${i}-aaaa`, new_password: "whatever-new-1" }),
      }, `203.0.113.${++n}`);
      last = r.status;
      await r.body?.cancel();
    }
    assert.equal(last, 429, "guessing the old password is locked out like a login");
  } finally {
    await kp.close();
  }
});

Deno.test("finding 12: an address block applies to every route, not only API-key checks", async () => {
  const { kp, adminToken } = await instance();
  try {
    const b = await kp.postJson("/admin/blocks", {
      kind: "address",
      value: "198.51.100.77",
      seconds: 600,
    }, bearer(adminToken));
    assert.equal(b.status, 201);
    for (
      const [path, body] of [
        ["/auth", {}],
        ["/api/v1/auth/login", { username: "admin", password: "admin-password-1" }],
      ] as const
    ) {
      const r = await kp.fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }, "198.51.100.77");
      assert.equal(r.status, 403, path);
      assert.equal((await r.json()).error, "blocked", path);
    }
    // Probes are never blocked.
    assert.equal((await kp.fetch("/healthz", {}, "198.51.100.77")).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("finding 15: a trusted issuer's subjects are namespaced by default", async () => {
  const kp = await makeAccountInstance({
    extraYaml: `oauth:
  trusted_issuers:
    - issuer: https://k8s.example
      jwks_uri: https://k8s.example/jwks
      audiences: [keypebble]
`,
  });
  try {
    const cfg = kp.runtime.config.oauth!;
    assert.equal(cfg.trustedIssuers[0].subjectPrefix, "https://k8s.example#");
  } finally {
    await kp.close();
  }
});

Deno.test("seam: audience plus a store lets keys use client_credentials (aud is the audience)", async () => {
  const kp = await makeKeyInstance({ extraYaml: "audience: edge\n" });
  try {
    await kp.svc.createOrg("acme");
    const { key, raw } = await kp.svc.createKey({ orgName: "acme", label: "e" });
    const r = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${key.id}&client_secret=${raw}`,
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(claimsOf((await r.json()).access_token).aud, "edge");
  } finally {
    await kp.close();
  }
});

Deno.test("seam: a pico-auth config (audience and accounts.audience pico-bot) logs in with aud pico-bot", async () => {
  const kp = await makeAccountInstance({
    audience: "pico-bot",
    extraYaml: `store:
  url: "sqlite::memory:"
  pepper_path: pepper
accounts:
  audience: pico-bot
`,
    accounts: { audience: "pico-bot" },
  });
  try {
    const r = await kp.postJson("/api/v1/auth/login", {
      username: "admin",
      password: "admin-password-1",
    });
    assert.equal(r.status, 200, await r.clone().text());
    const c = claimsOf((await r.json()).access_token);
    assert.equal(c.aud, "pico-bot");
    assert.equal(c.role, "superadmin");
    // The registry does not claim an account audience, and /auth cannot mint for it.
    assert.deepEqual(kp.runtime.config.services, []);
    const auth = await kp.postJson("/auth", { aud: "pico-bot", role: "superadmin" });
    assert.equal(auth.status, 403);
    await auth.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("finding 16: a duplicate registration is refused before any PBKDF2 work is spent", async () => {
  const { derivationStats } = await import("../../src/identity/mod.ts");
  const { kp } = await instance();
  try {
    const reg = (email: string) =>
      kp.postJson("/api/v1/auth/register", {
        email,
        password: "a-fresh-password-1",
        display_name: "D",
      });
    assert.equal((await reg("dup@example.com")).status, 201);
    const before = derivationStats.iterations;
    const again = await reg("DUP@example.com");
    assert.equal(again.status, 409);
    await again.body?.cancel();
    assert.equal(derivationStats.iterations, before, "no password was hashed for a duplicate");
  } finally {
    await kp.close();
  }
});

Deno.test("finding 16: registrations have a per-address budget of their own", async () => {
  const { kp } = await instance("", true);
  try {
    let last = 0;
    for (let i = 0; i < 21; i++) {
      const r = await kp.postJson("/api/v1/auth/register", {
        email: `r${i}@example.com`,
        password: "a-fresh-password-1",
      });
      last = r.status;
      await r.body?.cancel();
    }
    assert.equal(last, 429, "the 21st registration from one address in an hour is refused");
  } finally {
    await kp.close();
  }
});
