/**
 * `serve --workers 2` with `shared_limits` (a real Redis): every counter lives in Redis for the
 * whole process, so the full configured limits apply, not per-worker shares. With a limit of 3
 * and 2 workers, shares would allow at most 1 + 1 = 2; Redis allows exactly 3.
 */

import assert from "node:assert/strict";
import { cli, forwardAuth, serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";
import { startRedis } from "./fleet_helpers.ts";

Deno.test({
  name: "two workers with shared_limits: a key's limit and the per-address limit hold exactly " +
    "for the whole process (Redis), not as per-worker shares",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const redis = await startRedis();
  let dir = "";
  try {
    dir = await storeFixture(
      'store: {url: "sqlite:kp.db", cache_seconds: 1}',
      `shared_limits: {redis_url: "${redis.url}"}\n` +
        "rate_limit: { per_address: { requests: 3, window_seconds: 600 }, per_principal: false }\n",
    );
    await cli(dir, ["org", "create", "acme"]);
    const key = JSON.parse(
      await cli(dir, [
        "key",
        "create",
        "--org",
        "acme",
        "--label",
        "k",
        "--rate-limit",
        "3",
        "--json",
      ]),
    );
    const s = await serveTwoWorkers(dir);
    try {
      assert.equal(s.start.workers, 2);
      // Wait for a fresh minute window if this one is about to end (per-minute key limits).
      const left = 60 - (Date.now() / 1000) % 60;
      if (left < 20) await new Promise((r) => setTimeout(r, left * 1000 + 100));
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await forwardAuth(s.url, key.key));
      assert.equal(statuses.filter((x) => x === 200).length, 3, statuses.join(","));
      assert.equal(statuses.filter((x) => x === 429).length, 9);
      // The per-address limit (3 per 600 s) was used up by the same address, on both workers.
      const other = await fetch(`${s.url}/auth`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: "{}",
      });
      await other.body?.cancel();
      assert.equal(other.status, 429);
    } finally {
      assert.equal(await s.stop(), 0, s.lines.join("\n"));
    }
  } finally {
    if (dir !== "") await Deno.remove(dir, { recursive: true });
    await redis.stop();
  }
});
