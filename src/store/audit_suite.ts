/**
 * The audit table's queries, written once and run on SQLite (`store_test.ts`) and PostgreSQL
 * (`tests/e2e/store_postgres_test.ts`): batches, filters, newest-first paging, bounded purges.
 */

import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import type { AuditRecord } from "./types.ts";

/** An event for tests. */
export function sampleEvent(over: Partial<AuditRecord> & { id: string; at: number }): AuditRecord {
  return {
    action: "key.created",
    outcome: "success",
    actorKind: "api_key",
    actor: "k-root",
    target: "k-1",
    org: "acme",
    client: "192.0.2.1",
    kind: null,
    jti: null,
    details: { scopes: ["read"], label: "ci ü" },
    ...over,
  };
}

/** A UUID-shaped id whose order follows `n`. */
function _id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** Register the suite. `open` gives a fresh, migrated, empty store for each test. */
export function auditSuite(
  engine: string,
  open: () => Promise<Store>,
  options: { sanitizeResources?: boolean; sanitizeOps?: boolean } = {},
): void {
  const t = (name: string, fn: (s: Store) => Promise<void>) =>
    Deno.test({
      name: `store audit (${engine}): ${name}`,
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

  t(
    "add() stores a batch (more rows than one INSERT holds) once, details as written",
    async (s) => {
      const batch = Array.from(
        { length: 250 },
        (_, i) => sampleEvent({ id: _id(i), at: 1000 + i }),
      );
      await s.audit.add(batch);
      await s.audit.add(batch.slice(0, 10)); // a batch written twice (a retried flush): no duplicate
      const all = await s.audit.list({ limit: 1000 });
      assert.equal(all.length, 250);
      assert.deepEqual(all[0], batch[249]);
      assert.deepEqual(all[249].details, { scopes: ["read"], label: "ci ü" });
      await s.audit.add([]);
    },
  );

  t(
    "list() filters by time, actor, action (exact or prefix), target, org, jti and outcome",
    async (s) => {
      await s.audit.add([
        sampleEvent({ id: _id(1), at: 1000, action: "org.created", target: "acme" }),
        sampleEvent({ id: _id(2), at: 2000, action: "key.created", target: "k-1" }),
        sampleEvent({ id: _id(3), at: 3000, action: "key.revoked", target: "k-1", org: "beta" }),
        sampleEvent({
          id: _id(4),
          at: 4000,
          action: "token.issued",
          actorKind: "anonymous",
          actor: "anonymous",
          target: "edge-1",
          org: null,
          client: null,
          kind: "auth",
          jti: "j-4",
          details: {},
        }),
        sampleEvent({
          id: _id(5),
          at: 5000,
          action: "key_created",
          outcome: "forbidden",
          target: "k-5",
        }),
      ]);
      const ids = async (sel: Parameters<Store["audit"]["list"]>[0]) =>
        (await s.audit.list(sel)).map((e) => Number(e.id.slice(-2)));
      assert.deepEqual(await ids({ limit: 10 }), [5, 4, 3, 2, 1]);
      assert.deepEqual(await ids({ limit: 10, since: 2000, until: 4000 }), [3, 2]);
      assert.deepEqual(await ids({ limit: 10, action: "key.*" }), [3, 2], "_ is no wildcard");
      assert.deepEqual(await ids({ limit: 10, action: "key.revoked" }), [3]);
      assert.deepEqual(await ids({ limit: 10, target: "k-1", org: "acme" }), [2]);
      assert.deepEqual(await ids({ limit: 10, actor: "anonymous" }), [4]);
      assert.deepEqual(await ids({ limit: 10, jti: "j-4" }), [4]);
      assert.deepEqual(await ids({ limit: 10, outcome: "forbidden" }), [5]);
      assert.deepEqual(await ids({ limit: 10, action: "%" }), [], "% is no wildcard");
      const anon = (await s.audit.list({ limit: 1, jti: "j-4" }))[0];
      assert.equal(anon.org, null);
      assert.equal(anon.client, null);
      assert.equal(anon.kind, "auth");
    },
  );

  t("list() pages newest first with a cursor, events of one millisecond included", async (s) => {
    await s.audit.add(
      Array.from({ length: 7 }, (_, i) => sampleEvent({ id: _id(i), at: i < 4 ? 100 : 200 })),
    );
    const seen: string[] = [];
    let before: { at: number; id: string } | undefined;
    for (;;) {
      const page = await s.audit.list({ limit: 3, ...(before === undefined ? {} : { before }) });
      seen.push(...page.map((e) => e.id));
      if (page.length < 3) break;
      before = { at: page[2].at, id: page[2].id };
    }
    assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0].map(_id));
  });

  t("purge() deletes what is older than the cutoff, in bounded statements", async (s) => {
    await s.audit.add(Array.from({ length: 25 }, (_, i) => sampleEvent({ id: _id(i), at: i })));
    assert.equal(await s.audit.purge(20, 7), 20);
    assert.deepEqual((await s.audit.list({ limit: 100 })).map((e) => e.at), [24, 23, 22, 21, 20]);
    assert.equal(await s.audit.purge(20, 7), 0);
  });
}
