/**
 * The audit trail through the handler (issue 20): every token issued and every change made
 * through the admin API and the account API is an event in the log stream (`"event":"audit"`)
 * and in the store, readable with GET /admin/audit within the reader's reach; refusals of
 * authenticated callers are recorded, anonymous noise is not; the token is never in an event.
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";
import { basicAuth, cheapHash } from "../helpers/handler.ts";

type Ev = Record<string, unknown>;
type Instance = Awaited<ReturnType<typeof makeAccountInstance>>;

/** The audit lines of the log stream so far. */
function logged(kp: Instance): Ev[] {
  return kp.logLines.map((l) => JSON.parse(l) as Ev).filter((l) => l.event === "audit");
}

async function stored(kp: Instance, adminKey: string, query = ""): Promise<Ev[]> {
  const r = await kp.fetch(`/admin/audit${query}`, { headers: { "x-admin-key": adminKey } });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).events;
}

function claimsOf(token: string): Record<string, unknown> {
  const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(p + "=".repeat((4 - p.length % 4) % 4)));
}

async function setup(extraYaml = "") {
  const alice = await cheapHash("alice-pw-1");
  const kp = await makeAccountInstance({
    extraYaml: `services: [registry.test]
policy_path: policy.yaml
${extraYaml}`,
    files: {
      "policy.yaml": `users:
  alice:
    password_hash: "${alice}"
    repos: ["alice/*"]
    actions: ["pull", "push"]
`,
    },
  });
  await kp.svc.createOrg("ops");
  const root = await kp.svc.createKey({
    orgName: "ops",
    label: "root",
    scopes: ["admin"],
    reach: "all",
  });
  const adminLogin = await kp.postJson("/api/v1/auth/login", {
    username: "admin",
    password: "admin-password-1",
  });
  const superadmin = (await adminLogin.json()).access_token as string;
  const send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ) =>
    kp.fetch(path, {
      method,
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { kp, root, rootKey: root.raw, superadmin, send };
}

/** The one log line of `action` added since `from`, checked against the store's copy. */
async function expectEvent(
  kp: Instance,
  rootKey: string,
  from: number,
  action: string,
  want: Ev,
): Promise<Ev> {
  const lines = logged(kp).slice(from).filter((e) => e.action === action);
  assert.equal(
    lines.length,
    1,
    `one ${action} line, got ${JSON.stringify(logged(kp).slice(from))}`,
  );
  const line = lines[0];
  for (const [k, v] of Object.entries(want)) assert.deepEqual(line[k], v, `${action}: ${k}`);
  assert.equal(line.level, "info");
  assert.match(String(line.time), /^\d{4}-\d{2}-\d{2}T/);
  const inStore = (await stored(kp, rootKey, `?action=${action}&limit=1000`)).find((e) =>
    e.id === line.id
  );
  assert.ok(inStore !== undefined, `${action} is in the store`);
  for (const [k, v] of Object.entries(want)) assert.deepEqual(inStore[k], v, `${action}: ${k}`);
  return line;
}

Deno.test("audit: every admin API change is an event (actor, action, target, outcome, org, client) in the log and the store", async () => {
  const { kp, root, rootKey, send } = await setup();
  try {
    const h = { "x-admin-key": rootKey };
    const actor = { actor: root.key.id, actor_kind: "api_key", outcome: "success" };
    let n = logged(kp).length;
    // keyguard's statuses on its admin routes: 200 for a new organisation or key.
    assert.equal((await send("POST", "/admin/orgs", h, { name: "acme" })).status, 200);
    await expectEvent(kp, rootKey, n, "org.created", {
      ...actor,
      target: "acme",
      org: "acme",
      client: "127.0.0.1",
    });

    n = logged(kp).length;
    const made = await send("POST", "/admin/keys", h, {
      org_name: "acme",
      label: "ci",
      scopes: ["read"],
    });
    assert.equal(made.status, 200);
    const { id, raw_key } = await made.json();
    const created = await expectEvent(kp, rootKey, n, "key.created", {
      ...actor,
      target: id,
      org: "acme",
    });
    assert.deepEqual(created.scopes, ["read"]);

    n = logged(kp).length;
    const rolled = await send("POST", `/admin/keys/${id}/roll`, h, { grace_seconds: 0 });
    assert.equal(rolled.status, 201);
    const successor = await rolled.json();
    const roll = await expectEvent(kp, rootKey, n, "key.rolled", {
      ...actor,
      target: id,
      org: "acme",
    });
    assert.equal(roll.successor, successor.id);

    n = logged(kp).length;
    assert.equal((await send("DELETE", `/admin/keys/${successor.id}`, h)).status, 200);
    await expectEvent(kp, rootKey, n, "key.revoked", {
      ...actor,
      target: successor.id,
      org: "acme",
    });

    for (const [path, action] of [["suspend", "org.suspended"], ["resume", "org.resumed"]]) {
      n = logged(kp).length;
      assert.equal((await send("POST", `/admin/orgs/acme/${path}`, h)).status, 200);
      await expectEvent(kp, rootKey, n, action, { ...actor, target: "acme", org: "acme" });
    }

    n = logged(kp).length;
    const block = { kind: "address", value: "192.0.2.7", seconds: 60, reason: "scan" };
    assert.equal((await send("POST", "/admin/blocks", h, block)).status, 201);
    const b = await expectEvent(kp, rootKey, n, "block.created", {
      ...actor,
      target: "address:192.0.2.7",
    });
    assert.equal(b.reason, "scan");
    assert.equal(b.org, "ops", "an event about no organisation is the actor's");
    n = logged(kp).length;
    assert.equal((await send("DELETE", "/admin/blocks/address/192.0.2.7", h)).status, 200);
    await expectEvent(kp, rootKey, n, "block.removed", { ...actor, target: "address:192.0.2.7" });

    // Reads are not events; the raw keys handed out are in none.
    n = logged(kp).length;
    await send("GET", "/admin/keys", h);
    await send("GET", "/admin/orgs", h);
    assert.equal(logged(kp).length, n);
    const all = JSON.stringify([logged(kp), await stored(kp, rootKey, "?limit=1000")]);
    for (const secret of [raw_key, successor.raw_key, rootKey]) {
      assert.ok(!all.includes(secret), "no key in any event");
      assert.ok(!all.includes(secret.slice(8, 30)), "no part of a key in any event");
    }
  } finally {
    await kp.close();
  }
});

Deno.test("audit: every account API change is an event, with the acting account, or anonymous for registration", async () => {
  const { kp, rootKey, superadmin, send } = await setup();
  try {
    const admin = bearer(superadmin);
    const adminId = (claimsOf(superadmin).sub) as string;
    const by = { actor: adminId, actor_kind: "account", outcome: "success" };
    let n = logged(kp).length;
    const made = await send("POST", "/api/v1/auth/users", admin, {
      email: "ops@example.com",
      password: "Correct-horse-42",
      role: "operator",
      org_id: "acme",
    });
    assert.equal(made.status, 201);
    const user = await made.json();
    const c = await expectEvent(kp, rootKey, n, "account.created", {
      ...by,
      target: user.id,
      org: "acme",
    });
    assert.equal(c.role, "operator");

    const steps: [string, string, unknown, string, Ev][] = [
      ["PUT", `/api/v1/auth/users/${user.id}/role`, { role: "viewer" }, "account.role_changed", {
        role: "viewer",
        previous_role: "operator",
      }],
      [
        "PUT",
        `/api/v1/auth/users/${user.id}/password`,
        { new_password: "Another-horse-43" },
        "account.password_reset",
        {},
      ],
      [
        "PUT",
        `/api/v1/auth/users/${user.id}/status`,
        { status: "suspended" },
        "account.suspended",
        {},
      ],
      ["PUT", `/api/v1/auth/users/${user.id}/status`, "active", "account.resumed", {}],
    ];
    for (const [method, path, body, action, more] of steps) {
      n = logged(kp).length;
      const r = await send(method, path, admin, body);
      assert.equal(r.status, 200, `${action}: ${await r.text()}`);
      await expectEvent(kp, rootKey, n, action, { ...by, target: user.id, org: "acme", ...more });
    }

    n = logged(kp).length;
    assert.equal(
      (await send("PUT", "/api/v1/auth/users/registration", admin, { enabled: true })).status,
      200,
    );
    await expectEvent(kp, rootKey, n, "registration.switched", {
      ...by,
      target: "registration",
      enabled: true,
    });

    n = logged(kp).length;
    const g = await send("POST", "/api/v1/groups", admin, { name: "oncall" });
    assert.equal(g.status, 201);
    const group = await g.json();
    await expectEvent(kp, rootKey, n, "group.created", { ...by, target: group.id, name: "oncall" });
    const groupSteps: [string, string, unknown, string][] = [
      ["PUT", `/api/v1/groups/${group.id}`, { name: "on-call" }, "group.updated"],
      ["POST", `/api/v1/groups/${group.id}/members`, { user_id: adminId }, "group.member_added"],
      [
        "DELETE",
        `/api/v1/groups/${group.id}/members/${adminId}`,
        undefined,
        "group.member_removed",
      ],
      ["DELETE", `/api/v1/groups/${group.id}`, undefined, "group.deleted"],
    ];
    for (const [method, path, body, action] of groupSteps) {
      n = logged(kp).length;
      const r = await send(method, path, admin, body);
      assert.ok(r.status < 300, `${action}: ${r.status} ${await r.text()}`);
      await expectEvent(kp, rootKey, n, action, { ...by, target: group.id });
    }

    n = logged(kp).length;
    const st = await send("POST", "/api/v1/auth/service-tokens", admin, {
      name: "bot",
      role: "viewer",
      org_id: "acme",
    });
    assert.equal(st.status, 201);
    const serviceToken = await st.json();
    await expectEvent(kp, rootKey, n, "service_token.created", {
      ...by,
      target: "bot",
      org: "acme",
      key_id: serviceToken.id,
    });
    n = logged(kp).length;
    assert.equal((await send("DELETE", "/api/v1/auth/service-tokens/bot", admin)).status, 200);
    await expectEvent(kp, rootKey, n, "service_token.revoked", {
      ...by,
      target: "bot",
      org: "acme",
      revoked: [serviceToken.id],
    });

    // Open registration: the new account is the target, the actor anonymous.
    n = logged(kp).length;
    const reg = await kp.postJson("/api/v1/auth/register", {
      email: "new@example.com",
      password: "Fresh-horse-77",
      display_name: "New",
    });
    assert.equal(reg.status, 201);
    const fresh = await reg.json();
    await expectEvent(kp, rootKey, n, "account.created", {
      actor: "anonymous",
      actor_kind: "anonymous",
      target: fresh.id,
      via: "registration",
    });

    // An account changing its own password.
    const me = await kp.user("me@example.com");
    n = logged(kp).length;
    const pw = await send("POST", "/api/v1/auth/me/password", bearer(me.access), {
      old_password: me.password,
      new_password: "Changed-horse-88",
    });
    assert.equal(pw.status, 200);
    await expectEvent(kp, rootKey, n, "account.password_changed", {
      actor: me.id,
      actor_kind: "account",
      target: me.id,
    });

    const all = JSON.stringify([logged(kp), await stored(kp, rootKey, "?limit=1000")]);
    for (
      const secret of [
        serviceToken.token,
        "Correct-horse-42",
        "Another-horse-43",
        "Fresh-horse-77",
        "Changed-horse-88",
        superadmin,
      ]
    ) assert.ok(!all.includes(secret), "no token or password in any event");
  } finally {
    await kp.close();
  }
});

Deno.test("audit: every token issued is token.issued with kind, jti, sub, aud, what was granted and who asked; never the token", async () => {
  const { kp, rootKey, send } = await setup();
  try {
    await kp.svc.createOrg("acme");
    const app = await kp.svc.createKey({ orgName: "acme", label: "app", scopes: ["read"] });
    const tokens: { kind: string; token: string; actor: string; actorKind: string }[] = [];
    const json = async (r: Response) => {
      const body = await r.json();
      assert.ok(r.status < 300, `${r.status} ${JSON.stringify(body)}`);
      return body;
    };

    const auth = await json(await send("POST", "/auth", {}, { sub: "edge-1" }));
    tokens.push({ kind: "auth", token: auth.token, actor: "anonymous", actorKind: "anonymous" });

    const alice = { authorization: basicAuth("alice", "alice-pw-1") };
    const reg = await json(
      await kp.fetch(
        "/v2/token?service=registry.test&scope=repository:alice/app:pull&offline_token=true&client_id=docker",
        { headers: alice },
      ),
    );
    tokens.push({ kind: "registry", token: reg.token, actor: "alice", actorKind: "user" });
    tokens.push({ kind: "refresh", token: reg.refresh_token, actor: "alice", actorKind: "user" });

    // The password grant: no caller at the route, the user the grant proved is the actor.
    const grant = await json(
      await kp.fetch("/v2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "password",
          service: "registry.test",
          client_id: "docker",
          username: "alice",
          password: "alice-pw-1",
          scope: "repository:alice/app:push",
        }).toString(),
      }),
    );
    tokens.push({ kind: "registry", token: grant.access_token, actor: "alice", actorKind: "user" });

    const cmd = await json(
      await send("POST", "/command/token", alice, {
        target: "vault",
        command: "ls",
      }),
    );
    tokens.push({ kind: "command", token: cmd.token, actor: "alice", actorKind: "user" });

    const sa = await json(
      await send("POST", "/api/v1/namespaces/ci/serviceaccounts/builder/token", {}, {
        spec: { audiences: ["k8s-api"] },
      }),
    );
    tokens.push({
      kind: "kubernetes",
      token: sa.status.token,
      actor: "anonymous",
      actorKind: "anonymous",
    });

    const cc = await json(
      await kp.fetch("/oauth2/token", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basicAuth(app.key.id, app.raw),
        },
        body: "grant_type=client_credentials&scope=read",
      }),
    );
    tokens.push({ kind: "api", token: cc.access_token, actor: app.key.id, actorKind: "api_key" });

    const me = await kp.user("dev@example.com", { orgId: "acme" });
    tokens.push({ kind: "account", token: me.access, actor: me.id, actorKind: "account" });

    const events = logged(kp).filter((e) => e.action === "token.issued");
    const inStore = await stored(kp, rootKey, "?action=token.issued&limit=1000");
    for (const t of tokens) {
      const c = claimsOf(t.token);
      const e = events.find((x) => x.jti === c.jti);
      assert.ok(e !== undefined, `${t.kind}: an event with the token's jti`);
      assert.equal(e.kind, t.kind);
      assert.equal(e.actor, t.actor, t.kind);
      assert.equal(e.actor_kind, t.actorKind, t.kind);
      assert.equal(e.outcome, "success");
      assert.equal(e.client, "127.0.0.1");
      assert.deepEqual(e.sub, c.sub, t.kind);
      assert.equal(e.target, c.sub, t.kind);
      assert.deepEqual(e.aud, c.aud, t.kind);
      assert.equal(e.exp, c.exp, t.kind);
      if (c.scope !== undefined) assert.equal(e.scope, c.scope, t.kind);
      if (c.access !== undefined) assert.deepEqual(e.access, c.access, t.kind);
      const s = inStore.find((x) => x.jti === c.jti);
      assert.ok(s !== undefined, `${t.kind} is in the store`);
      assert.equal(s.id, e.id);
    }
    // The account's opaque refresh token: its own event, naming its family, never the token.
    const refresh = events.filter((e) => e.kind === "account_refresh" && e.target === me.id);
    assert.equal(refresh.length, 1);
    assert.match(String(refresh[0].refresh_family), /^\S+$/);
    assert.equal(refresh[0].actor, me.id);
    assert.equal(events.find((e) => e.kind === "api")!.org, "acme");
    assert.equal(events.find((e) => e.kind === "account" && e.actor === me.id)!.org, "acme");
    assert.deepEqual(events.find((e) => e.kind === "registry")!.access, [
      { type: "repository", name: "alice/app", actions: ["pull"] },
    ]);
    // The token itself, its signature, or the raw refresh token: in no line, in no row.
    const all = JSON.stringify([kp.logLines, inStore]);
    for (const t of [...tokens.map((x) => x.token), me.refresh]) {
      assert.ok(!all.includes(t), "no token in any event");
      const sig = t.split(".")[2];
      if (sig !== undefined) assert.ok(!all.includes(sig), "no signature in any event");
    }
  } finally {
    await kp.close();
  }
});

Deno.test("audit: an authenticated caller's refusal is recorded with its code; anonymous and bad-input attempts are not", async () => {
  const { kp, rootKey, send } = await setup();
  try {
    await kp.svc.createOrg("acme");
    const oa = await kp.user("oa@example.com", { role: "org_admin", orgId: "acme" });
    let n = logged(kp).length;
    const r = await send("POST", "/admin/orgs", bearer(oa.access), { name: "globex" });
    assert.equal(r.status, 403);
    await expectEvent(kp, rootKey, n, "org.created", {
      actor: oa.id,
      actor_kind: "account",
      outcome: "forbidden",
      target: "globex",
      org: "acme",
    });
    // A key of another organisation, out of reach: 404 to the caller, recorded as not_found.
    const other = await kp.svc.createKey({ orgName: "ops", label: "x" });
    n = logged(kp).length;
    const d = await send("DELETE", `/admin/keys/${other.key.id}`, bearer(oa.access));
    assert.equal(d.status, 404);
    await expectEvent(kp, rootKey, n, "key.revoked", {
      actor: oa.id,
      outcome: "not_found",
      target: other.key.id,
      org: "acme",
    });
    n = logged(kp).length;
    assert.equal((await send("POST", "/admin/orgs", {}, { name: "x" })).status, 401);
    // An unknown admin key is keyguard's 403 "Invalid admin key": still nobody, not recorded.
    assert.equal(
      (await send("POST", "/admin/orgs", { "x-admin-key": "kp_live_" + "A".repeat(43) }, {
        name: "x",
      })).status,
      403,
    );
    assert.equal(
      (await send("POST", "/admin/orgs", { "x-admin-key": rootKey }, { name: "" })).status,
      422,
    );
    assert.deepEqual(logged(kp).slice(n), [], "nothing recorded");
  } finally {
    await kp.close();
  }
});

Deno.test("audit: an org admin reads its organisation's events only; a root principal reads all", async () => {
  const { kp, rootKey, send } = await setup();
  try {
    const h = { "x-admin-key": rootKey };
    for (const o of ["acme", "globex"]) {
      assert.equal((await send("POST", "/admin/orgs", h, { name: o })).status, 200);
      assert.equal(
        (await send("POST", "/admin/keys", h, { org_name: o, label: `${o}-ci` })).status,
        200,
      );
    }
    const oa = await kp.user("oa@example.com", { role: "org_admin", orgId: "acme" });
    const acmeAdmin = await kp.svc.createKey({
      orgName: "acme",
      label: "acme-admin",
      scopes: ["admin"],
    });
    for (
      const headers of [bearer(oa.access), { "x-admin-key": acmeAdmin.raw }]
    ) {
      const r = await kp.fetch("/admin/audit?limit=1000", { headers });
      assert.equal(r.status, 200);
      const { events } = await r.json();
      assert.ok(events.length >= 3, "acme's org, key and the org admin's own login");
      assert.ok(events.every((e: Ev) => e.org === "acme"), JSON.stringify(events));
      assert.ok(events.some((e: Ev) => e.action === "key.created"));
      const other = await kp.fetch("/admin/audit?org=globex", { headers });
      assert.equal(other.status, 403);
      assert.equal((await other.json()).error, "forbidden");
      const own = await kp.fetch("/admin/audit?org=acme", { headers });
      assert.equal(own.status, 200);
    }
    const all = await stored(kp, rootKey, "?limit=1000");
    assert.ok(all.some((e) => e.org === "globex"));
    assert.ok(all.some((e) => e.org === "acme"));
    assert.ok((await stored(kp, rootKey, "?org=globex")).every((e) => e.org === "globex"));
    // Holding no audit.read: a viewer, an operator, a non-admin key, nobody.
    const viewer = await kp.user("v@example.com", { role: "viewer", orgId: "acme" });
    const plain = await kp.svc.createKey({ orgName: "acme", label: "plain", scopes: ["read"] });
    for (
      const [headers, status] of [
        [bearer(viewer.access), 403],
        [{ "x-api-key": plain.raw }, 403],
        [{}, 401],
      ] as const
    ) {
      const r = await kp.fetch("/admin/audit", { headers });
      assert.equal(r.status, status);
      await r.body?.cancel();
    }
  } finally {
    await kp.close();
  }
});

Deno.test("audit: GET /admin/audit filters (since, until, actor, action prefix, target, jti, outcome) and pages without repeats", async () => {
  const { kp, root, rootKey, send } = await setup();
  try {
    const h = { "x-admin-key": rootKey };
    for (let i = 0; i < 7; i++) {
      assert.equal((await send("POST", "/admin/orgs", h, { name: `org${i}` })).status, 200);
      kp.advance(1000);
    }
    const t = await send("POST", "/auth", {}, { sub: "edge-9" });
    const jti = claimsOf((await t.json()).token).jti as string;

    const orgs = await stored(kp, rootKey, "?action=org.*");
    assert.equal(orgs.length, 7);
    assert.deepEqual(orgs.map((e) => e.target), [6, 5, 4, 3, 2, 1, 0].map((i) => `org${i}`));
    assert.equal((await stored(kp, rootKey, "?action=org.created&target=org3")).length, 1);
    assert.equal((await stored(kp, rootKey, `?actor=${root.key.id}&action=org.*`)).length, 7);
    assert.equal((await stored(kp, rootKey, `?jti=${jti}`))[0].target, "edge-9");
    assert.equal((await stored(kp, rootKey, "?outcome=forbidden")).length, 0);
    const since = orgs[2].at as string;
    assert.deepEqual(
      (await stored(kp, rootKey, `?action=org.*&since=${encodeURIComponent(since)}`)).map((e) =>
        e.target
      ),
      ["org6", "org5", "org4"],
    );
    assert.deepEqual(
      (await stored(kp, rootKey, `?action=org.*&until=${encodeURIComponent(since)}`)).map((e) =>
        e.target
      ),
      ["org3", "org2", "org1", "org0"],
    );
    assert.equal((await stored(kp, rootKey, "?action=org.*&since=2h")).length, 7);
    assert.deepEqual(
      (await stored(kp, rootKey, "?action=org.*&since=1s")).map((e) => e.target),
      ["org6"],
    );
    // Pages of 3: 3 + 3 + 1, every event once, then no cursor.
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const r = await kp.fetch(`/admin/audit?action=org.*&limit=3&cursor=${cursor}`, {
        headers: h,
      });
      const page = await r.json();
      seen.push(...page.events.map((e: Ev) => e.target));
      cursor = page.next_cursor;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, orgs.map((e) => e.target));
    for (
      const bad of [
        "since=yesterday",
        "until=2026-13-45T00:00:00Z",
        "limit=0",
        "limit=1001",
        "cursor=nope",
        "actor=%00",
      ]
    ) {
      const r = await kp.fetch(`/admin/audit?${bad}`, { headers: h });
      assert.equal(r.status, 422, bad); // keyguard's status for bad input, as on every /admin route
      assert.equal((await r.json()).error, "invalid_request", bad);
    }
  } finally {
    await kp.close();
  }
});

Deno.test("audit: /oauth2/revoke records what it revoked (token.revoked), and nothing for a token it could not read", async () => {
  const { kp, rootKey } = await setup();
  try {
    const me = await kp.user("rev@example.com");
    const revoke = (token: string) =>
      kp.fetch("/oauth2/revoke", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    let n = logged(kp).length;
    assert.equal((await revoke(me.access)).status, 200);
    await expectEvent(kp, rootKey, n, "token.revoked", {
      actor: "anonymous",
      target: me.id,
      kind: "account",
      jti: claimsOf(me.access).jti,
    });
    n = logged(kp).length;
    assert.equal((await revoke(me.refresh)).status, 200);
    await expectEvent(kp, rootKey, n, "token.revoked", { target: me.id });
    n = logged(kp).length;
    assert.equal((await revoke("not.a.token")).status, 200);
    assert.equal((await revoke("kprt_unknown")).status, 200);
    assert.deepEqual(logged(kp).slice(n), []);
    assert.ok(!JSON.stringify(logged(kp)).includes(me.refresh));
  } finally {
    await kp.close();
  }
});

Deno.test("audit: log_level error still writes audit lines (a record, not chatter)", async () => {
  const { kp } = await setup("log_level: error\n");
  try {
    const r = await kp.postJson("/auth", { sub: "quiet" });
    assert.equal(r.status, 200);
    const lines = kp.logLines.map((l) => JSON.parse(l));
    assert.ok(!lines.some((l) => l.event === "request"), "no access log at error level");
    assert.ok(lines.some((l) => l.event === "audit" && l.target === "quiet"));
  } finally {
    await kp.close();
  }
});

Deno.test("audit: store.audit_tokens false keeps token events in the log stream only; changes are still stored", async () => {
  const { kp, rootKey, send } = await setup(
    'store: { url: "sqlite::memory:", audit_tokens: false }\n',
  );
  try {
    const n = logged(kp).length;
    const minted = await kp.fetch(
      "/v2/token?service=registry.test&scope=repository:alice/app:pull",
      { headers: { authorization: basicAuth("alice", "alice-pw-1") } },
    );
    assert.equal(minted.status, 200, await minted.clone().text());
    const line = logged(kp).slice(n).find((e) => e.action === "token.issued");
    assert.ok(line !== undefined, "the token is in the log stream");
    assert.equal(line.kind, "registry");
    assert.equal(
      (await send("POST", "/admin/orgs", { "x-admin-key": rootKey }, { name: "b" }))
        .status,
      200,
    );
    assert.deepEqual(await stored(kp, rootKey, "?action=token.issued"), []);
    const changes = await stored(kp, rootKey, "?action=org.created");
    assert.deepEqual(changes.map((e) => e.target), ["b"]);
  } finally {
    await kp.close();
  }
});

Deno.test("audit: by default token events are stored as well as logged", async () => {
  const { kp, rootKey } = await setup();
  try {
    const minted = await kp.fetch(
      "/v2/token?service=registry.test&scope=repository:alice/app:pull",
      { headers: { authorization: basicAuth("alice", "alice-pw-1") } },
    );
    assert.equal(minted.status, 200);
    // The setup's login issued account tokens; the registry token is the one asked for here.
    const events = await stored(kp, rootKey, "?action=token.issued");
    assert.equal(events.filter((e) => e.kind === "registry").length, 1);
  } finally {
    await kp.close();
  }
});
