/**
 * `GET /admin/usage`: requests over time per key and per organisation, within the caller's reach
 * (the console's usage chart reads it). Answers are checked against the OpenAPI document.
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";
import { checkDocumented } from "../helpers/openapi.ts";

/** The helper's clock (2026-06-10T12:00:05Z) after the two minutes the first test advances. */
const NOW = Date.UTC(2026, 5, 10, 12, 2, 5);

const FA = (raw: string): RequestInit => ({ headers: { "x-api-key": raw } });

async function setup() {
  const kp = await makeAccountInstance();
  await kp.svc.createOrg("default");
  await kp.svc.createOrg("acme");
  await kp.svc.createOrg("globex");
  const root = (await kp.user("root@example.com", { role: "superadmin" })).access;
  const acmeAdmin = (await kp.user("a@acme.test", { role: "org_admin", orgId: "acme" })).access;
  const viewer = (await kp.user("v@acme.test", { role: "viewer", orgId: "acme" })).access;
  const a1 = await kp.svc.createKey({ orgName: "acme", label: "a1", monthlyQuota: 100 });
  const a2 = await kp.svc.createKey({ orgName: "acme", label: "a2" });
  const g1 = await kp.svc.createKey({ orgName: "globex", label: "g1" });
  return { kp, root, acmeAdmin, viewer, a1, a2, g1 };
}

async function usage(
  kp: Awaited<ReturnType<typeof setup>>["kp"],
  token: string,
  query: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await kp.fetch(`/admin/usage${query}`, { headers: bearer(token) });
  const body = await checkDocumented(res, "/admin/usage", "get");
  return { status: res.status, body };
}

Deno.test("usage: buckets per key and per organisation, with totals, errors, top keys and quota", async () => {
  const { kp, root, a1, a2, g1 } = await setup();
  try {
    for (let i = 0; i < 3; i++) await (await kp.fetch("/forward-auth", FA(a1.raw))).body?.cancel();
    await (await kp.fetch("/forward-auth", FA(a2.raw))).body?.cancel();
    kp.advance(120_000);
    await (await kp.fetch("/forward-auth", FA(g1.raw))).body?.cancel();
    await (await kp.fetch("/forward-auth?scope=nope", FA(a1.raw))).body?.cancel();

    const all = await usage(kp, root, "?range=hour");
    assert.equal(all.status, 200);
    assert.equal(all.body.bucket_seconds, 60);
    const buckets = all.body.buckets as { start: string; requests: number; errors: number }[];
    assert.equal(buckets.length, 60, "every minute of the hour, empty ones as 0");
    assert.equal(buckets.reduce((n, b) => n + b.requests, 0), all.body.requests);
    assert.equal(all.body.requests, 6);
    assert.equal(all.body.org_name, null);
    assert.equal(all.body.quota, null);
    // Buckets are consecutive minutes ending with the current one.
    for (let i = 1; i < buckets.length; i++) {
      assert.equal(Date.parse(buckets[i].start) - Date.parse(buckets[i - 1].start), 60_000);
    }
    assert.ok(Date.parse(buckets[59].start) <= NOW);
    assert.ok(Date.parse(all.body.to as string) > NOW);

    const acme = await usage(kp, root, "?range=hour&org_name=acme");
    assert.equal(acme.body.requests, 5);
    assert.deepEqual(
      (acme.body.top_keys as { id: string; requests: number }[]).map((t) => [t.id, t.requests]),
      [[a1.key.id, 4], [a2.key.id, 1]],
    );

    const one = await usage(kp, root, `?range=day&key_id=${a1.key.id}`);
    assert.equal(one.body.bucket_seconds, 3600);
    assert.equal((one.body.buckets as unknown[]).length, 24);
    assert.equal(one.body.requests, 4);
    const q = one.body.quota as Record<string, unknown>;
    assert.equal(q.monthly_quota, 100);
    assert.equal(q.used_this_month, 4);
    assert.ok((one.body.error_rate as number) >= 0 && (one.body.error_rate as number) <= 1);

    const month = await usage(kp, root, "?range=month&org_name=globex");
    assert.equal((month.body.buckets as unknown[]).length, 30);
    assert.equal(month.body.requests, 1);
  } finally {
    await kp.close();
  }
});

Deno.test("usage: an org admin sees its own organisation only; others are a 404, a viewer a 403", async () => {
  const { kp, root, acmeAdmin, viewer, a1, g1 } = await setup();
  try {
    await (await kp.fetch("/forward-auth", FA(a1.raw))).body?.cancel();
    await (await kp.fetch("/forward-auth", FA(g1.raw))).body?.cancel();
    const mine = await usage(kp, acmeAdmin, "");
    assert.equal(mine.status, 200);
    assert.equal(mine.body.org_name, "acme", "defaults to the caller's organisation");
    assert.equal(mine.body.requests, 1);
    assert.equal((await usage(kp, acmeAdmin, `?key_id=${a1.key.id}`)).status, 200);
    for (const q of ["?org_name=globex", `?key_id=${g1.key.id}`, "?org_name=nosuch"]) {
      const r = await usage(kp, acmeAdmin, q);
      assert.equal(r.status, 404, q);
      assert.equal(r.body.error, "not_found");
    }
    assert.equal((await usage(kp, viewer, "")).status, 403);
    assert.equal((await usage(kp, root, "?org_name=nosuch")).status, 404);
  } finally {
    await kp.close();
  }
});

Deno.test("usage: bad input is a 422 with a stable code (the admin API answers as keyguard's), anonymous a 401", async () => {
  const { kp, root, a1 } = await setup();
  try {
    for (const q of ["?range=year", "?range=", `?key_id=${a1.key.id}&org_name=acme`]) {
      const r = await usage(kp, root, q);
      assert.equal(r.status, 422, q);
      assert.equal(r.body.error, "invalid_request");
    }
    const anon = await kp.fetch("/admin/usage", {});
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    assert.equal((await usage(kp, root, "?key_id=nosuch")).status, 404);
  } finally {
    await kp.close();
  }
});

Deno.test("usage: an admin key of reach org sees its organisation; a plain key is refused", async () => {
  const { kp, a1 } = await setup();
  try {
    await (await kp.fetch("/forward-auth", FA(a1.raw))).body?.cancel();
    const admin = await kp.svc.createKey({ orgName: "acme", label: "adm", scopes: ["admin"] });
    const res = await kp.fetch("/admin/usage?range=hour", {
      headers: { "x-admin-key": admin.raw },
    });
    const body = await checkDocumented(res, "/admin/usage", "get");
    assert.equal(res.status, 200);
    assert.equal(body.org_name, "acme");
    const other = await kp.fetch("/admin/usage?org_name=globex", {
      headers: { "x-admin-key": admin.raw },
    });
    assert.equal(other.status, 404);
    await other.body?.cancel();
    const plain = await kp.fetch("/admin/usage", { headers: { "x-admin-key": a1.raw } });
    assert.equal(plain.status, 403);
    await plain.body?.cancel();
  } finally {
    await kp.close();
  }
});
