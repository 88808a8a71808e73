import assert from "node:assert/strict";
import { MemoryCounters } from "./counters.ts";

Deno.test("MemoryCounters count within a lifetime and start afresh after it", async () => {
  const clock = { t: 1000 };
  const c = new MemoryCounters({ now: () => clock.t });
  assert.deepEqual(await c.incr("a", 500), { value: 1, ttlMs: 500 });
  clock.t += 100;
  assert.deepEqual(await c.incr("a", 500, 2), { value: 3, ttlMs: 400 });
  clock.t += 400;
  assert.deepEqual(await c.get("a"), { value: 0, ttlMs: 0 });
  assert.deepEqual(await c.incr("a", 500), { value: 1, ttlMs: 500 });
});

Deno.test("MemoryCounters flags expire and the map stays bounded", async () => {
  const clock = { t: 0 };
  const c = new MemoryCounters({ now: () => clock.t, maxKeys: 10 });
  await c.setFlag("lock", 1000);
  assert.equal(await c.flagTtl("lock"), 1000);
  clock.t = 1000;
  assert.equal(await c.flagTtl("lock"), 0);
  for (let i = 0; i < 100; i++) await c.incr(`k${i}`, 10_000);
  assert.equal((await c.get("k99")).value, 1);
  assert.equal((await c.get("k0")).value, 0, "the oldest were dropped");
});
