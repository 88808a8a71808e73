/**
 * Usage counted in memory is written at shutdown; when that fails (here: another process holds
 * the SQLite write lock past `store.busy_timeout_ms`), the flush is tried again, each failure
 * and the loss are logged, and the process exits non-zero (issue 20, finding 5: the loss was
 * silent and the exit 0). With one worker and with two.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { forwardAuth, serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";

async function keyIn(dir: string): Promise<string> {
  const config = `${dir}/kp.yaml`;
  assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
  const k = await runKeypebble([
    "key",
    "create",
    "--config",
    config,
    "--org",
    "acme",
    "--label",
    "l",
    "--json",
  ]);
  assert.equal(k.code, 0, k.stderr);
  return JSON.parse(k.stdout).key;
}

for (const workers of [1, 2]) {
  Deno.test({
    name: `a shutdown whose usage flush fails retries, logs the loss and exits non-zero ` +
      `(${workers} worker(s))`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const dir = await storeFixture(
        'store: {url: "sqlite:kp.db", cache_seconds: 1, busy_timeout_ms: 50}',
      );
      try {
        const key = await keyIn(dir);
        const s = workers === 1
          ? await startServer(`${dir}/kp.yaml`, { args: ["--workers", "1"], cwd: dir })
          : await serveTwoWorkers(dir);
        for (let i = 0; i < 12; i++) assert.equal(await forwardAuth(s.url, key), 200);
        const holder = new DatabaseSync(`${dir}/kp.db`);
        holder.exec("BEGIN IMMEDIATE"); // another process holds the write lock
        let code: number;
        try {
          code = await s.stop();
        } finally {
          holder.exec("ROLLBACK");
          holder.close();
        }
        const log = s.lines.join("\n");
        assert.equal(code, 1, log);
        assert.ok(s.lines.filter((l) => l.includes('"event":"usage_flush_failed"')).length >= 5);
        const lost = s.lines.filter((l) => l.includes('"event":"usage_lost"'));
        assert.ok(lost.length >= 1, log);
        const total = lost.reduce(
          (n, l) => n + Number(/"message":"(\d+) counted request/.exec(l)?.[1] ?? 0),
          0,
        );
        assert.equal(total, 12, log);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
