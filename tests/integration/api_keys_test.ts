/**
 * API keys through the handler: forward-auth, the client credentials grant, the admin API and
 * keys as the caller identity, over a real SQLite store.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../../src/errors.ts";
import { decodeJws, verifyJws } from "../../src/jose/mod.ts";
import { basicAuth, makeTestHandler } from "../helpers/handler.ts";
import { makeKeyInstance } from "../helpers/api_keys.ts";

async function setup(extra: Parameters<typeof makeKeyInstance>[0] = {}) {
  const kp = await makeKeyInstance(extra);
  await kp.svc.createOrg("acme");
  const { key, raw } = await kp.svc.createKey({
    orgName: "acme",
    label: "ci",
    scopes: ["read", "write"],
    claims: { tier: "gold" },
    rateLimitPerMinute: 5,
  });
  return { kp, key, raw };
}

const fa = (raw: string, extra: Record<string, string> = {}) => ({
  headers: { "x-api-key": raw, ...extra },
});

Deno.test("forward-auth: a valid key gets 200 with identity and rate-limit headers", async () => {
  const { kp, key, raw } = await setup();
  try {
    const res = await kp.fetch("/forward-auth", fa(raw));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-auth-subject"), key.id);
    assert.equal(res.headers.get("x-auth-org"), "acme");
    assert.equal(res.headers.get("x-auth-scopes"), "read write");
    assert.equal(res.headers.get("x-ratelimit-limit"), "5");
    assert.equal(res.headers.get("x-ratelimit-remaining"), "4");
    assert.match(res.headers.get("ratelimit") ?? "", /^limit=5, remaining=4, reset=\d+$/);
    const bearer = await kp.fetch("/forward-auth", { headers: { authorization: `Bearer ${raw}` } });
    assert.equal(bearer.status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: missing, malformed, whitespace, wrong-prefix and unknown keys get 401", async () => {
  const { kp, raw } = await setup();
  try {
    const cases: [string, Record<string, string>][] = [
      ["missing", {}],
      ["malformed", { "x-api-key": "kp_live_short" }],
      ["inner space", { "x-api-key": raw.slice(0, 20) + " " + raw.slice(21) }],
      ["wrong prefix", { "x-api-key": "zz_live_" + raw.slice(8) }],
      ["unknown", { "x-api-key": "kp_live_" + "A".repeat(43) }],
      ["jwt bearer", { authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig" }],
    ];
    for (const [what, headers] of cases) {
      const res = await kp.fetch("/forward-auth", { headers }, `10.0.0.${cases.length}`);
      assert.equal(res.status, 401, what);
      const body = await res.json();
      assert.equal(body.error, "unauthorized", what);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /, what);
      assert.ok(!JSON.stringify(body).includes(raw), "the key never appears in an answer");
    }
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: unknown, revoked, expired and suspended keys get one answer (401), telling nothing", async () => {
  const { kp, key, raw } = await setup();
  try {
    const refusals: string[] = [];
    const refusal = async (r: Response) => {
      assert.equal(r.status, 401);
      const b = await r.json();
      refusals.push(`${b.error}: ${b.message}`);
    };
    const short = await kp.svc.createKey({ orgName: "acme", label: "s", expiresInSeconds: 60 });
    assert.equal((await kp.fetch("/forward-auth", fa(short.raw))).status, 200);
    kp.advance(61_000);
    await refusal(await kp.fetch("/forward-auth", fa(short.raw)));
    await kp.svc.revoke(key.id);
    await refusal(await kp.fetch("/forward-auth", fa(raw)));
    const other = await kp.svc.createKey({ orgName: "acme", label: "o" });
    await kp.svc.setOrgStatus("acme", "suspended");
    await refusal(await kp.fetch("/forward-auth", fa(other.raw)));
    await refusal(await kp.fetch("/forward-auth", fa(`kp_live_${"A".repeat(43)}`)));
    // Issue 19 finding 17: whether a key exists, was revoked, expired or suspended is not told.
    assert.equal(new Set(refusals).size, 1, refusals.join(" | "));
    await kp.svc.setOrgStatus("acme", "active");
    assert.equal((await kp.fetch("/forward-auth", fa(other.raw))).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: a required scope from X-Required-Scope or ?scope= is enforced (403)", async () => {
  const { kp, raw } = await setup();
  try {
    assert.equal((await kp.fetch("/forward-auth?scope=read", fa(raw))).status, 200);
    const denied = await kp.fetch("/forward-auth?scope=admin", fa(raw));
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).error, "insufficient_scope");
    const hdr = await kp.fetch("/forward-auth", fa(raw, { "x-required-scope": "delete" }));
    assert.equal(hdr.status, 403);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: over the per-minute limit gets 429 with Retry-After, and passes after it", async () => {
  const { kp, raw } = await setup();
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200);
    }
    const res = await kp.fetch("/forward-auth", fa(raw));
    assert.equal(res.status, 429);
    const retry = Number(res.headers.get("retry-after"));
    assert.ok(retry >= 1);
    assert.equal(res.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(res.headers.get("x-ratelimit-limit"), "5");
    // One limiter, the sliding window: the burst still weighs right after the minute's edge, so
    // the answer is Retry-After, not the edge (67 s here: 5 × (1 − f) ≤ 4 at f = 0.2 of the next
    // minute, 12 s in, from 5 s into this one).
    assert.equal(retry, 67);
    kp.advance((retry - 1) * 1000);
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 429);
    kp.advance(1000);
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: a monthly quota is enforced and survives a restart (seeded from usage)", async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("acme");
    const { raw } = await kp.svc.createKey({ orgName: "acme", label: "q", monthlyQuota: 3 });
    for (let i = 0; i < 3; i++) {
      assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200);
    }
    const over = await kp.fetch("/forward-auth", fa(raw));
    assert.equal(over.status, 429);
    assert.equal((await over.json()).error, "quota_exceeded");
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: repeated bad keys lock the address out, other addresses are unaffected", async () => {
  const { kp, raw } = await setup();
  try {
    for (let i = 0; i < 5; i++) {
      await kp.fetch("/forward-auth", fa("kp_live_" + "B".repeat(43)), "10.9.9.9");
    }
    const locked = await kp.fetch("/forward-auth", fa(raw), "10.9.9.9");
    assert.equal(locked.status, 429);
    assert.equal((await locked.json()).error, "locked_out");
    assert.equal((await kp.fetch("/forward-auth", fa(raw), "10.9.9.8")).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: blocked addresses and principals get 403 until lifted", async () => {
  const { kp, key, raw } = await setup();
  try {
    await kp.svc.block("address", "10.1.1.1", 600, "abuse");
    assert.equal((await kp.fetch("/forward-auth", fa(raw), "10.1.1.1")).status, 403);
    assert.equal((await kp.fetch("/forward-auth", fa(raw), "10.1.1.2")).status, 200);
    await kp.svc.block("principal", key.id, 600, "");
    const res = await kp.fetch("/forward-auth", fa(raw), "10.1.1.2");
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "blocked");
    await kp.svc.unblock("principal", key.id);
    assert.equal((await kp.fetch("/forward-auth", fa(raw), "10.1.1.2")).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("forward-auth: without a store the route answers 404", async () => {
  const kp = await makeTestHandler({
    configYaml: 'issuer: "https://kp.test"\nhs256_secret_path: secret\n',
    files: { secret: "s".repeat(40) },
  });
  assert.equal((await kp.fetch("/forward-auth", fa("kp_live_x"))).status, 404);
});

Deno.test("key cache: a revocation on another instance is honoured within cache_seconds", async () => {
  const dir = await Deno.makeTempDir();
  const clock = { t: Date.UTC(2026, 5, 10, 12, 0, 5) };
  const a = await makeKeyInstance({ storeUrl: `sqlite:${dir}/kp.db`, clock, cacheSeconds: 5 });
  const b = await makeKeyInstance({ storeUrl: `sqlite:${dir}/kp.db`, clock, cacheSeconds: 5 });
  try {
    await a.svc.createOrg("acme");
    const { key, raw } = await a.svc.createKey({ orgName: "acme", label: "x" });
    assert.equal((await b.fetch("/forward-auth", fa(raw))).status, 200, "created on A, works on B");
    await a.svc.revoke(key.id);
    assert.equal((await a.fetch("/forward-auth", fa(raw))).status, 401, "A refuses at once");
    clock.t += 5_001;
    assert.equal((await b.fetch("/forward-auth", fa(raw))).status, 401, "B within cache_seconds");
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("key cache: cached keys keep working while the store is down, new keys get 503", async () => {
  const { kp, raw } = await setup();
  try {
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200);
    const other = await kp.svc.createKey({ orgName: "acme", label: "late" });
    await kp.store.close(); // the store goes away
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200, "cached");
    const res = await kp.fetch("/forward-auth", fa(other.raw));
    assert.ok(res.status >= 500, `uncached key refused, got ${res.status}`);
    kp.advance(6_000);
    assert.ok((await kp.fetch("/forward-auth", fa(raw))).status >= 500, "stale cache refused");
  } finally {
    // The usage counted while the store was gone cannot be written: close says so.
    await assert.rejects(
      () => kp.svc.close({ attempts: 1 }),
      (e: unknown) =>
        e instanceof KeypebbleError && /counted request\(s\) could not be written/.test(e.message),
    );
  }
});

Deno.test("oauth2/token: client_credentials with form or Basic returns an api JWT, no-store", async () => {
  const { kp, key, raw } = await setup();
  try {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: key.id,
      client_secret: raw,
      scope: "read",
    });
    const res = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 900);
    const { payload: claims } = await verifyJws(body.access_token, kp.runtime.keyring.keys, {
      issuer: "https://kp.test",
      typ: "at+jwt",
      now: Math.floor(kp.services.now() / 1000),
    });
    assert.equal(claims.sub, key.id);
    assert.equal(claims.client_id, key.id);
    assert.equal(claims.org, "acme");
    assert.equal(claims.scope, "read");
    assert.equal(claims.tier, "gold");
    assert.equal(Number(claims.exp) - Number(claims.iat), 900);
    const basic = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: basicAuth(key.id, raw),
      },
      body: "grant_type=client_credentials",
    });
    assert.equal(basic.status, 200);
    assert.equal(decodeJws((await basic.json()).access_token).payload.scope, "read write");
  } finally {
    await kp.close();
  }
});

Deno.test("oauth2/token: RFC 6749 errors for bad clients, scopes and grants", async () => {
  const { kp, key, raw } = await setup();
  try {
    const post = (body: string, headers: Record<string, string> = {}) =>
      kp.fetch("/oauth2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    const other = await kp.svc.createKey({ orgName: "acme", label: "other" });
    const cases: [string, Promise<Response>, number, string][] = [
      ["no grant", post(""), 400, "invalid_request"],
      ["password grant", post("grant_type=password"), 400, "unsupported_grant_type"],
      ["no client", post("grant_type=client_credentials"), 401, "invalid_client"],
      [
        "another key's id",
        post(`grant_type=client_credentials&client_id=${other.key.id}&client_secret=${raw}`),
        401,
        "invalid_client",
      ],
      [
        "unknown secret",
        post(
          `grant_type=client_credentials&client_id=${key.id}&client_secret=kp_live_${
            "C".repeat(43)
          }`,
        ),
        401,
        "invalid_client",
      ],
      [
        "secret with a trailing space",
        post(
          `grant_type=client_credentials&client_id=${key.id}&client_secret=${
            encodeURIComponent(raw + " ")
          }`,
        ),
        401,
        "invalid_client",
      ],
      [
        "scope not held",
        post(`grant_type=client_credentials&client_id=${key.id}&client_secret=${raw}&scope=admin`),
        400,
        "invalid_scope",
      ],
      [
        "repeated parameter",
        post(`grant_type=client_credentials&grant_type=client_credentials`),
        400,
        "invalid_request",
      ],
      [
        "basic and form secret",
        post(`grant_type=client_credentials&client_secret=${raw}`, {
          authorization: basicAuth(key.id, raw),
        }),
        400,
        "invalid_request",
      ],
    ];
    for (const [what, p, status, error] of cases) {
      const res = await p;
      assert.equal(res.status, status, what);
      const body = await res.json();
      assert.equal(body.error, error, what);
      assert.equal(typeof body.error_description, "string", what);
      assert.equal(res.headers.get("cache-control"), "no-store", what);
    }
  } finally {
    await kp.close();
  }
});

Deno.test("admin API: keyguard's paths, header and fields", async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("ops");
    const admin = await kp.svc.createKey({
      orgName: "ops",
      label: "admin",
      scopes: ["admin"],
      reach: "all",
    });
    const h = { "x-admin-key": admin.raw, "content-type": "application/json" };
    const org = await kp.fetch("/admin/orgs", {
      method: "POST",
      headers: h,
      body: JSON.stringify({ name: "acme" }),
    });
    assert.equal(org.status, 200, "keyguard answers 200 to a create");
    assert.deepEqual(Object.keys(await org.json()).sort(), [
      "created_at",
      "id",
      "key_count",
      "name",
      "status",
    ]);
    const orgs = await (await kp.fetch("/admin/orgs", { headers: h })).json();
    assert.equal(orgs.total, 2);
    for (const o of orgs.organizations) {
      for (const f of ["id", "name", "status", "created_at", "key_count"]) assert.ok(f in o, f);
    }
    const created = await kp.fetch("/admin/keys", {
      method: "POST",
      headers: h,
      body: JSON.stringify({
        org_name: "acme",
        label: "migrated",
        prefix: "kg_live_",
        rate_limit_per_minute: 100,
        scopes: ["read"],
      }),
    });
    assert.equal(created.status, 200);
    const ck = await created.json();
    for (
      const f of [
        "id",
        "label",
        "prefix",
        "raw_key",
        "rate_limit_per_minute",
        "scopes",
        "org_name",
        "created_at",
      ]
    ) {
      assert.ok(f in ck, f);
    }
    assert.ok(ck.raw_key.startsWith("kg_live_"));
    assert.equal((await kp.fetch("/forward-auth", fa(ck.raw_key))).status, 200);
    const keys = await (await kp.fetch("/admin/keys", { headers: h })).json();
    assert.equal(keys.total, 2);
    for (const k of keys.keys) {
      for (
        const f of [
          "id",
          "label",
          "prefix",
          "is_active",
          "rate_limit_per_minute",
          "scopes",
          "org_name",
          "created_at",
          "last_used_at",
        ]
      ) assert.ok(f in k, f);
      assert.ok(!JSON.stringify(k).includes(ck.raw_key.slice(12)), "never the key");
    }
    const del = await kp.fetch(`/admin/keys/${ck.id}`, { method: "DELETE", headers: h });
    assert.deepEqual(await del.json(), { detail: "API key revoked", key_id: ck.id });
    assert.equal((await kp.fetch("/forward-auth", fa(ck.raw_key))).status, 401);
    await kp.svc.flushUsage();
    const stats = await (await kp.fetch("/admin/stats", { headers: h })).json();
    for (
      const f of [
        "total_organizations",
        "total_keys",
        "active_keys",
        "total_requests",
        "recent_requests_1h",
        "top_keys",
        "error_rate",
      ]
    ) assert.ok(f in stats, f);
    assert.equal(stats.total_organizations, 2);
    // The one accepted /forward-auth of the migrated key: the admin key's calls are not usage.
    assert.equal(stats.total_requests, 1);
    assert.deepEqual(stats.top_keys.map((t: { label: string }) => t.label), ["migrated"]);
    for (const t of stats.top_keys) {
      for (const f of ["label", "prefix", "requests"]) assert.ok(f in t);
    }
  } finally {
    await kp.close();
  }
});

Deno.test("admin API: no key is 401, a refused key or one without the admin scope 403, never the pepper", async () => {
  const { kp, raw } = await setup();
  try {
    assert.equal((await kp.fetch("/admin/orgs")).status, 401);
    assert.equal((await kp.fetch("/admin/orgs", { headers: { "x-admin-key": raw } })).status, 403);
    const pepper = await kp.fetch("/admin/orgs", { headers: { "x-admin-key": "p".repeat(40) } });
    // keyguard's answer to an admin key it does not accept, with its `detail`.
    assert.equal(pepper.status, 403);
    const body = await pepper.json();
    assert.equal(body.error, "unauthorized");
    assert.equal(body.detail, body.message);
    const post = await kp.fetch("/admin/keys", {
      method: "POST",
      headers: { "x-api-key": raw, "content-type": "application/json" },
      body: JSON.stringify({ org_name: "acme", label: "x", scopes: ["admin"] }),
    });
    assert.equal(post.status, 403, "a non-admin key cannot mint an admin key");
  } finally {
    await kp.close();
  }
});

Deno.test("admin API: roll keeps the old key for the grace period, then refuses it", async () => {
  const { kp, key, raw } = await setup();
  try {
    const admin = await kp.svc.createKey({ orgName: "acme", label: "admin", scopes: ["admin"] });
    const res = await kp.fetch(`/admin/keys/${key.id}/roll`, {
      method: "POST",
      headers: { "x-admin-key": admin.raw, "content-type": "application/json" },
      body: JSON.stringify({ grace_seconds: 30 }),
    });
    assert.equal(res.status, 201);
    const rolled = await res.json();
    assert.notEqual(rolled.id, key.id);
    assert.equal((await kp.fetch("/forward-auth", fa(rolled.raw_key))).status, 200);
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 200, "old key in grace");
    kp.advance(31_000);
    assert.equal((await kp.fetch("/forward-auth", fa(raw))).status, 401, "old key after grace");
    assert.equal((await kp.fetch("/forward-auth", fa(rolled.raw_key))).status, 200);
  } finally {
    await kp.close();
  }
});

Deno.test("API key as the caller of /command/token: sub is the key id; a bad key is 401", async () => {
  const { kp, key, raw } = await setup({ extraYaml: "require_authentication: true\n" });
  try {
    const body = JSON.stringify({ target: "host-1", command: "uptime" });
    const ok = await kp.fetch("/command/token", {
      method: "POST",
      headers: { "x-api-key": raw, "content-type": "application/json" },
      body,
    });
    assert.equal(ok.status, 200);
    assert.equal(decodeJws((await ok.json()).token).payload.sub, key.id);
    const bearer = await kp.fetch("/command/token", {
      method: "POST",
      headers: { authorization: `Bearer ${raw}`, "content-type": "application/json" },
      body,
    });
    assert.equal(bearer.status, 200);
    const bad = await kp.fetch("/command/token", {
      method: "POST",
      headers: { "x-api-key": "kp_live_" + "D".repeat(43), "content-type": "application/json" },
      body,
    });
    assert.equal(bad.status, 401);
  } finally {
    await kp.close();
  }
});

Deno.test("usage: requests and errors are counted per minute and written in one batch", async () => {
  const { kp, key, raw } = await setup();
  try {
    await kp.fetch("/forward-auth", fa(raw));
    await kp.fetch("/forward-auth", fa(raw));
    await kp.fetch("/forward-auth?scope=nope", fa(raw));
    assert.deepEqual(await kp.store.usage.totals(0), { requests: 0, errors: 0 }, "not yet written");
    await kp.svc.flushUsage();
    assert.deepEqual(await kp.store.usage.totals(0), { requests: 3, errors: 1 });
    assert.ok((await kp.store.apiKeys.byId(key.id))?.lastUsedAt !== null);
    // Tenant names are not for whoever can scrape /metrics, unless metrics.org_labels is on.
    const metrics = await (await kp.fetch("/metrics")).text();
    assert.match(metrics, /keypebble_api_key_requests_total\{org="all",outcome="allowed"\} 2/);
    assert.match(metrics, /keypebble_api_key_requests_total\{org="all",outcome="refused"\} 1/);
    assert.ok(!metrics.includes("acme"), "no tenant name in the anonymous scrape");
  } finally {
    await kp.close();
  }
  const named = await setup({ extraYaml: "metrics:\n  org_labels: true\n" });
  try {
    await named.kp.fetch("/forward-auth", fa(named.raw));
    const metrics = await (await named.kp.fetch("/metrics")).text();
    assert.match(metrics, /keypebble_api_key_requests_total\{org="acme",outcome="allowed"\} 1/);
  } finally {
    await named.kp.close();
  }
});
