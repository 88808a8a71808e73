/**
 * The permission table (src/accounts/roles.ts), each role against each admin endpoint: the
 * pico-auth admin routes, groups, service tokens, and the `/admin/` API of issue 12.
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";
import type { Role } from "../../src/store/mod.ts";

const ALL: Role[] = ["superadmin", "org_admin", "operator", "viewer"];
const ADMINS: Role[] = ["superadmin", "org_admin"];

Deno.test("each role against each admin endpoint: allowed and refused as the permission table says", async () => {
  const kp = await makeAccountInstance();
  try {
    await kp.svc.createOrg("default");
    const tokens: Record<Role, string> = {} as Record<Role, string>;
    for (const role of ALL) tokens[role] = (await kp.user(`${role}@example.com`, { role })).access;
    const target = await kp.user("target@example.com");
    const svcTok = await kp.postJson("/api/v1/auth/service-tokens", {
      name: "probe",
      role: "viewer",
    }, bearer(tokens.superadmin));
    const { token: probe } = await svcTok.json();
    const group =
      await (await kp.postJson("/api/v1/groups", { name: "matrix" }, bearer(tokens.superadmin)))
        .json();
    const { key: someKey } = await kp.svc.createKey({ orgName: "default", label: "matrix" });
    const members: string[] = [];
    for (let i = 0; i < 4; i++) members.push((await kp.user(`member${i}@example.com`)).id);
    let added = 0;
    let removed = 0;
    let n = 0;
    const cases: [string, string | (() => string), unknown, Role[]][] = [
      ["GET", "/api/v1/auth/users", undefined, ADMINS],
      [
        "POST",
        "/api/v1/auth/users",
        () => ({ email: `new${++n}@example.com`, password: "secret123" }),
        ADMINS,
      ],
      ["PUT", `/api/v1/auth/users/${target.id}/role`, "viewer", ADMINS],
      ["PUT", `/api/v1/auth/users/${target.id}/password`, { new_password: "another-pw-1" }, ADMINS],
      ["GET", "/api/v1/auth/users/registration", undefined, ["superadmin"]],
      ["PUT", "/api/v1/auth/users/registration", { enabled: true }, ["superadmin"]],
      ["GET", "/api/v1/groups", undefined, ALL],
      ["POST", "/api/v1/groups", () => ({ name: `g${++n}` }), ADMINS],
      ["GET", "/api/v1/auth/service-tokens", undefined, ADMINS],
      ["POST", "/api/v1/auth/service-tokens", () => ({ name: `s${++n}`, role: "viewer" }), ADMINS],
      ["POST", "/api/v1/auth/service-tokens/validate", { token: probe }, [
        "superadmin",
        "org_admin",
        "operator",
      ]],
      ["GET", "/admin/orgs", undefined, ["superadmin"]],
      ["GET", "/admin/keys", undefined, ADMINS],
      ["GET", "/admin/stats", undefined, ["superadmin"]],
      ["GET", "/admin/usage", undefined, ADMINS],
      ["GET", "/admin/clients", undefined, ["superadmin"]],
      ["GET", "/admin/blocks", undefined, ["superadmin"]],
      ["POST", "/admin/blocks", () => ({ kind: "address", value: `192.0.2.${++n}` }), [
        "superadmin",
      ]],
      ["POST", "/admin/orgs", () => ({ name: `org-${++n}` }), ["superadmin"]],
      ["POST", "/admin/orgs/default/resume", {}, ["superadmin"]],
      ["POST", "/admin/keys", () => ({ org_name: "default", label: `k${++n}` }), ADMINS],
      ["GET", `/admin/keys/${someKey.id}`, undefined, ADMINS],
      ["POST", `/admin/keys/${someKey.id}/roll`, { grace_seconds: 60 }, ADMINS],
      ["GET", `/api/v1/groups/${group.id}`, undefined, ALL],
      ["PUT", `/api/v1/groups/${group.id}`, { description: "d" }, ADMINS],
      ["POST", `/api/v1/groups/${group.id}/members`, () => ({ user_id: members[added++] }), ADMINS],
      [
        "DELETE",
        () => `/api/v1/groups/${group.id}/members/${members[removed++]}`,
        undefined,
        ADMINS,
      ],
    ];
    for (const [method, pathOf, body, allowed] of cases) {
      for (const role of ALL) {
        const b = typeof body === "function" ? body() : body;
        const path = typeof pathOf === "function" ? pathOf() : pathOf;
        const res = await kp.fetch(path, {
          method,
          headers: { ...bearer(tokens[role]), "content-type": "application/json" },
          ...(b === undefined ? {} : { body: JSON.stringify(b) }),
        });
        const text = await res.text();
        if (allowed.includes(role)) {
          assert.ok(
            res.status === 200 || res.status === 201,
            `${role} ${method} ${path}: ${res.status} ${text}`,
          );
        } else {
          assert.equal(res.status, 403, `${role} ${method} ${path}: ${text}`);
          assert.equal(JSON.parse(text).error, "forbidden");
        }
      }
    }
    // A revoked and an expired superadmin token: 401 everywhere.
    const revoked = (await kp.user("revoked@example.com", { role: "superadmin" })).access;
    const rv = await kp.fetch("/oauth2/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${revoked}`,
    });
    assert.equal(rv.status, 200);
    for (const [method, pathOf] of cases) {
      const path = typeof pathOf === "function" ? pathOf() : pathOf;
      const res = await kp.fetch(path, {
        method,
        headers: { ...bearer(revoked), "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      });
      assert.equal(res.status, 401, `revoked: ${method} ${path}`);
      await res.body?.cancel();
    }
    kp.advance(901_000);
    for (const [method, pathOf] of cases) {
      const path = typeof pathOf === "function" ? pathOf() : pathOf;
      const res = await kp.fetch(path, {
        method,
        headers: { ...bearer(tokens.superadmin), "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      });
      assert.equal(res.status, 401, `expired: ${method} ${path}`);
      await res.body?.cancel();
    }
    // Without a token: 401 everywhere.
    for (const [method, pathOf] of cases) {
      const path = typeof pathOf === "function" ? pathOf() : pathOf;
      const res = await kp.fetch(path, {
        method,
        headers: { "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      });
      assert.equal(res.status, 401, `${method} ${path}`);
      await res.body?.cancel();
    }
  } finally {
    await kp.close();
  }
});

Deno.test("an org admin manages its own organisation only, and never a superadmin", async () => {
  const kp = await makeAccountInstance();
  try {
    await kp.svc.createOrg("acme");
    await kp.svc.createOrg("beta");
    const oa = await kp.user("oa@acme.test", { role: "org_admin", orgId: "acme" });
    const mate = await kp.user("mate@acme.test", { orgId: "acme" });
    const other = await kp.user("other@beta.test", { orgId: "beta" });
    const boss = await kp.user("boss@acme.test", { role: "superadmin", orgId: "acme" });
    const h = { ...bearer(oa.access), "content-type": "application/json" };
    const users = await (await kp.fetch("/api/v1/auth/users", { headers: h })).json();
    assert.deepEqual(users.users.map((u: { email: string }) => u.email).sort(), [
      "boss@acme.test",
      "mate@acme.test",
      "oa@acme.test",
    ]);
    const put = (path: string, body: unknown) =>
      kp.fetch(path, { method: "PUT", headers: h, body: JSON.stringify(body) });
    assert.equal((await put(`/api/v1/auth/users/${mate.id}/role`, "operator")).status, 200);
    assert.equal((await put(`/api/v1/auth/users/${other.id}/role`, "operator")).status, 404);
    assert.equal((await put(`/api/v1/auth/users/${mate.id}/role`, "superadmin")).status, 403);
    assert.equal((await put(`/api/v1/auth/users/${boss.id}/role`, "viewer")).status, 403);
    assert.equal(
      (await put(`/api/v1/auth/users/${boss.id}/password`, { new_password: "takeover-1" })).status,
      403,
    );
    const make = await kp.postJson("/api/v1/auth/users", {
      email: "x@beta.test",
      password: "secret123",
      org_id: "beta",
    }, bearer(oa.access));
    assert.equal(make.status, 403);
    await make.body?.cancel();
    // Issue 12's admin API: its own org's keys only.
    const { key: betaKey } = await kp.svc.createKey({ orgName: "beta", label: "b" });
    const { key: acmeKey } = await kp.svc.createKey({ orgName: "acme", label: "a" });
    const keys = await (await kp.fetch("/admin/keys", { headers: h })).json();
    assert.deepEqual(keys.keys.map((k: { id: string }) => k.id), [acmeKey.id]);
    assert.equal((await kp.fetch("/admin/keys?org_name=beta", { headers: h })).status, 403);
    assert.equal((await kp.fetch(`/admin/keys/${betaKey.id}`, { headers: h })).status, 404);
    assert.equal(
      (await kp.fetch(`/admin/keys/${betaKey.id}`, { method: "DELETE", headers: h })).status,
      404,
    );
    assert.equal(
      (await kp.fetch(`/admin/keys/${acmeKey.id}`, { method: "DELETE", headers: h })).status,
      200,
    );
    const mk = await kp.postJson(
      "/admin/keys",
      { org_name: "beta", label: "evil" },
      bearer(oa.access),
    );
    assert.equal(mk.status, 403);
    await mk.body?.cancel();
    const mk2 = await kp.postJson(
      "/admin/keys",
      { org_name: "acme", label: "fine" },
      bearer(oa.access),
    );
    // keyguard's answer to a created key (the admin API's `keyguard` wire style).
    assert.equal(mk2.status, 200);
    await mk2.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("groups: CRUD and members, and group ids appear in access tokens", async () => {
  const kp = await makeAccountInstance();
  try {
    const admin = await kp.user("ga@example.com", { role: "org_admin" });
    const member = await kp.user("m@example.com");
    const h = { ...bearer(admin.access), "content-type": "application/json" };
    const g = await (await kp.postJson(
      "/api/v1/groups",
      { name: "devs", description: "Developers" },
      bearer(admin.access),
    )).json();
    assert.equal(g.name, "devs");
    const dup = await kp.postJson("/api/v1/groups", { name: "devs" }, bearer(admin.access));
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    assert.equal(
      (await kp.postJson(
        `/api/v1/groups/${g.id}/members`,
        { user_id: member.id },
        bearer(admin.access),
      )).status,
      201,
    );
    const again = await kp.postJson(
      `/api/v1/groups/${g.id}/members`,
      { user_id: member.id },
      bearer(admin.access),
    );
    assert.equal(again.status, 409);
    await again.body?.cancel();
    const shown = await (await kp.fetch(`/api/v1/groups/${g.id}`, { headers: h })).json();
    assert.deepEqual(shown.members.map((m: { user_id: string }) => m.user_id), [member.id]);
    const upd = await kp.fetch(`/api/v1/groups/${g.id}`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify({ name: "developers" }),
    });
    assert.equal((await upd.json()).name, "developers");
    const list = await (await kp.fetch("/api/v1/groups", { headers: bearer(member.access) }))
      .json();
    assert.equal(list.total, 1);
    // A fresh login carries the group.
    const login = await (await kp.postJson("/api/v1/auth/login", {
      email: "m@example.com",
      password: member.password,
    })).json();
    const claims = JSON.parse(
      atob(login.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
    );
    assert.deepEqual(claims.groups, [g.id]);
    assert.equal(
      (await kp.fetch(`/api/v1/groups/${g.id}/members/${member.id}`, {
        method: "DELETE",
        headers: h,
      })).status,
      200,
    );
    assert.equal(
      (await kp.fetch(`/api/v1/groups/${g.id}`, { method: "DELETE", headers: h })).status,
      200,
    );
    assert.equal((await kp.fetch(`/api/v1/groups/${g.id}`, { headers: h })).status, 404);
  } finally {
    await kp.close();
  }
});

Deno.test("service tokens are API keys seen through pico-auth's paths: create, validate, list, revoke by name", async () => {
  const kp = await makeAccountInstance();
  try {
    const admin = await kp.user("sa@example.com", { role: "superadmin" });
    const h = bearer(admin.access);
    const created = await kp.postJson("/api/v1/auth/service-tokens", {
      name: "ci",
      role: "operator",
      org_id: "ops",
    }, h);
    assert.equal(created.status, 201);
    const st = await created.json();
    assert.match(st.token, /^kp_live_/);
    const valid =
      await (await kp.postJson("/api/v1/auth/service-tokens/validate", { token: st.token }, h))
        .json();
    assert.deepEqual(valid, { valid: true, name: "ci", role: "operator", org_id: "ops" });
    const list = await (await kp.fetch("/api/v1/auth/service-tokens", { headers: h })).json();
    assert.equal(list.total, 1);
    assert.ok(!JSON.stringify(list).includes(st.token), "the token is shown once only");
    // It is an API key: it works at /forward-auth.
    const fa = await kp.fetch("/forward-auth", { headers: { "x-api-key": st.token } });
    assert.equal(fa.status, 200);
    await fa.body?.cancel();
    assert.equal(
      (await kp.fetch("/api/v1/auth/service-tokens/ci", { method: "DELETE", headers: h })).status,
      200,
    );
    const after =
      await (await kp.postJson("/api/v1/auth/service-tokens/validate", { token: st.token }, h))
        .json();
    assert.deepEqual(after, { valid: false });
    assert.equal(
      (await kp.fetch("/api/v1/auth/service-tokens/ci", { method: "DELETE", headers: h })).status,
      404,
    );
  } finally {
    await kp.close();
  }
});

Deno.test("no other kind of token passes for an account's at the account and admin routes", async () => {
  const kp = await makeAccountInstance();
  try {
    const admin = await kp.user("boss@example.com", { role: "superadmin" });
    const org = await kp.svc.createOrg("o");
    // An API key's token (also typed at+jwt), its sub and claims chosen by whoever made the key.
    const { key, raw } = await kp.svc.createKey({ orgName: org.name, label: "k", scopes: ["x"] });
    const cc = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${key.id}&client_secret=${raw}`,
    });
    const apiToken = (await cc.json()).access_token;
    // An /auth token with a made-up role.
    const auth = await kp.postJson("/auth", { sub: admin.id, role: "superadmin" });
    const authToken = (await auth.json()).token;
    for (const t of [apiToken, authToken]) {
      for (const path of ["/api/v1/auth/me", "/api/v1/auth/users", "/admin/keys"]) {
        const res = await kp.fetch(path, { headers: bearer(t) });
        assert.equal(res.status, 401, path);
        await res.body?.cancel();
      }
    }
    // A key cannot even be made with an account's claims (org_id, role, email, ...): they are
    // refused at creation, so no key's token can carry them (issue 19 finding 4).
    for (const claims of [{ org_id: "default" }, { role: "superadmin" }, { email: "a@b.c" }]) {
      await assert.rejects(
        kp.svc.createKey({ orgName: org.name, label: "forged", claims }),
        /cannot be set on a key/,
      );
    }
  } finally {
    await kp.close();
  }
});
