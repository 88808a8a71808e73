/**
 * keyguard's answers on keyguard's routes (issue 22): the admin API's statuses, `detail`,
 * defaults, bounds, names and prefixes; what `/forward-auth` hands the app; the admin key's calls
 * outside usage and its refusals in their own lockout bucket.
 */

import assert from "node:assert/strict";
import { makeKeyInstance } from "../helpers/api_keys.ts";

async function setup(extra: Parameters<typeof makeKeyInstance>[0] = {}) {
  const kp = await makeKeyInstance(extra);
  await kp.svc.createOrg("ops");
  const admin = await kp.svc.createKey({
    orgName: "ops",
    label: "admin",
    scopes: ["admin"],
    reach: "all",
  });
  const h = { "x-admin-key": admin.raw, "content-type": "application/json" };
  const post = (path: string, body: unknown, addr?: string) =>
    kp.fetch(path, { method: "POST", headers: h, body: JSON.stringify(body) }, addr);
  const get = (path: string) => kp.fetch(path, { headers: h });
  return { kp, admin, h, post, get };
}

/** A keyguard error: the status, and `detail` beside our `error` and `message`. */
async function kgError(res: Response, status: number, what: string): Promise<string> {
  assert.equal(res.status, status, what);
  const b = await res.json();
  assert.equal(typeof b.error, "string", what);
  assert.equal(b.detail, b.message, what);
  return b.error;
}

Deno.test("keyguard answers: organisations as keyguard creates them (200, any printable name, 400 twice, 422 invalid)", async () => {
  const { kp, post, get } = await setup();
  try {
    const res = await post("/admin/orgs", { name: "Acme Corp" });
    assert.equal(res.status, 200);
    const org = await res.json();
    assert.equal(org.name, "Acme Corp");
    assert.equal(org.key_count, 0);
    assert.equal(org.status, "active");
    for (const name of ["Zürich AG", "東京チーム", "a", "x".repeat(255), "O'Brien & Sons (EU)"]) {
      assert.equal((await post("/admin/orgs", { name })).status, 200, name);
    }
    assert.equal(
      await kgError(await post("/admin/orgs", { name: "Acme Corp" }), 400, "dup"),
      "conflict",
    );
    const invalid: unknown[] = [
      "",
      "x".repeat(256),
      " Acme",
      "Acme ",
      "tab\there",
      "line\nbreak",
      "bidi\u202eevil",
      "nul\u0000",
      42,
      null,
    ];
    for (const name of invalid) {
      await kgError(await post("/admin/orgs", { name }), 422, JSON.stringify(name));
    }
    await kgError(await post("/admin/orgs", {}), 422, "no name");
    const bad = await kp.fetch("/admin/orgs", {
      method: "POST",
      headers: { "x-admin-key": (await setupKey(kp)).raw, "content-type": "application/json" },
      body: "{not json",
    });
    await kgError(bad, 422, "not JSON");
    const list = await (await get("/admin/orgs")).json();
    assert.ok(list.organizations.some((o: { name: string }) => o.name === "Acme Corp"));
    // A name with a space or a slash is still reachable by id.
    const acme = list.organizations.find((o: { name: string }) => o.name === "Acme Corp");
    const suspend = await post(`/admin/orgs/${acme.id}/suspend`, {});
    assert.equal(suspend.status, 200);
    assert.equal((await suspend.json()).status, "suspended");
    const byName = await post(`/admin/orgs/${encodeURIComponent("Acme Corp")}/resume`, {});
    assert.equal((await byName.json()).status, "active");
  } finally {
    await kp.close();
  }
});

async function setupKey(kp: Awaited<ReturnType<typeof makeKeyInstance>>) {
  return await kp.svc.createKey({
    orgName: "ops",
    label: "admin2",
    scopes: ["admin"],
    reach: "all",
  });
}

Deno.test("keyguard answers: a key gets keyguard's defaults (60/min, read), its bounds and any safe prefix", async () => {
  const { kp, post } = await setup();
  try {
    await post("/admin/orgs", { name: "Acme Corp" });
    const res = await post("/admin/keys", { org_name: "Acme Corp", label: "prod-key" });
    assert.equal(res.status, 200);
    const k = await res.json();
    assert.equal(k.rate_limit_per_minute, 60);
    assert.deepEqual(k.scopes, ["read"]);
    assert.equal(k.org_name, "Acme Corp");
    assert.match(k.raw_key, /^kp_live_[A-Za-z0-9_-]{43}$/);
    const fa = await kp.fetch("/forward-auth", { headers: { "x-api-key": k.raw_key } });
    assert.equal(fa.status, 200);
    assert.equal(fa.headers.get("x-ratelimit-limit"), "60");

    for (
      const [rate, ok] of [
        [1, true],
        [10_000, true],
        ["120", true],
        [0, false],
        [10_001, false],
        [-5, false],
        [1.5, false],
        ["ten", false],
        [true, false],
      ] as const
    ) {
      const r = await post("/admin/keys", {
        org_name: "Acme Corp",
        label: "r",
        rate_limit_per_minute: rate,
      });
      if (ok) {
        assert.equal(r.status, 200, String(rate));
        assert.equal((await r.json()).rate_limit_per_minute, Number(rate));
      } else await kgError(r, 422, `rate ${rate}`);
    }
    // null: no limit (keyguard refuses null; an extension, documented).
    const unlimited = await (await post("/admin/keys", {
      org_name: "Acme Corp",
      label: "u",
      rate_limit_per_minute: null,
      scopes: [],
    })).json();
    assert.equal(unlimited.rate_limit_per_minute, null);
    assert.deepEqual(unlimited.scopes, []);

    for (const prefix of ["beta-", "kg_test_", "acme.prod.", "X", "kg_live"]) {
      const r = await post("/admin/keys", { org_name: "Acme Corp", label: "p", prefix });
      assert.equal(r.status, 200, prefix);
      const raw = (await r.json()).raw_key as string;
      assert.ok(raw.startsWith(prefix) && raw.length === prefix.length + 43, prefix);
      const ok = await kp.fetch("/forward-auth", { headers: { "x-api-key": raw } });
      assert.equal(ok.status, 200, `a key made with "${prefix}" passes /forward-auth`);
    }
    for (const prefix of ["", "-lead", "has space_", "x".repeat(33), "ünicode_", "a/b"]) {
      const r = await post("/admin/keys", { org_name: "Acme Corp", label: "p", prefix });
      await kgError(r, 422, JSON.stringify(prefix));
    }
    for (const label of ["", "   ", "x".repeat(256), "a\nb"]) {
      await kgError(
        await post("/admin/keys", { org_name: "Acme Corp", label }),
        422,
        JSON.stringify(label),
      );
    }
    assert.equal(
      (await post("/admin/keys", { org_name: "Acme Corp", label: "ü".repeat(255) })).status,
      200,
    );
    await kgError(await post("/admin/keys", { label: "x" }), 422, "no org_name");
    assert.equal(
      await kgError(await post("/admin/keys", { org_name: "Nope", label: "x" }), 404, "org"),
      "not_found",
    );
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: store.default_rate_limit_per_minute and store.default_scopes replace keyguard's defaults", async () => {
  const { kp, post } = await setup({
    store: { defaultRateLimitPerMinute: null, defaultScopes: ["api", "read"] },
  });
  try {
    const k = await (await post("/admin/keys", { org_name: "ops", label: "d" })).json();
    assert.equal(k.rate_limit_per_minute, null);
    assert.deepEqual(k.scopes, ["api", "read"]);
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: a refused admin key is 403 with detail, a missing one 401; keyguard's 404 and 405 carry detail", async () => {
  const { kp, post } = await setup();
  try {
    const wrong = await kp.fetch("/admin/orgs", { headers: { "x-admin-key": "my-secret" } });
    assert.equal(await kgError(wrong, 403, "wrong"), "unauthorized");
    const missing = await kp.fetch("/admin/orgs");
    assert.equal(await kgError(missing, 401, "missing"), "unauthorized");
    assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer /);
    await kgError(
      await kp.fetch("/admin/keys/nope", {
        method: "DELETE",
        headers: { "x-admin-key": (await setupKey(kp)).raw },
      }),
      404,
      "no key",
    );
    const put = await kp.fetch("/admin/orgs", { method: "PUT" });
    assert.equal(await kgError(put, 405, "put"), "method_not_allowed");
    assert.equal(put.headers.get("allow"), "GET, POST");
    // Ours beyond keyguard's routes keep 201.
    const block = await post("/admin/blocks", { kind: "address", value: "203.0.113.9" });
    assert.equal(block.status, 201);
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: admin calls are not the admin key's usage; error_rate is a percentage", async () => {
  const { kp, admin, post, get } = await setup();
  try {
    await post("/admin/orgs", { name: "Acme Corp" });
    const k = await (await post("/admin/keys", { org_name: "Acme Corp", label: "app" })).json();
    for (let i = 0; i < 10; i++) await get("/admin/keys");
    const fa = (q = "") =>
      kp.fetch(`/forward-auth${q}`, { headers: { "x-api-key": k.raw_key } }).then((r) => r.status);
    assert.equal(await fa(), 200);
    assert.equal(await fa(), 200);
    assert.equal(await fa("?scope=write"), 403);
    const stats = await (await get("/admin/stats")).json();
    assert.equal(stats.total_requests, 3);
    assert.equal(stats.error_rate, 33.33);
    assert.deepEqual(stats.top_keys.map((t: { label: string }) => t.label), ["app"]);
    assert.ok(!stats.top_keys.some((t: { id: string }) => t.id === admin.key.id));
    // A refused admin call (bad body) is not counted either.
    await post("/admin/orgs", { name: "" });
    assert.equal((await (await get("/admin/stats")).json()).total_requests, 3);
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: mistyped admin keys lock the admin API only, never a gateway's /forward-auth", async () => {
  const { kp, h } = await setup();
  try {
    const gw = "198.51.100.7";
    const app = await kp.svc.createKey({ orgName: "ops", label: "app" });
    // The helper's lockout: 5 failures in 300 s lock for 900 s.
    for (let i = 0; i < 5; i++) {
      const r = await kp.fetch("/admin/orgs", {
        headers: { "x-admin-key": "kp_live_" + "W".repeat(43) },
      }, gw);
      assert.equal(r.status, 403, `attempt ${i + 1}`);
      await r.body?.cancel();
    }
    const locked = await kp.fetch("/admin/orgs", { headers: h }, gw);
    assert.equal(
      locked.status,
      429,
      "the admin API is locked for that address, even for the right key",
    );
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
    assert.equal(await locked.json().then((b) => b.detail !== undefined), true);
    const fa = await kp.fetch("/forward-auth", { headers: { "x-api-key": app.raw } }, gw);
    assert.equal(fa.status, 200, "the gateway's key checks are not locked");
    // And the other way round: guesses at /forward-auth do not lock the admin API.
    const other = "198.51.100.8";
    for (let i = 0; i < 5; i++) {
      const r = await kp.fetch("/forward-auth", {
        headers: { "x-api-key": "kp_live_" + "Q".repeat(43) },
      }, other);
      await r.body?.cancel();
    }
    assert.equal(
      (await kp.fetch("/forward-auth", { headers: { "x-api-key": app.raw } }, other)).status,
      429,
    );
    assert.equal((await kp.fetch("/admin/orgs", { headers: h }, other)).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: /forward-auth hands the app the org id and the key label, safely encoded", async () => {
  const { kp, post } = await setup();
  try {
    const org = await (await post("/admin/orgs", { name: "Zürich 100% AG" })).json();
    const label = 'clé "prod" 🚀\u0020';
    const k = await (await post("/admin/keys", { org_name: org.name, label: ` ${label}` })).json();
    const res = await kp.fetch("/forward-auth", { headers: { "x-api-key": k.raw_key } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-auth-org-id"), org.id);
    assert.equal(res.headers.get("x-auth-org"), "Z%C3%BCrich 100%25 AG");
    assert.equal(decodeURIComponent(res.headers.get("x-auth-org")!), "Zürich 100% AG");
    assert.equal(decodeURIComponent(res.headers.get("x-auth-key-label")!), ` ${label}`);
    assert.match(res.headers.get("x-auth-key-label")!, /^%20.*%20$/);
    assert.equal(res.headers.get("x-auth-subject"), k.id);
    // A plain name reads the same.
    const plain = await (await post("/admin/keys", { org_name: "ops", label: "prod-key" })).json();
    const p = await kp.fetch("/forward-auth", { headers: { "x-api-key": plain.raw_key } });
    assert.equal(p.headers.get("x-auth-org"), "ops");
    assert.equal(p.headers.get("x-auth-key-label"), "prod-key");
    // The key check's refusals carry keyguard's detail, with its statuses.
    const none = await kp.fetch("/forward-auth");
    assert.equal(await kgError(none, 401, "missing"), "unauthorized");
    const bad = await kp.fetch("/forward-auth", {
      headers: { "x-api-key": "kg_live_" + "Z".repeat(43) },
    });
    assert.equal(await kgError(bad, 401, "unknown"), "unauthorized");
  } finally {
    await kp.close();
  }
});

Deno.test("keyguard answers: a principal block by organisation id stops its keys", async () => {
  const { kp, post } = await setup();
  try {
    const org = await (await post("/admin/orgs", { name: "Acme Corp" })).json();
    const k = await (await post("/admin/keys", { org_name: "Acme Corp", label: "x" })).json();
    assert.equal((await post("/admin/blocks", { kind: "principal", value: org.id })).status, 201);
    const res = await kp.fetch("/forward-auth", { headers: { "x-api-key": k.raw_key } });
    assert.equal(await kgError(res, 403, "blocked"), "blocked");
  } finally {
    await kp.close();
  }
});
