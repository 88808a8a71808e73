import assert from "node:assert/strict";
import type { LimitBackend } from "./backend.ts";
import { Limiter, rateLimitHeaders } from "./limiter.ts";
import { limitsSuite } from "./limits_suite.ts";
import { Lockout } from "./lockout.ts";
import { MemoryLimits } from "./memory_limits.ts";
import { shareOf } from "./shares.ts";

limitsSuite("memory", () => Promise.resolve(new MemoryLimits()));

const T0 = 1_700_000_100_000;

Deno.test("memory: sliding windows stay within maxKeys over 100 000 distinct keys", () => {
  const m = new MemoryLimits({ maxKeys: 1000 });
  const l = new Limiter(m);
  for (let i = 0; i < 100_000; i++) {
    l.check(`addr:${i}`, { requests: 5, windowSeconds: 60 }, T0 + i);
    assert.ok(m.size.windows <= 1000);
  }
  assert.equal(m.size.windows, 1000);
});

Deno.test("memory: the least recently used window is evicted, refreshed on touch", () => {
  const m = new MemoryLimits({ maxKeys: 2 });
  const l = new Limiter(m);
  const rule = { requests: 1, windowSeconds: 60 };
  l.check("a", rule, T0);
  l.check("b", rule, T0);
  l.check("a", rule, T0); // refresh "a": now "b" is the oldest
  l.check("c", rule, T0); // evicts "b"
  assert.equal((l.check("a", rule, T0) as { allowed: boolean }).allowed, false, "a was kept");
  assert.equal((l.check("b", rule, T0) as { allowed: boolean }).allowed, true, "b starts afresh");
});

Deno.test("memory: the lockout stays within maxKeys and evicts unlocked entries before locks", () => {
  const m = new MemoryLimits({ maxKeys: 10 });
  const lo = new Lockout(m);
  const p = { maxFailures: 2, windowSeconds: 600, lockSeconds: 600 };
  lo.fail("user:victim", p, T0);
  lo.fail("user:victim", p, T0);
  assert.equal((lo.state("user:victim", T0) as { locked: boolean }).locked, true);
  // A flood of one-failure keys must not push the lock out.
  for (let i = 0; i < 10_000; i++) lo.fail(`addr:${i}`, p, T0 + 1);
  assert.equal(m.size.lockout, 10);
  assert.equal((lo.state("user:victim", T0 + 2) as { locked: boolean }).locked, true);
});

Deno.test("memory: expired locks go first, the oldest live lock only when all are locked", () => {
  const m = new MemoryLimits({ maxKeys: 3 });
  const lo = new Lockout(m);
  const p = { maxFailures: 1, windowSeconds: 60, lockSeconds: 100 };
  for (const [k, t] of [["a", 0], ["b", 1], ["c", 2], ["d", 3]] as const) lo.fail(k, p, T0 + t);
  assert.equal(m.size.lockout, 3);
  assert.equal((lo.state("a", T0 + 4) as { locked: boolean }).locked, false);
  assert.equal((lo.state("b", T0 + 4) as { locked: boolean }).locked, true);
  lo.fail("e", p, T0 + 200_000);
  assert.equal(m.size.lockout, 1);
});

Deno.test("memory: a seeded period starts from the stored count", () => {
  const m = new MemoryLimits();
  const l = new Limiter(m);
  const q = { limit: 3, start: T0, end: T0 + 86_400_000 };
  assert.equal(m.hasPeriod("q", q.start), false);
  m.seedPeriod("q", q.start, q.end, 2, T0);
  assert.equal(m.hasPeriod("q", q.start), true);
  const r = m.run([l.periodStep("q", q)], T0);
  assert.deepEqual(r, [{ op: "period", allowed: true, used: 2 }]);
  assert.deepEqual(m.run([l.periodStep("q", q)], T0), [{ op: "period", allowed: false, used: 3 }]);
});

Deno.test("each worker's share never lets the total exceed the limit (when limit >= workers)", () => {
  for (const workers of [1, 2, 3, 4, 8, 16]) {
    for (const limit of [1, 2, 5, 10, 16, 17, 600]) {
      const share = shareOf(limit, workers);
      assert.ok(share >= 1);
      if (limit >= workers) assert.ok(share * workers <= limit, `${limit}/${workers}`);
      else assert.equal(share, 1);
    }
  }
  assert.equal(shareOf(600, 1), 600);
  assert.equal(shareOf(10, 2), 5);
  assert.equal(shareOf(5, 2), 2);
  assert.equal(shareOf(0, 4), 0);
});

Deno.test("a worker enforces its share and tells the configured limit (issue 20)", () => {
  const l = new Limiter(new MemoryLimits(), { workers: 2 });
  const rule = { requests: 600, windowSeconds: 60 };
  const first = l.check("k", rule, T0) as ReturnType<Limiter["decision"]>;
  assert.equal(first.limit, 600, "the configured limit, not the share of 300");
  assert.equal(first.remaining, 598, "the share's 299 left, scaled to the limit");
  assert.equal(rateLimitHeaders(first)["RateLimit-Limit"], "600");
  let last = first;
  let allowed = 1;
  for (let i = 0; i < 400; i++) {
    last = l.check("k", rule, T0) as typeof first;
    if (last.allowed) allowed++;
  }
  assert.equal(allowed, 300, "the worker's share");
  assert.equal(last.limit, 600);
  const lo = new Lockout(new MemoryLimits(), { workers: 2 });
  const p = { maxFailures: 10, windowSeconds: 60, lockSeconds: 60 };
  const locks = [1, 2, 3, 4, 5].map((i) =>
    (lo.fail("a", p, T0 + i) as { lockedNow: boolean }).lockedNow
  );
  assert.deepEqual(locks, [false, false, false, false, true], "locked at the share of 5");
});

Deno.test("a Redis-like backend ignores workers: the counts are the process's", () => {
  const fake = { kind: "redis" } as LimitBackend;
  assert.equal(new Limiter(fake, { workers: 4 }).share, 1);
  assert.equal(new Lockout(fake, { workers: 4 }).share, 1);
});
