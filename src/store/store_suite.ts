/**
 * The store's behaviour, written once and run against every engine: `store_test.ts` runs it on
 * SQLite, `tests/e2e/store_postgres_test.ts` on a real PostgreSQL.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import type { Store } from "./store.ts";
import type { ApiKeyRecord } from "./types.ts";

/** A key record for tests. */
export function sampleKey(
  over: Partial<ApiKeyRecord> & { id: string; orgId: string },
): ApiKeyRecord {
  return {
    label: "ci",
    prefix: "kp_live_",
    displayPrefix: "kp_live_abcd",
    hash: `hash-${over.id}`,
    scopes: ["read"],
    reach: "org",
    claims: { tier: "gold" },
    audiences: [],
    rateLimitPerMinute: 60,
    monthlyQuota: null,
    expiresAt: null,
    createdAt: 1000,
    lastUsedAt: null,
    status: "active",
    revokedAt: null,
    replacedBy: null,
    ...over,
  };
}

/**
 * Register the suite. `open` gives a fresh, migrated, empty store for each test.
 */
export function storeSuite(
  engine: string,
  open: () => Promise<Store>,
  options: { sanitizeResources?: boolean; sanitizeOps?: boolean } = {},
): void {
  const t = (name: string, fn: (s: Store) => Promise<void>) =>
    Deno.test({
      name: `store (${engine}): ${name}`,
      ...options,
      fn: async () => {
        const s = await open();
        try {
          await fn(s);
        } finally {
          await s.close();
        }
      },
    });

  t("migrate() is idempotent and status() reports no pending step", async (s) => {
    assert.deepEqual(await s.migrate(2000), []);
    const st = await s.status();
    assert.deepEqual(st.pending, []);
    assert.deepEqual(st.current, st.latest);
  });

  t("orgs are created, listed with key counts and suspended", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await s.orgs.create({ id: "o2", name: "beta", status: "active", createdAt: 11 });
    await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1" }));
    const list = await s.orgs.list();
    assert.deepEqual(list.map((o) => [o.name, o.keyCount]), [["acme", 1], ["beta", 0]]);
    assert.ok(await s.orgs.setStatus("o1", "suspended"));
    assert.deepEqual((await s.orgs.byName("acme"))?.status, "suspended");
    assert.deepEqual(await s.orgs.setStatus("nope", "active"), false);
  });

  t("a duplicate org name is a conflict", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await assert.rejects(
      () => s.orgs.create({ id: "o2", name: "acme", status: "active", createdAt: 10 }),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
  });

  t("keys round-trip by hash and id with their org, and revoke once", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1", expiresAt: 5000 }));
    const k = await s.apiKeys.byHash("hash-k1");
    assert.deepEqual(k?.orgName, "acme");
    assert.deepEqual(k?.scopes, ["read"]);
    assert.deepEqual(k?.claims, { tier: "gold" });
    assert.deepEqual(k?.expiresAt, 5000);
    assert.deepEqual(k?.rateLimitPerMinute, 60);
    assert.deepEqual(await s.apiKeys.byHash("nope"), undefined);
    assert.ok(await s.apiKeys.revoke("k1", 1500));
    assert.deepEqual(await s.apiKeys.revoke("k1", 1600), false);
    assert.deepEqual((await s.apiKeys.byId("k1"))?.status, "revoked");
  });

  t("retire() shortens a key's life and never lengthens it", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1" }));
    await s.apiKeys.insert(sampleKey({ id: "k2", orgId: "o1", expiresAt: 100 }));
    assert.ok(await s.apiKeys.retire("k1", 900, "k3"));
    assert.ok(await s.apiKeys.retire("k2", 900, "k4"));
    assert.deepEqual((await s.apiKeys.byId("k1"))?.expiresAt, 900);
    assert.deepEqual((await s.apiKeys.byId("k1"))?.replacedBy, "k3");
    assert.deepEqual((await s.apiKeys.byId("k2"))?.expiresAt, 100);
  });

  t("usage batches add up per minute and move last_used_at forward", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1" }));
    await s.apiKeys.insert(sampleKey({ id: "k2", orgId: "o1" }));
    await s.usage.add([
      { keyId: "k1", minute: 60, requests: 3, errors: 1, lastUsedAt: 70 },
      { keyId: "k2", minute: 60, requests: 1, errors: 0, lastUsedAt: 65 },
    ]);
    await s.usage.add([{ keyId: "k1", minute: 60, requests: 2, errors: 0, lastUsedAt: 69 }]);
    await s.usage.add([{ keyId: "k1", minute: 120, requests: 4, errors: 0, lastUsedAt: 130 }]);
    assert.deepEqual(await s.usage.totals(0), { requests: 10, errors: 1 });
    assert.deepEqual(await s.usage.totals(120), { requests: 4, errors: 0 });
    assert.deepEqual((await s.usage.perKey(0, 10)).map((u) => [u.keyId, u.requests]), [
      ["k1", 9],
      ["k2", 1],
    ]);
    assert.deepEqual(await s.usage.forKey("k1", 100), 4);
    assert.deepEqual((await s.apiKeys.byId("k1"))?.lastUsedAt, 130);
  });

  t("usage series are bucketed per key, per organisation and overall", async (s) => {
    await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
    await s.orgs.create({ id: "o2", name: "globex", status: "active", createdAt: 10 });
    await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1" }));
    await s.apiKeys.insert(sampleKey({ id: "k2", orgId: "o1" }));
    await s.apiKeys.insert(sampleKey({ id: "k3", orgId: "o2" }));
    await s.usage.add([
      { keyId: "k1", minute: 3600, requests: 3, errors: 1, lastUsedAt: 3601 },
      { keyId: "k1", minute: 3660, requests: 2, errors: 0, lastUsedAt: 3661 },
      { keyId: "k2", minute: 7200, requests: 5, errors: 2, lastUsedAt: 7201 },
      { keyId: "k3", minute: 7260, requests: 7, errors: 0, lastUsedAt: 7261 },
    ]);
    const rows = (b: { start: number; requests: number; errors: number }[]) =>
      b.map((x) => [x.start, x.requests, x.errors]);
    assert.deepEqual(rows(await s.usage.series(0, 3600, {})), [[3600, 5, 1], [7200, 12, 2]]);
    assert.deepEqual(rows(await s.usage.series(0, 60, { keyId: "k1" })), [
      [3600, 3, 1],
      [3660, 2, 0],
    ]);
    assert.deepEqual(rows(await s.usage.series(0, 3600, { orgName: "acme" })), [
      [3600, 5, 1],
      [7200, 5, 2],
    ]);
    assert.deepEqual(rows(await s.usage.series(3660, 60, { orgName: "acme" })), [
      [3660, 2, 0],
      [7200, 5, 2],
    ]);
    assert.deepEqual(await s.usage.series(0, 60, { orgName: "initech" }), []);
    assert.deepEqual(
      (await s.usage.perKeyWithin(0, 10, { orgName: "acme" })).map((u) => [u.keyId, u.requests]),
      [["k1", 5], ["k2", 5]],
    );
    assert.deepEqual(
      (await s.usage.perKeyWithin(0, 1, {})).map((u) => [u.keyId, u.requests, u.errors]),
      [["k3", 7, 0]],
    );
    await assert.rejects(() => s.usage.series(0, 7, {}), RangeError);
  });

  t("blocks are set, replaced, listed while in force and lifted", async (s) => {
    await s.blocks.put({
      kind: "address",
      value: "10.0.0.1",
      until: 500,
      reason: "a",
      createdAt: 1,
    });
    await s.blocks.put({
      kind: "address",
      value: "10.0.0.1",
      until: 900,
      reason: "b",
      createdAt: 2,
    });
    await s.blocks.put({ kind: "principal", value: "bob", until: 50, reason: "c", createdAt: 3 });
    const active = await s.blocks.active(100);
    assert.deepEqual(active.map((b) => [b.kind, b.value, b.until, b.reason]), [
      ["address", "10.0.0.1", 900, "b"],
    ]);
    assert.ok(await s.blocks.remove("address", "10.0.0.1"));
    assert.deepEqual(await s.blocks.remove("address", "10.0.0.1"), false);
  });

  t("a transaction rolls back every group when it throws", async (s) => {
    await assert.rejects(() =>
      s.transaction(async (tx) => {
        await tx.orgs.create({ id: "o9", name: "gone", status: "active", createdAt: 1 });
        throw new Error("boom");
      })
    );
    assert.deepEqual(await s.orgs.byName("gone"), undefined);
  });
}
