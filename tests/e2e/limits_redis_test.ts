/**
 * The limiter and the lockout on a real redis-server: the suite `deno task test` runs on the
 * memory backend (src/limits/limits_suite.ts), so both backends are held to the same decisions
 * for the same sequences, the last test comparing them step for step. Then what only Redis shows:
 * a request's steps cost one script call (INFO commandstats), a script cache emptied by a restart
 * is refilled, and an unreachable Redis refuses (503) instead of allowing.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../../src/errors.ts";
import { connectRedisLimits, Limiter, Lockout } from "../../src/limits/mod.ts";
import { limitsSuite } from "../../src/limits/limits_suite.ts";
import { startRedis } from "./fleet_helpers.ts";

const redis = await startRedis();
addEventListener("unload", () => {
  redis.stop();
});

limitsSuite("redis", () => connectRedisLimits(redis.url));

async function redisCli(...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(redis.port), ...args],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

function calls(info: string, cmd: string): number {
  return Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

Deno.test({
  name: "[redis] four limits of one request cost one EVALSHA; a flushed script cache is refilled",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const b = await connectRedisLimits(redis.url);
  try {
    const l = new Limiter(b);
    const lo = new Lockout(b);
    const rule = { requests: 100, windowSeconds: 60 };
    await redisCli("CONFIG", "RESETSTAT");
    const now = Date.now();
    for (let i = 0; i < 10; i++) {
      await b.run([
        l.step("cs:addr", rule),
        lo.lockedStep("cs:addr"),
        l.step("cs:key", rule),
        l.periodStep("cs:key", { limit: 1000, start: now - 1000, end: now + 60_000 }),
      ], now);
    }
    const info = await redisCli("INFO", "commandstats");
    assert.equal(calls(info, "evalsha"), 10, info);
    assert.equal(calls(info, "eval"), 0);
    await redisCli("SCRIPT", "FLUSH");
    const r = await b.run([l.step("cs:addr", rule)], now);
    assert.equal(r.length, 1);
    assert.ok(calls(await redisCli("INFO", "commandstats"), "eval") >= 1, "reloaded by EVAL");
    assert.equal((await b.run([l.step("cs:addr", rule)], now)).length, 1);
  } finally {
    await b.close();
  }
});

Deno.test({
  name: "[redis] an unreachable Redis refuses with store_unavailable, never allows",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await assert.rejects(
    () => connectRedisLimits("redis://127.0.0.1:1/0"),
    (e: unknown) => e instanceof KeypebbleError && e.code === "store_unavailable",
  );
});
