/**
 * `serve --workers 2` on a real PostgreSQL: the main thread migrates once, each worker has its
 * own connection pool and key cache; a key's limit holds in total, a revocation reaches both
 * workers within `store.cache_seconds`, and both workers' usage counts end in the database.
 */

import assert from "node:assert/strict";
import { openStore } from "../../src/store/mod.ts";
import { keysAcrossWorkers, serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";
import { removePostgres, startPostgres } from "./fleet_helpers.ts";

Deno.test({
  name: "two workers on one PostgreSQL store: key limit held in total, revocation reaches every " +
    "worker within cache_seconds, every worker's usage is stored",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const pg = await startPostgres();
  let dir = "";
  try {
    const url = await pg.createDb("workers");
    dir = await storeFixture(`store: {url: "${url}", cache_seconds: 1}`, "accounts: {}\n");
    const s = await serveTwoWorkers(dir, { KEYPEBBLE_ADMIN_PASSWORD: "a-long-admin-password-1" });
    let ids = { l: "", p: "" };
    try {
      assert.equal(s.start.workers, 2);
      assert.equal(s.lines.filter((l) => l.includes('"event":"admin_created"')).length, 1);
      ids = await keysAcrossWorkers(dir, s.url);
    } finally {
      assert.equal(await s.stop(), 0, s.lines.join("\n"));
    }
    const store = await openStore(url, { now: Math.floor(Date.now() / 1000), schema: "check" });
    try {
      assert.equal(await store.usage.forKey(ids.l, 0), 40);
      assert.equal(await store.usage.forKey(ids.p, 0), 20);
      assert.equal(await store.users.count(), 1);
    } finally {
      await store.close();
    }
  } finally {
    if (dir !== "") await Deno.remove(dir, { recursive: true });
    await removePostgres(pg);
  }
});
