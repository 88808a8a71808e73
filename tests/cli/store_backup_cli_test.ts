/**
 * `keypebble store backup|restore|export|import` on SQLite, as real processes (issue 20
 * contracts: exit 0 on success, 2 with a message otherwise). The PostgreSQL side and the
 * SQLite → PostgreSQL → SQLite round trip are in tests/e2e/store_transfer_postgres_test.ts.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { forwardAuth, storeFixture } from "../helpers/workers_store.ts";

async function kp(dir: string, ...args: string[]) {
  return await runKeypebble([args[0], args[1], "--config", `${dir}/kp.yaml`, ...args.slice(2)]);
}

async function newKey(dir: string, label: string): Promise<{ id: string; key: string }> {
  const r = await kp(dir, "key", "create", "--org", "acme", "--label", label, "--json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test({
  name: "store backup while serving and writing, then restore: the keys of the backup work again",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture('store: {url: "sqlite:kp.db", cache_seconds: 1}');
    try {
      assert.equal((await kp(dir, "store", "init")).code, 0);
      assert.equal((await kp(dir, "org", "create", "acme")).code, 0);
      const a = await newKey(dir, "a");
      const s = await startServer(`${dir}/kp.yaml`, { args: ["--workers", "1"], cwd: dir });
      try {
        // Requests keep the server writing (usage) while the backup is taken.
        const load = Promise.all(
          Array.from({ length: 30 }, () => forwardAuth(s.url, a.key)),
        );
        const backup = await kp(dir, "store", "backup", "--out", `${dir}/b.db`, "--json");
        assert.deepEqual(await load, Array(30).fill(200));
        assert.equal(backup.code, 0, backup.stderr);
        const info = JSON.parse(backup.stdout);
        assert.equal(info.format, "sqlite-file");
        assert.equal(info.rows.api_keys, 1);
        assert.equal((await Deno.stat(`${dir}/b.db`)).mode! & 0o777, 0o600);

        // After the backup: a's key is revoked and a new one made.
        const del = await kp(dir, "key", "revoke", a.id);
        assert.equal(del.code, 0, del.stderr);
        const b = await newKey(dir, "b");
        await new Promise((r) => setTimeout(r, 1200)); // store.cache_seconds
        assert.equal(await forwardAuth(s.url, a.key), 401);

        const restore = await kp(dir, "store", "restore", "--from", `${dir}/b.db`, "--json");
        assert.equal(restore.code, 0, restore.stderr);
        const r = JSON.parse(restore.stdout);
        assert.match(r.previous_copy, /kp\.db\.pre-restore-\d{8}T\d{6}Z$/);
        await new Promise((r) => setTimeout(r, 1200));
        // The running server serves the restored rows: a works again, b is gone.
        assert.equal(await forwardAuth(s.url, a.key), 200);
        assert.equal(await forwardAuth(s.url, b.key), 401);
      } finally {
        assert.equal(await s.stop(), 0, s.lines.join("\n"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("store restore and import refuse a different pepper, a store with data, a truncated or foreign file; exit 2 and nothing changes", async () => {
  const dir = await storeFixture('store: {url: "sqlite:kp.db"}');
  try {
    assert.equal((await kp(dir, "store", "init")).code, 0);
    assert.equal((await kp(dir, "org", "create", "acme")).code, 0);
    await newKey(dir, "a");
    assert.equal((await kp(dir, "store", "export", "--out", `${dir}/e.jsonl`)).code, 0);
    const again = await kp(dir, "store", "export", "--out", `${dir}/e.jsonl`);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; Keypebble never overwrites a file/);

    const into = await kp(dir, "store", "import", "--from", `${dir}/e.jsonl`);
    assert.equal(into.code, 2);
    assert.match(into.stderr, /already holds data .* "keypebble store restore"/);

    const lines = (await Deno.readTextFile(`${dir}/e.jsonl`)).trimEnd().split("\n");
    await Deno.writeTextFile(`${dir}/cut.jsonl`, lines.slice(0, -1).join("\n") + "\n");
    const cut = await kp(dir, "store", "restore", "--from", `${dir}/cut.jsonl`);
    assert.equal(cut.code, 2);
    assert.match(cut.stderr, /truncated/);
    await Deno.writeTextFile(`${dir}/x.txt`, "hello\n");
    const foreign = await kp(dir, "store", "restore", "--from", `${dir}/x.txt`);
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /neither a Keypebble export nor a SQLite backup/);

    const pepper = await Deno.readTextFile(`${dir}/keypebble.pepper`);
    await Deno.writeTextFile(`${dir}/keypebble.pepper`, "z".repeat(43) + "\n");
    const wrong = await kp(dir, "store", "restore", "--from", `${dir}/e.jsonl`);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /is a DIFFERENT pepper/);
    await Deno.writeTextFile(`${dir}/keypebble.pepper`, pepper);

    // Nothing changed, and no copy was left behind by the refused restores.
    const list = JSON.parse((await kp(dir, "key", "list", "--json")).stdout);
    assert.equal(list.keys.length, 1);
    const left = [...Deno.readDirSync(dir)].filter((f) => f.name.includes("pre-restore"));
    assert.deepEqual(left, []);

    const usage = await kp(dir, "store", "backup");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Option "--out" is required/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
