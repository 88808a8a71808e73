/**
 * Another process holding SQLite's write lock must not freeze requests that do not need the
 * store (issue 20, finding 3: /healthz and /auth stalled up to 9 s, because the runtime's SQLite
 * waits synchronously). A real server: while a store write waits for the lock, /healthz and
 * /auth answer; once the lock is gone the write completes; a lock held past
 * `store.busy_timeout_ms` is a 503 `store_unavailable`.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { storeFixture } from "../helpers/workers_store.ts";

Deno.test({
  name: "a store write waiting for another process's lock never holds /healthz or /auth",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture(
      'store: {url: "sqlite:kp.db", busy_timeout_ms: 20000}',
      "require_authentication: {auth: false}\n",
    );
    const config = `${dir}/kp.yaml`;
    try {
      assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
      const created = await runKeypebble([
        "key",
        "create",
        "--config",
        config,
        "--org",
        "acme",
        "--label",
        "ops",
        "--scope",
        "admin",
        "--json",
      ]);
      const key = JSON.parse(created.stdout).key as string;
      const s = await startServer(config, { args: ["--workers", "1"], cwd: dir });
      const holder = new DatabaseSync(`${dir}/kp.db`);
      try {
        holder.exec("BEGIN IMMEDIATE");
        let writeDone = false;
        const write = fetch(`${s.url}/admin/orgs`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ name: "beta" }),
        }).then(async (r) => {
          writeDone = true;
          return { status: r.status, body: await r.json() };
        });
        // Let the write reach the store and start waiting (synchronisation, not a timing check).
        await new Promise((r) => setTimeout(r, 300));
        const health = await fetch(`${s.url}/healthz`);
        assert.equal(health.status, 200);
        await health.body?.cancel();
        const auth = await fetch(`${s.url}/auth`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        assert.equal(auth.status, 200);
        await auth.body?.cancel();
        assert.equal(writeDone, false, "the write is still waiting for the lock");
        holder.exec("COMMIT");
        const w = await write;
        assert.ok(w.status === 200 || w.status === 201, JSON.stringify(w));
        assert.equal(w.body.name, "beta");
      } finally {
        try {
          holder.exec("ROLLBACK");
        } catch { /* committed */ }
        holder.close();
        assert.equal(await s.stop(), 0, s.lines.join("\n"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
