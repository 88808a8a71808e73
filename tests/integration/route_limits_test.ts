/**
 * Per-address limits of an application's own routes, for gateways (issue 22):
 * `GET /forward-auth?limit=NAME` (no key, its own route declaration) and
 * `POST /forward-auth/failures?limit=NAME` (a key with `limits.report`). Attacks kept as tests:
 * the mode is no way around the key check, unknown names and mixed modes are refused, a client
 * cannot name another address through an untrusted peer, and only a root principal grants the
 * reporting scope.
 */

import assert from "node:assert/strict";
import { ROUTE_TABLE } from "../../src/app/mod.ts";
import { makeKeyInstance } from "../helpers/api_keys.ts";

const LIMITS = `
limits:
  routes:
    login: {requests: 3, window_seconds: 60, lock_after: 2, lock_seconds: 600}
    search: {requests: 2, window_seconds: 10}
trusted_proxies: ["10.0.0.1/32"]
trusted_proxy_header: X-Real-IP
`;

async function setup() {
  const kp = await makeKeyInstance({ extraYaml: LIMITS });
  await kp.svc.createOrg("ops");
  return kp;
}

const limit = (kp: Awaited<ReturnType<typeof setup>>, q: string, addr = "203.0.113.5", h = {}) =>
  kp.fetch(`/forward-auth?${q}`, { headers: h }, addr);

async function status(p: Promise<Response>): Promise<number> {
  const r = await p;
  await r.body?.cancel();
  return r.status;
}

Deno.test("route limit: requests per window, then 429 with Retry-After; refused calls lock the address after lock_after", async () => {
  const kp = await setup();
  try {
    for (let i = 0; i < 3; i++) {
      const r = await limit(kp, "limit=login");
      assert.equal(r.status, 200, `call ${i + 1}`);
      assert.equal(r.headers.get("x-auth-limit"), "login");
      assert.equal(r.headers.get("x-auth-subject"), null, "the mode says nothing about a key");
    }
    const over = await limit(kp, "limit=login");
    assert.equal(over.status, 429);
    const b = await over.json();
    assert.equal(b.error, "rate_limited");
    assert.equal(b.detail, b.message);
    assert.ok(Number(over.headers.get("retry-after")) >= 1);
    // The second refused call is the lock_after-th failure: locked for lock_seconds.
    const locked = await limit(kp, "limit=login");
    assert.equal(locked.status, 429);
    assert.equal((await locked.json()).error, "locked_out");
    assert.equal(locked.headers.get("retry-after"), "600");
    // Another address, and another limit for this address, are not affected.
    assert.equal(await status(limit(kp, "limit=login", "203.0.113.6")), 200);
    assert.equal(await status(limit(kp, "limit=search")), 200);
    // The window passes, the lock does not.
    kp.advance(61_000);
    assert.equal(await status(limit(kp, "limit=login")), 429);
    kp.advance(540_000);
    assert.equal(await status(limit(kp, "limit=login")), 200);
  } finally {
    await kp.close();
  }
});

Deno.test("route limit: without lock_after, an address is only limited, never locked", async () => {
  const kp = await setup();
  try {
    assert.equal(await status(limit(kp, "limit=search")), 200);
    assert.equal(await status(limit(kp, "limit=search")), 200);
    for (let i = 0; i < 10; i++) assert.equal(await status(limit(kp, "limit=search")), 429);
    kp.advance(20_001);
    assert.equal(await status(limit(kp, "limit=search")), 200);
  } finally {
    await kp.close();
  }
});

Deno.test("route limit: behind a trusted gateway the client it names is limited; blocks apply", async () => {
  const kp = await setup();
  try {
    const via = (client: string) => limit(kp, "limit=search", "10.0.0.1", { "x-real-ip": client });
    assert.equal(await status(via("192.0.2.1")), 200);
    assert.equal(await status(via("192.0.2.1")), 200);
    assert.equal(await status(via("192.0.2.1")), 429);
    assert.equal(await status(via("192.0.2.2")), 200, "each client its own count");
    // A gateway that names no client: refused, never counted against the gateway itself.
    const none = await limit(kp, "limit=search", "10.0.0.1");
    assert.equal(none.status, 400);
    assert.match((await none.json()).detail, /X-Real-IP/i);
    // A client that is no trusted proxy cannot name another address.
    assert.equal(
      await status(limit(kp, "limit=search", "198.51.100.9", { "x-real-ip": "192.0.2.2" })),
      200,
    );
    assert.equal(
      await status(limit(kp, "limit=search", "198.51.100.9", { "x-real-ip": "192.0.2.3" })),
      200,
    );
    assert.equal(
      await status(limit(kp, "limit=search", "198.51.100.9", { "x-real-ip": "192.0.2.4" })),
      429,
    );
    // An address block (admin API) refuses it in this mode too.
    await kp.svc.block("address", "192.0.2.7", 3600, "abuse");
    const blocked = await via("192.0.2.7");
    assert.equal(blocked.status, 403);
    assert.equal((await blocked.json()).error, "blocked");
  } finally {
    await kp.close();
  }
});

Deno.test("route limit: unknown, repeated and empty names are refused; the mode is no way around the key check", async () => {
  const kp = await setup();
  try {
    const unknown = await limit(kp, "limit=admin");
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, "not_found");
    assert.equal(await status(limit(kp, "limit=")), 404);
    assert.equal(await status(limit(kp, "limit=__proto__")), 404);
    assert.equal(await status(limit(kp, "limit=constructor")), 404);
    assert.equal(await status(limit(kp, "limit=login&limit=search")), 400);
    // A client whose query reached a key-mode URL (`?scope=read&limit=login`) is refused.
    assert.equal(await status(limit(kp, "scope=read&limit=login")), 400);
    assert.equal(
      await status(limit(kp, "limit=login", undefined, { "x-required-scope": "read" })),
      400,
    );
    // The key check still needs a key: no key, a bad key, and a key with a limit name elsewhere.
    assert.equal(await status(kp.fetch("/forward-auth")), 401);
    assert.equal(
      await status(
        kp.fetch("/forward-auth?LIMIT=login", {
          headers: { "x-api-key": "kp_live_" + "A".repeat(43) },
        }),
      ),
      401,
    );
    assert.equal(await status(kp.fetch("/forward-auth?scope=read")), 401);
    // No other route has a mode: ?limit= on the admin API is still the admin API.
    assert.equal(await status(kp.fetch("/admin/orgs?limit=login")), 401);
    // The declarations say so: anonymous only in the mode.
    const decls = ROUTE_TABLE.filter((d) => d.template.startsWith("/forward-auth"));
    const key = decls.find((d) => d.method === "GET" && d.queryMode === undefined)!;
    const mode = decls.find((d) => d.method === "GET" && d.queryMode === "limit")!;
    assert.deepEqual(key.caller, { accepts: ["api_key"], anonymous: "never" });
    assert.deepEqual(mode.caller, { accepts: [], anonymous: "always" });
    for (const d of ROUTE_TABLE) {
      if (d.caller.anonymous === "always" && d.caller.accepts.length === 0) {
        assert.ok(!d.template.startsWith("/admin"), d.template);
      }
    }
  } finally {
    await kp.close();
  }
});

Deno.test("route limit: the application reports failed attempts with a limits.report key; lock_after of them lock the address", async () => {
  const kp = await setup();
  try {
    const reporter = await kp.svc.createKey({
      orgName: "ops",
      label: "app",
      scopes: ["limits.report"],
    });
    const report = (body: unknown, key = reporter.raw, q = "limit=login") =>
      kp.fetch(`/forward-auth/failures?${q}`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: JSON.stringify(body),
      }, "192.0.2.50");
    const first = await report({ address: "203.0.113.77" });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), {
      limit: "login",
      address: "203.0.113.77",
      failures: 1,
      lock_after: 2,
      locked: false,
      retry_after_seconds: 0,
    });
    assert.equal(
      await status(limit(kp, "limit=login", "203.0.113.77")),
      200,
      "one failure, not locked",
    );
    const second = await (await report({ address: "203.0.113.77" })).json();
    assert.equal(second.locked, true);
    assert.equal(second.retry_after_seconds, 600);
    const locked = await limit(kp, "limit=login", "203.0.113.77");
    assert.equal(locked.status, 429);
    assert.equal((await locked.json()).error, "locked_out");
    assert.equal(await status(limit(kp, "limit=login", "203.0.113.78")), 200);
    // IPv6 addresses too; nonsense is refused.
    assert.equal(await status(report({ address: "2001:db8::1" })), 200);
    for (
      const address of [undefined, "", "not-an-ip", "10.0.0.0/8", "1.2.3.4 ", 42, "a".repeat(65)]
    ) {
      assert.equal(await status(report({ address })), 400, String(address));
    }
    assert.equal(await status(report({ address: "203.0.113.1" }, reporter.raw, "limit=nope")), 404);
    // Who may report: not a plain key, not an org admin; an org admin cannot grant the scope.
    const plain = await kp.svc.createKey({ orgName: "ops", label: "plain", scopes: ["read"] });
    assert.equal(await status(report({ address: "203.0.113.9" }, plain.raw)), 403);
    await kp.svc.createOrg("acme");
    const orgAdmin = await kp.svc.createKey({ orgName: "acme", label: "oa", scopes: ["admin"] });
    assert.equal(await status(report({ address: "203.0.113.9" }, orgAdmin.raw)), 403);
    const grant = await kp.fetch("/admin/keys", {
      method: "POST",
      headers: { "x-admin-key": orgAdmin.raw, "content-type": "application/json" },
      body: JSON.stringify({ org_name: "acme", label: "sneaky", scopes: ["limits.report"] }),
    });
    assert.equal(grant.status, 403);
    assert.equal(
      await status(kp.fetch("/forward-auth/failures?limit=login", { method: "POST", body: "{}" })),
      401,
    );
    const root = await kp.svc.createKey({
      orgName: "ops",
      label: "root",
      scopes: ["admin"],
      reach: "all",
    });
    assert.equal(await status(report({ address: "203.0.113.9" }, root.raw)), 200);
  } finally {
    await kp.close();
  }
});
