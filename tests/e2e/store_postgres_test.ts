/**
 * The store suite of `src/store/store_suite.ts` (the one SQLite runs in `deno task test`) against
 * a real PostgreSQL 15, plus migrations from two processes at once and Postgres going away.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../../src/errors.ts";
import { openStore, type Store } from "../../src/store/mod.ts";
import { storeSuite } from "../../src/store/store_suite.ts";
import { auditSuite } from "../../src/store/audit_suite.ts";
import { type Postgres, removePostgres, startPostgres } from "./fleet_helpers.ts";

let pg: Postgres | undefined;
let n = 0;

async function freshStore(): Promise<Store> {
  pg ??= await startPostgres();
  const url = await pg.createDb(`suite_${++n}`);
  return await openStore(url, { now: 1 });
}

storeSuite("postgres", freshStore, { sanitizeResources: false, sanitizeOps: false });
auditSuite("postgres", freshStore, { sanitizeResources: false, sanitizeOps: false });

Deno.test({
  name: "store (postgres): two instances migrating at once apply each step once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    pg ??= await startPostgres();
    const url = await pg.createDb("race");
    const [a, b] = await Promise.all([openStore(url, { now: 1 }), openStore(url, { now: 1 })]);
    const st = await a.status();
    assert.deepEqual(st.pending, []);
    assert.equal(st.applied.length, new Set(st.applied.map((x) => x.version)).size);
    await a.close();
    await b.close();
  },
});

Deno.test({
  name: "store (postgres): down at start is a clear 'unavailable' error; down mid-run too",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    pg ??= await startPostgres();
    const url = await pg.createDb("outage");
    const store = await openStore(url, { now: 1 });
    await store.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 1 });
    await pg.stop();
    try {
      await assert.rejects(
        () => store.orgs.list(),
        (e: unknown) => e instanceof KeypebbleError && e.code === "store_unavailable",
      );
      await assert.rejects(
        () => openStore(url, { now: 1 }),
        (e: unknown) =>
          e instanceof KeypebbleError && e.code === "store_unavailable" &&
          !e.message.includes("password"),
      );
    } finally {
      await pg.start();
    }
    // Nothing was lost, and the same store object recovers.
    assert.deepEqual((await store.orgs.list()).map((o) => o.name), ["acme"]);
    await store.close();
  },
});

Deno.test({
  name: "store (postgres): stop the cluster",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (pg !== undefined) await removePostgres(pg);
  },
});
