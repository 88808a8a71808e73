/**
 * Accounts through pico-auth's API (issue 13): its quick start and admin operations with its
 * exact request shapes, refresh rotation and reuse detection, and bad input.
 */

import assert from "node:assert/strict";
import { limitsOver } from "../../src/limits/mod.ts";
import { RemoteMemoryLimits } from "../helpers/remote_limits.ts";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";

const b64json = (seg: string) =>
  JSON.parse(
    atob(seg.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(seg.length / 4) * 4, "=")),
  );

Deno.test("pico-auth quick start: register, login, /me, refresh with rotation, change password", async () => {
  const kp = await makeAccountInstance();
  try {
    const reg = await kp.postJson("/api/v1/auth/register", {
      email: "alice@example.com",
      password: "secret123",
      display_name: "Alice",
    });
    assert.equal(reg.status, 201);
    const user = await reg.json();
    assert.deepEqual(Object.keys(user).sort(), ["email", "id", "role", "status"]);
    assert.equal(user.role, "viewer");
    assert.equal(user.status, "active");

    const login = await kp.postJson("/api/v1/auth/login", {
      email: "alice@example.com",
      password: "secret123",
    });
    assert.equal(login.status, 200);
    assert.equal(login.headers.get("cache-control"), "no-store");
    const tokens = await login.json();
    assert.equal(tokens.token_type, "Bearer");
    assert.equal(tokens.expires_in, 900);
    assert.match(tokens.refresh_token, /^kprt_[0-9a-f]{64}$/);
    const [h, p] = tokens.access_token.split(".");
    assert.equal(b64json(h).typ, "at+jwt");
    const claims = b64json(p);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.email, "alice@example.com");
    assert.equal(claims.role, "viewer");
    assert.equal(claims.org_id, "default");
    assert.deepEqual(claims.groups, []);
    assert.equal(claims.iss, "https://kp.test");

    const me = await kp.fetch("/api/v1/auth/me", { headers: bearer(tokens.access_token) });
    assert.equal(me.status, 200);
    const profile = await me.json();
    for (
      const f of [
        "id",
        "email",
        "display_name",
        "role",
        "org_id",
        "status",
        "created_at",
        "last_login_at",
      ]
    ) {
      assert.ok(f in profile, f);
    }
    assert.equal(profile.display_name, "Alice");
    assert.match(profile.last_login_at, /^\d{4}-\d\d-\d\dT/);

    // pico-auth's client sends the refresh token as a bare JSON string.
    const r1 = await kp.postJson("/api/v1/auth/refresh", tokens.refresh_token);
    assert.equal(r1.status, 200);
    const t1 = await r1.json();
    assert.notEqual(t1.refresh_token, tokens.refresh_token);
    // And as an object.
    const r2 = await kp.postJson("/api/v1/auth/refresh", { refresh_token: t1.refresh_token });
    assert.equal(r2.status, 200);
    const t2 = await r2.json();

    const jwks = await kp.fetch("/api/v1/auth/jwks");
    assert.equal(jwks.status, 200);
    assert.ok(Array.isArray((await jwks.json()).keys));

    const change = await kp.postJson("/api/v1/auth/me/password", {
      old_password: "secret123",
      new_password: "newsecret456",
    }, bearer(t2.access_token));
    assert.equal(change.status, 200);
    assert.equal((await change.json()).message, "Password changed");
    // The change revokes every refresh token of the account.
    const after = await kp.postJson("/api/v1/auth/refresh", t2.refresh_token);
    assert.equal(after.status, 401);
    assert.equal((await after.json()).error, "unauthorized");
    const old = await kp.postJson("/api/v1/auth/login", {
      email: "alice@example.com",
      password: "secret123",
    });
    assert.equal(old.status, 401);
    await old.body?.cancel();
    const fresh = await kp.postJson("/api/v1/auth/login", {
      email: "ALICE@example.com",
      password: "newsecret456",
    });
    assert.equal(fresh.status, 200, "e-mail addresses compare case-insensitively");
    await fresh.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("a refresh retried within accounts.refresh_reuse_seconds gets the same successor; the family lives", async () => {
  const kp = await makeAccountInstance();
  try {
    const u = await kp.user("carol@example.com");
    const r1 = await (await kp.postJson("/api/v1/auth/refresh", u.refresh)).json();
    // The client never saw that answer (a timeout) and retries with the same token.
    kp.advance(29_000);
    const retry = await kp.postJson("/api/v1/auth/refresh", u.refresh);
    assert.equal(retry.status, 200);
    const r2 = await retry.json();
    assert.equal(r2.refresh_token, r1.refresh_token, "the same successor");
    assert.ok(kp.logLines.some((l) => l.includes('"event":"refresh_token_retry"')));
    assert.ok(!kp.logLines.some((l) => l.includes("refresh_token_reuse")));
    // The successor works, once; after that the old token is reuse again (its successor is used).
    const r3 = await kp.postJson("/api/v1/auth/refresh", r2.refresh_token);
    assert.equal(r3.status, 200);
    await r3.body?.cancel();
    const late = await kp.postJson("/api/v1/auth/refresh", u.refresh);
    assert.equal(late.status, 401);
    assert.match((await late.json()).message, /already used/);
  } finally {
    await kp.close();
  }
});

Deno.test("reuse of a rotated refresh token revokes the whole family, the fresh token too, and is logged", async () => {
  const kp = await makeAccountInstance();
  try {
    const u = await kp.user("bob@example.com");
    const r1 = await (await kp.postJson("/api/v1/auth/refresh", u.refresh)).json();
    assert.ok(r1.refresh_token);
    // The thief replays the first token, after the retry window.
    kp.advance(31_000);
    const replay = await kp.postJson("/api/v1/auth/refresh", u.refresh);
    assert.equal(replay.status, 401);
    assert.match((await replay.json()).message, /already used/);
    // The owner's fresh token is dead too.
    const fresh = await kp.postJson("/api/v1/auth/refresh", r1.refresh_token);
    assert.equal(fresh.status, 401);
    assert.match((await fresh.json()).message, /revoked/);
    const line = kp.logLines.find((l) => l.includes("refresh_token_reuse"));
    assert.ok(line, "the reuse is logged");
    assert.ok(!line.includes(u.refresh.slice(5, 30)), "the token is never logged");
    // A new login starts a new family that works.
    const again = await kp.postJson("/api/v1/auth/login", {
      email: "bob@example.com",
      password: u.password,
    });
    const t = await again.json();
    assert.equal((await kp.postJson("/api/v1/auth/refresh", t.refresh_token)).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("pico-auth admin operations: list users, change a role, registration switch, create users, reset a password", async () => {
  const kp = await makeAccountInstance({ accounts: { registration: "off" } });
  try {
    // The bootstrap admin logs in as "admin" (username) or with its e-mail.
    const byName = await kp.postJson("/api/v1/auth/login", {
      username: "admin",
      password: "admin-password-1",
    });
    assert.equal(byName.status, 200);
    const admin = await byName.json();
    const byEmail = await kp.postJson("/api/v1/auth/login", {
      email: "admin@example.test",
      password: "admin-password-1",
    });
    assert.equal(byEmail.status, 200);
    await byEmail.body?.cancel();
    const auth = bearer(admin.access_token);

    // Registration is off by default.
    const closed = await kp.postJson("/api/v1/auth/register", {
      email: "x@example.com",
      password: "secret123",
    });
    assert.equal(closed.status, 403);
    assert.ok((await closed.json()).error);
    const sw = await kp.fetch("/api/v1/auth/users/registration", {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ enabled: true }),
    });
    assert.deepEqual(await sw.json(), { registration_enabled: true });
    assert.deepEqual(
      await (await kp.fetch("/api/v1/auth/users/registration", { headers: auth })).json(),
      {
        registration_enabled: true,
      },
    );
    const reg = await kp.postJson("/api/v1/auth/register", {
      email: "carol@example.com",
      password: "secret123",
      display_name: "Carol",
    });
    assert.equal(reg.status, 201);
    const carol = await reg.json();

    // Admin-created user with a role.
    const created = await kp.postJson("/api/v1/auth/users", {
      email: "dave@example.com",
      password: "secret123",
      display_name: "Dave",
      role: "operator",
    }, auth);
    assert.equal(created.status, 201);
    const dave = await created.json();
    assert.equal(dave.role, "operator");

    const list = await (await kp.fetch("/api/v1/auth/users", { headers: auth })).json();
    assert.equal(list.total, 3);
    assert.deepEqual(list.users.map((u: { email: string }) => u.email).sort(), [
      "admin@example.test",
      "carol@example.com",
      "dave@example.com",
    ]);
    assert.ok(list.users.every((u: Record<string, unknown>) => !("password_hash" in u)));

    // Role as a bare JSON string (pico-auth's client), then as an object.
    const role = await kp.fetch(`/api/v1/auth/users/${carol.id}/role`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify("operator"),
    });
    assert.deepEqual(await role.json(), {
      id: carol.id,
      email: "carol@example.com",
      role: "operator",
    });
    const role2 = await kp.fetch(`/api/v1/auth/users/${carol.id}/role`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ role: "org_admin" }),
    });
    assert.equal((await role2.json()).role, "org_admin");
    const badRole = await kp.fetch(`/api/v1/auth/users/${carol.id}/role`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify("root"),
    });
    assert.equal(badRole.status, 400);
    await badRole.body?.cancel();

    // Password reset.
    const reset = await kp.fetch(`/api/v1/auth/users/${dave.id}/password`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ new_password: "brand-new-pw" }),
    });
    assert.equal(reset.status, 200);
    await reset.body?.cancel();
    const daveLogin = await kp.postJson("/api/v1/auth/login", {
      email: "dave@example.com",
      password: "brand-new-pw",
    });
    assert.equal(daveLogin.status, 200);
    await daveLogin.body?.cancel();

    // A viewer is refused on every admin endpoint.
    const v = await kp.user("viewer@example.com");
    const vh = { ...bearer(v.access), "content-type": "application/json" };
    for (
      const [method, path, body] of [
        ["GET", "/api/v1/auth/users", undefined],
        ["POST", "/api/v1/auth/users", { email: "e@example.com", password: "secret123" }],
        ["PUT", `/api/v1/auth/users/${carol.id}/role`, "viewer"],
        ["PUT", `/api/v1/auth/users/${carol.id}/password`, { new_password: "whatever1" }],
        ["GET", "/api/v1/auth/users/registration", undefined],
        ["PUT", "/api/v1/auth/users/registration", { enabled: false }],
      ] as const
    ) {
      const res = await kp.fetch(path, {
        method,
        headers: vh,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.equal(res.status, 403, `${method} ${path}`);
      const refusal = await res.json();
      assert.equal(refusal.error, "forbidden");
      assert.equal(typeof refusal.detail, "string", "pico-auth's clients read detail on a 403");
    }
  } finally {
    await kp.close();
  }
});

Deno.test("bad input gets a clear error and loses nothing", async () => {
  const kp = await makeAccountInstance();
  try {
    const reg = (body: unknown) => kp.postJson("/api/v1/auth/register", body);
    assert.equal((await reg({ email: "émile@exämple.com", password: "secret123" })).status, 201);
    // Duplicate, also in another case and Unicode normalisation form.
    const dup = await reg({ email: "E\u0301mile@exa\u0308mple.com", password: "secret123" });
    assert.equal(dup.status, 409);
    assert.equal((await dup.json()).error, "conflict");
    const login = await kp.postJson("/api/v1/auth/login", {
      email: "ÉMILE@EXÄMPLE.COM",
      password: "secret123",
    });
    assert.equal(login.status, 200, "the original account is intact");
    await login.body?.cancel();
    for (
      const [what, body, status] of [
        ["not an e-mail", { email: "nope", password: "secret123" }, 400],
        ["two @", { email: "a@b@c", password: "secret123" }, 400],
        ["control character", { email: "a\u0000@b.c", password: "secret123" }, 400],
        ["short password", { email: "s@example.com", password: "short" }, 400],
        ["password not a string", { email: "s@example.com", password: 12345678 }, 400],
        ["array body", [1, 2], 400],
        ["huge password", { email: "h@example.com", password: "x".repeat(2000) }, 400],
      ] as const
    ) {
      const res = await reg(body);
      assert.equal(res.status, status, what);
      const err = await res.json();
      assert.equal(typeof err.error, "string", what);
      assert.equal(typeof err.message, "string", what);
    }
    // Wrong content types.
    const form = await kp.fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=a&password=b",
    });
    assert.equal(form.status, 415);
    assert.equal((await form.json()).error, "unsupported_media_type");
    const broken = await kp.fetch("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assert.equal(broken.status, 400);
    assert.equal((await broken.json()).error, "invalid_json");
    // Expired and garbage tokens at /me and refresh.
    const u = await kp.user("exp@example.com");
    for (const t of ["garbage", "a.b.c", u.refresh]) {
      const res = await kp.fetch("/api/v1/auth/me", { headers: bearer(t) });
      assert.equal(res.status, 401, t.slice(0, 8));
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      await res.body?.cancel();
    }
    kp.advance(901_000);
    const expired = await kp.fetch("/api/v1/auth/me", { headers: bearer(u.access) });
    assert.equal(expired.status, 401);
    assert.match((await expired.json()).message, /expired/);
    const noAuth = await kp.fetch("/api/v1/auth/me");
    assert.equal(noAuth.status, 401);
    assert.equal(typeof (await noAuth.json()).detail, "string", "pico-auth's clients read detail");
    kp.advance(86_400_000);
    const oldRefresh = await kp.postJson("/api/v1/auth/refresh", u.refresh);
    assert.equal(oldRefresh.status, 401);
    assert.match((await oldRefresh.json()).message, /expired/);
  } finally {
    await kp.close();
  }
});

Deno.test("login failures feed the lockout, and a locked account is refused even with the right password", async () => {
  const kp = await makeAccountInstance({ extraYaml: "lockout:\n  max_failures: 3\n" });
  try {
    await kp.user("lock@example.com");
    for (let i = 0; i < 3; i++) {
      const r = await kp.postJson("/api/v1/auth/login", {
        email: "lock@example.com",
        password: "wrong-password",
      });
      assert.equal(r.status, 401);
      await r.body?.cancel();
    }
    const locked = await kp.postJson("/api/v1/auth/login", {
      email: "lock@example.com",
      password: "correct-horse-9",
    });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
    assert.equal((await locked.json()).error, "locked_out");
  } finally {
    await kp.close();
  }
});

Deno.test("with shared limits (fleet mode) an account locked out on one instance is locked on another", async () => {
  const shared = limitsOver(new RemoteMemoryLimits());
  const yaml = "lockout:\n  max_failures: 3\n";
  const a = await makeAccountInstance({ extraYaml: yaml, limits: shared });
  const b = await makeAccountInstance({ extraYaml: yaml, limits: shared });
  try {
    await a.user("fleet@example.com");
    await b.user("fleet@example.com");
    for (let i = 0; i < 3; i++) {
      const r = await a.postJson("/api/v1/auth/login", {
        email: "fleet@example.com",
        password: "wrong-password",
      });
      assert.equal(r.status, 401);
      await r.body?.cancel();
    }
    const onB = await b.postJson("/api/v1/auth/login", {
      email: "fleet@example.com",
      password: "correct-horse-9",
    });
    assert.equal(onB.status, 429, "the lockout earned on A holds on B");
    assert.equal((await onB.json()).error, "locked_out");
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("imported bcrypt and apr1 accounts log in, 72+-byte passwords are refused, and hashes move to PBKDF2", async () => {
  const kp = await makeAccountInstance();
  try {
    const now = 1_780_000_000;
    const base = {
      username: null,
      displayName: "",
      role: "viewer" as const,
      orgId: "default",
      status: "active" as const,
      mustChangePassword: false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    };
    await kp.store.users.insert({
      ...base,
      id: "b1",
      email: "b@example.com",
      passwordHash: "$2y$04$NBGMf.Ylj/9GMfJfiI8WguqWEIPrxWPR3KDeRTUCrUFo29YbMqgLm",
    });
    // Imported through the API by a superadmin (an org admin may not import hashes).
    const root = await kp.user("root@example.com", { role: "superadmin" });
    const oa = await kp.user("oa@example.com", { role: "org_admin" });
    const apr1 = "$apr1$Oz3p9x.t$GV83lhaTqJxn/C1oL.bRO.";
    const refused = await kp.postJson("/api/v1/auth/users", {
      email: "a@example.com",
      password_hash: apr1,
    }, bearer(oa.access));
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const plain = await kp.postJson("/api/v1/auth/users", {
      email: "a@example.com",
      password_hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
    }, bearer(root.access));
    assert.equal(plain.status, 400, "only accepted hash forms are imported");
    await plain.body?.cancel();
    const imported = await kp.postJson("/api/v1/auth/users", {
      email: "a@example.com",
      password_hash: apr1,
    }, bearer(root.access));
    assert.equal(imported.status, 201);
    const a1 = (await imported.json()).id;
    const long = await kp.postJson("/api/v1/auth/login", {
      email: "b@example.com",
      password: "a".repeat(73),
    });
    assert.equal(
      long.status,
      401,
      "a 73-byte password never matches a bcrypt hash of its first 72",
    );
    await long.body?.cancel();
    const ok = await kp.postJson("/api/v1/auth/login", {
      email: "b@example.com",
      password: "a".repeat(72),
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.match((await kp.store.users.byId("b1"))!.passwordHash, /^\$pbkdf2-sha256\$/);
    const apr = await kp.postJson("/api/v1/auth/login", {
      email: "a@example.com",
      password: "password",
    });
    assert.equal(apr.status, 200);
    await apr.body?.cancel();
    assert.match((await kp.store.users.byId(a1))!.passwordHash, /^\$pbkdf2-sha256\$/);
  } finally {
    await kp.close();
  }
});

Deno.test("a printed bootstrap password must be changed before anything else", async () => {
  const kp = await makeAccountInstance();
  try {
    await kp.store.users.setPassword(
      (await kp.store.users.byUsername("admin"))!.id,
      (await kp.store.users.byUsername("admin"))!.passwordHash,
      { at: 1, mustChange: true },
    );
    const login = await (await kp.postJson("/api/v1/auth/login", {
      username: "admin",
      password: "admin-password-1",
    })).json();
    assert.equal(login.password_change_required, true);
    const users = await kp.fetch("/api/v1/auth/users", { headers: bearer(login.access_token) });
    assert.equal(users.status, 403);
    assert.equal((await users.json()).error, "password_change_required");
    const change = await kp.postJson("/api/v1/auth/me/password", {
      old_password: "admin-password-1",
      new_password: "a-new-admin-pw",
    }, bearer(login.access_token));
    assert.equal(change.status, 200);
    await change.body?.cancel();
    const ok = await kp.fetch("/api/v1/auth/users", { headers: bearer(login.access_token) });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await kp.close();
  }
});
