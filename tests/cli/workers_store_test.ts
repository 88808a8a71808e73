/**
 * `serve --workers 2` with a SQLite store, as a real process: the main thread migrates the store
 * and creates the bootstrap admin once, then each worker opens its own connection and key cache.
 * Fresh connections (`connection: close`) let the kernel spread requests over both workers; the
 * assertions hold for the process as a whole: a key's rate limit never exceeds its configured
 * total, a revocation made through the CLI reaches every worker within `store.cache_seconds`,
 * and every worker's usage counts end in the store.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { keysAcrossWorkers, serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";

Deno.test({
  name: "two workers on one SQLite store: migrated once, key limit held in total, revocation " +
    "reaches every worker within cache_seconds, every worker's usage is stored",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await storeFixture('store: {url: "sqlite:kp.db", cache_seconds: 1}');
  const s = await serveTwoWorkers(dir);
  let ids = { l: "", p: "" };
  try {
    assert.equal(s.start.workers, 2);
    // The store did not exist: the main thread created and migrated it before the workers.
    const versions = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const rows = versions.prepare("SELECT version FROM schema_migrations").all();
    versions.close();
    assert.ok(rows.length > 0);
    assert.equal(new Set(rows.map((r) => r.version)).size, rows.length);

    ids = await keysAcrossWorkers(dir, s.url);
  } finally {
    assert.equal(await s.stop(), 0, s.lines.join("\n"));
  }
  try {
    // Each worker flushed its own counts at SIGTERM; the store adds them up.
    const db = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const sum = (id: string) =>
      db.prepare(
        "SELECT SUM(requests) AS requests, SUM(errors) AS errors FROM usage_minutes WHERE key_id = ?",
      ).get(id);
    const [l, p] = [sum(ids.l), sum(ids.p)];
    db.close();
    assert.deepEqual([Number(l?.requests), Number(l?.errors)], [40, 30]);
    assert.deepEqual([Number(p?.requests), Number(p?.errors)], [20, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "two workers with accounts: the bootstrap admin is created once and its password " +
    "printed once",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await storeFixture(
    'store: {url: "sqlite:kp.db", cache_seconds: 1}',
    "accounts: {}\n",
  );
  const s = await serveTwoWorkers(dir);
  try {
    assert.equal(s.start.workers, 2);
  } finally {
    assert.equal(await s.stop(), 0, s.lines.join("\n"));
  }
  try {
    assert.equal(s.lines.filter((l) => l.includes('"event":"admin_created"')).length, 1);
    assert.equal(s.lines.filter((l) => l.includes("one-time password")).length, 1);
    const db = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const n = db.prepare("SELECT COUNT(*) AS n FROM users").get();
    db.close();
    assert.equal(Number(n?.n), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
