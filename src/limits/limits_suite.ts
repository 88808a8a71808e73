/**
 * The limiter's and the lockout's decisions, written once and run against every backend:
 * `limits_test.ts` runs them on the memory backend (`deno task test`),
 * `tests/e2e/limits_redis_test.ts` on a real redis-server. Every expectation is an exact decision
 * for a given sequence and clock, so passing on both means both backends decide alike; the last
 * test replays a long pseudo-random sequence on the backend under test and on a memory reference
 * side by side and compares every result.
 */

import assert from "node:assert/strict";
import type { LimitBackend, LimitStep, StepResult } from "./backend.ts";
import { Limiter, type RateDecision, type RateLimit, rateLimitHeaders } from "./limiter.ts";
import { Lockout, type LockPolicy } from "./lockout.ts";
import { MemoryLimits } from "./memory_limits.ts";

// A window-aligned start, so window arithmetic in the tests is easy to follow.
const T0 = 1_700_000_100_000; // a multiple of 60 s and of 100 s

/**
 * Register the suite. `open` gives a backend (a fresh one, or a shared one: every test uses keys
 * of its own); `close` is called on it after each test.
 */
export function limitsSuite(engine: string, open: () => Promise<LimitBackend>): void {
  const test = (name: string, fn: (b: LimitBackend, k: (s: string) => string) => Promise<void>) =>
    Deno.test(
      { name: `[${engine}] ${name}`, sanitizeResources: false, sanitizeOps: false },
      async () => {
        const backend = await open();
        const run = crypto.randomUUID();
        try {
          await fn(backend, (s) => `${run}:${s}`);
        } finally {
          await backend.close();
        }
      },
    );

  const checks = async (
    l: Limiter,
    key: string,
    rule: RateLimit,
    times: number[],
  ): Promise<RateDecision[]> => {
    const out: RateDecision[] = [];
    for (const t of times) out.push(await l.check(key, rule, t));
    return out;
  };

  test("the limiter allows up to the limit in one window, then refuses", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 3, windowSeconds: 60 };
    const ds = await checks(l, k("k"), rule, [0, 1, 2, 3].map((i) => T0 + i * 1000));
    assert.deepEqual(ds.map((d) => d.allowed), [true, true, true, false]);
    assert.deepEqual(ds.map((d) => d.remaining), [2, 1, 0, 0]);
    assert.equal(ds[0].limit, 3);
    assert.equal(ds[0].resetSeconds, 60);
    // Quota used up: reset points at when the next request fits, not at the window edge (+60 s,
    // where the 3 requests still weigh 3): 3 × (1 − f) ≤ 2 at f = 1/3, +80 s. Equals Retry-After.
    assert.equal(ds[2].resetSeconds, 78);
    assert.equal(ds[3].resetSeconds, 77);
    assert.equal(ds[3].retryAfterSeconds, 77);
    assert.equal((await l.check(k("k"), rule, T0 + 79_000)).allowed, false);
    assert.equal((await l.check(k("k"), rule, T0 + 80_000)).allowed, true);
    assert.equal(ds[0].retryAfterSeconds, 0);
  });

  test("the limiter keeps keys independent", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 1, windowSeconds: 10 };
    assert.equal((await l.check(k("addr:192.0.2.1"), rule, T0)).allowed, true);
    assert.equal((await l.check(k("addr:192.0.2.1"), rule, T0)).allowed, false);
    assert.equal((await l.check(k("addr:192.0.2.2"), rule, T0)).allowed, true);
  });

  test("the limiter weights the previous window by its remaining overlap", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 10, windowSeconds: 60 };
    for (let i = 0; i < 10; i++) assert.equal((await l.check(k("k"), rule, T0 + i)).allowed, true);
    assert.equal((await l.check(k("k"), rule, T0 + 30_000)).allowed, false);
    // Right after the edge the previous window still weighs ~10: no 2x burst.
    assert.equal((await l.check(k("k"), rule, T0 + 60_000)).allowed, false);
    // A quarter into the next window: estimate 10 × 0.75 = 7.5, so two requests fit (8.5, 9.5).
    const at = T0 + 75_000;
    assert.equal((await l.check(k("k"), rule, at)).allowed, true);
    const second = await l.check(k("k"), rule, at);
    assert.equal(second.allowed, true);
    assert.equal(second.remaining, 0);
    assert.equal((await l.check(k("k"), rule, at)).allowed, false);
    // Two windows later the old counts are gone entirely.
    const d = await l.check(k("k"), rule, T0 + 180_000);
    assert.equal(d.allowed, true);
    assert.equal(d.remaining, 9);
  });

  test("refusals are not counted and Retry-After is honest", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 5, windowSeconds: 60 };
    for (let i = 0; i < 5; i++) await l.check(k("k"), rule, T0 + 10_000);
    let denied = await l.check(k("k"), rule, T0 + 20_000);
    for (let i = 0; i < 100; i++) denied = await l.check(k("k"), rule, T0 + 20_000);
    assert.equal(denied.allowed, false);
    // Next window starts at +60 s; 5 × (1 − f) ≤ 4 needs f ≥ 0.2, i.e. +72 s: 52 s from +20 s.
    assert.equal(denied.retryAfterSeconds, 52);
    const retryAt = T0 + 20_000 + denied.retryAfterSeconds * 1000;
    assert.equal((await l.check(k("k"), rule, retryAt - 1000)).allowed, false);
    assert.equal((await l.check(k("k"), rule, retryAt)).allowed, true);
  });

  test("Retry-After within a window waits for the previous window to decay", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 4, windowSeconds: 100 };
    for (let i = 0; i < 4; i++) await l.check(k("k"), rule, T0 + 80_000 + i);
    // At +110 s: estimate 4 × 0.9 = 3.6, 3.6 + 1 > 4: refused.
    const d = await l.check(k("k"), rule, T0 + 110_000);
    assert.equal(d.allowed, false);
    // Needs 4 × (1 − f) ≤ 3, f ≥ 0.25: at +125 s, 15 s later.
    assert.equal(d.retryAfterSeconds, 15);
    assert.equal((await l.check(k("k"), rule, T0 + 124_000)).allowed, false);
    assert.equal((await l.check(k("k"), rule, T0 + 125_000)).allowed, true);
  });

  test("a key counted under another window starts afresh", async (b, k) => {
    const l = new Limiter(b);
    const big = { requests: 3, windowSeconds: 60 };
    const ds = await checks(l, k("user:alice"), big, [T0, T0, T0, T0]);
    assert.deepEqual(ds.map((d) => d.allowed), [true, true, true, false]);
    assert.equal(ds[0].limit, 3);
    const other = { requests: 2, windowSeconds: 10 };
    assert.equal((await l.check(k("user:alice"), other, T0)).allowed, true);
    await assert.rejects(
      async () => await l.check(k("x"), { requests: -1, windowSeconds: 1 }, T0),
      /non-negative/,
    );
  });

  test("a zero limit always refuses with a one-window Retry-After", async (b, k) => {
    const d = await new Limiter(b).check(k("k"), { requests: 0, windowSeconds: 30 }, T0);
    assert.equal(d.allowed, false);
    assert.equal(d.retryAfterSeconds, 30);
  });

  test("rateLimitHeaders() sets RateLimit-* and Retry-After only when refused", async (b, k) => {
    const l = new Limiter(b);
    const rule = { requests: 1, windowSeconds: 60 };
    const ok = rateLimitHeaders(await l.check(k("k"), rule, T0 + 15_000));
    assert.deepEqual(ok, {
      "RateLimit-Limit": "1",
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": "105",
    });
    const no = rateLimitHeaders(await l.check(k("k"), rule, T0 + 15_000));
    assert.equal(no["RateLimit-Remaining"], "0");
    // With a limit of 1 the previous window's single request weighs until its very end: +120 s.
    assert.equal(no["Retry-After"], "105");
    assert.equal((await l.check(k("k"), rule, T0 + 119_000)).allowed, false);
    assert.equal((await l.check(k("k"), rule, T0 + 120_000)).allowed, true);
  });

  test(
    "a quota counts allowed requests in its period and starts afresh in the next",
    async (b, k) => {
      const l = new Limiter(b);
      const june = { limit: 2, start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 6, 1) };
      const july = { limit: 2, start: Date.UTC(2026, 6, 1), end: Date.UTC(2026, 7, 1) };
      const t = Date.UTC(2026, 5, 30, 23, 59, 0);
      const period = async (q: typeof june, now: number) => {
        const r = await b.run([l.periodStep(k("q"), q)], now);
        return l.periodDecision(q, r[0] as Extract<StepResult, { op: "period" }>, now);
      };
      const a = await period(june, t);
      assert.deepEqual(a, {
        allowed: true,
        limit: 2,
        remaining: 1,
        resetSeconds: 60,
        retryAfterSeconds: 0,
      });
      assert.equal((await period(june, t)).remaining, 0);
      const over = await period(june, t + 1000);
      assert.equal(over.allowed, false);
      assert.equal(over.retryAfterSeconds, 59);
      assert.equal(
        (await period(june, t + 2000)).allowed,
        false,
        "refusals are not counted either",
      );
      assert.equal((await period(july, july.start)).allowed, true);
    },
  );

  const lockPolicy = (maxFailures: number, windowSeconds: number, lockSeconds: number) => ({
    maxFailures,
    windowSeconds,
    lockSeconds,
  });

  test("the lockout locks on the maxFailures-th failure inside the window", async (b, k) => {
    const lo = new Lockout(b);
    const p = lockPolicy(3, 60, 120);
    assert.deepEqual(await lo.fail(k("user:alice"), p, T0), {
      lockedNow: false,
      retryAfterSeconds: 0,
    });
    assert.equal((await lo.fail(k("user:alice"), p, T0 + 1000)).lockedNow, false);
    assert.deepEqual(await lo.state(k("user:alice"), T0 + 1000), {
      locked: false,
      retryAfterSeconds: 0,
    });
    assert.deepEqual(await lo.fail(k("user:alice"), p, T0 + 2000), {
      lockedNow: true,
      retryAfterSeconds: 120,
    });
    assert.deepEqual(await lo.state(k("user:alice"), T0 + 2000), {
      locked: true,
      retryAfterSeconds: 120,
    });
    assert.deepEqual(await lo.state(k("user:alice"), T0 + 61_500), {
      locked: true,
      retryAfterSeconds: 61,
    });
    assert.equal((await lo.state(k("user:bob"), T0 + 2000)).locked, false);
  });

  test("the lockout unlocks after lockSeconds and counts afresh", async (b, k) => {
    const lo = new Lockout(b);
    const p = lockPolicy(2, 60, 100);
    await lo.fail(k("k"), p, T0);
    await lo.fail(k("k"), p, T0);
    assert.deepEqual(await lo.state(k("k"), T0 + 99_999), { locked: true, retryAfterSeconds: 1 });
    assert.deepEqual(await lo.state(k("k"), T0 + 100_000), { locked: false, retryAfterSeconds: 0 });
    assert.equal((await lo.fail(k("k"), p, T0 + 100_000)).lockedNow, false);
    assert.equal((await lo.fail(k("k"), p, T0 + 100_001)).lockedNow, true);
  });

  test("the lockout forgets failures older than the window", async (b, k) => {
    const lo = new Lockout(b);
    const p = lockPolicy(3, 60, 100);
    await lo.fail(k("k"), p, T0);
    await lo.fail(k("k"), p, T0 + 59_000);
    // Window opened at T0; at +60 s it has closed and the count restarts at 1.
    assert.equal((await lo.fail(k("k"), p, T0 + 60_000)).lockedNow, false);
    assert.equal((await lo.fail(k("k"), p, T0 + 61_000)).lockedNow, false);
    assert.equal((await lo.fail(k("k"), p, T0 + 62_000)).lockedNow, true);
  });

  test("failures while locked neither extend the lock nor report lockedNow", async (b, k) => {
    const lo = new Lockout(b);
    const p = lockPolicy(1, 60, 10);
    assert.equal((await lo.fail(k("k"), p, T0)).lockedNow, true);
    assert.deepEqual(await lo.fail(k("k"), p, T0 + 9000), {
      lockedNow: false,
      retryAfterSeconds: 1,
    });
    assert.equal((await lo.state(k("k"), T0 + 10_000)).locked, false);
  });

  test("a success clears failures but never lifts an active lock", async (b, k) => {
    const lo = new Lockout(b);
    const p = lockPolicy(2, 60, 30);
    await lo.fail(k("k"), p, T0);
    await lo.clear(k("k"), T0);
    assert.equal((await lo.fail(k("k"), p, T0 + 1)).lockedNow, false);
    assert.equal((await lo.fail(k("k"), p, T0 + 2)).lockedNow, true);
    await lo.clear(k("k"), T0 + 3);
    assert.equal((await lo.state(k("k"), T0 + 3)).locked, true);
  });

  test("one run takes every step in order and stops at the first refusal", async (b, k) => {
    const l = new Limiter(b);
    const lo = new Lockout(b);
    const rule = { requests: 5, windowSeconds: 60 };
    await lo.fail(k("locked"), lockPolicy(1, 60, 60), T0);
    const steps: LimitStep[] = [
      l.step(k("addr"), rule),
      lo.lockedStep(k("free")),
      lo.lockedStep(k("locked")),
      l.step(k("after"), rule),
    ];
    const r = await b.run(steps, T0 + 1000);
    assert.deepEqual(r, [
      { op: "rate", allowed: true, prev: 0, curr: 0 },
      { op: "locked", lockedMs: 0 },
      { op: "locked", lockedMs: 59_000 },
    ]);
    // The step before the refusal was counted, the one after it was not.
    const again = await b.run([l.step(k("addr"), rule), l.step(k("after"), rule)], T0 + 1000);
    assert.deepEqual(again, [
      { op: "rate", allowed: true, prev: 0, curr: 1 },
      { op: "rate", allowed: true, prev: 0, curr: 0 },
    ]);
    assert.deepEqual(await b.run([], T0), []);
    assert.ok(b.knownLocked(k("locked"), T0 + 2000) > 0, "a lock seen is known here");
  });

  test(
    "a long random sequence decides as the memory reference does, step for step",
    async (b, k) => {
      const reference = new MemoryLimits();
      const ref = new Limiter(reference);
      const refLock = new Lockout(reference);
      const l = new Limiter(b);
      const lo = new Lockout(b);
      // Each key keeps one rule and one policy (a key counted under another rule starts afresh on
      // both backends, but not on the same schedule).
      const rules: RateLimit[] = [
        { requests: 3, windowSeconds: 10 },
        { requests: 7, windowSeconds: 60 },
        { requests: 1, windowSeconds: 5 },
      ];
      const policies: LockPolicy[] = [lockPolicy(3, 20, 30), lockPolicy(2, 60, 15)];
      let seed = 20_260_611;
      const rand = (n: number) => {
        // xorshift32: deterministic, so a failure replays.
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      let now = T0 + 123;
      const month = { limit: 40, start: T0 - 1000, end: T0 + 3_600_000 };
      for (let round = 0; round < 600; round++) {
        now += rand(4) === 0 ? rand(30_000) : rand(900);
        const mine: LimitStep[] = [];
        const theirs: LimitStep[] = [];
        for (let i = 0, n = 1 + rand(4); i < n; i++) {
          const which = rand(5);
          const key = `r${rand(3)}`;
          const ki = Number(key.slice(1));
          switch (which) {
            case 0:
            case 1:
              mine.push(l.step(k(key), rules[ki]));
              theirs.push(ref.step(k(key), rules[ki]));
              break;
            case 2:
              mine.push(lo.failStep(k(`f${key}`), policies[ki % 2]));
              theirs.push(refLock.failStep(k(`f${key}`), policies[ki % 2]));
              break;
            case 3:
              mine.push(rand(3) === 0 ? lo.clearStep(k(`f${key}`)) : lo.lockedStep(k(`f${key}`)));
              theirs.push({ ...mine[mine.length - 1] } as LimitStep);
              break;
            case 4:
              mine.push(l.periodStep(k("quota"), month));
              theirs.push(ref.periodStep(k("quota"), month));
              break;
          }
        }
        const got = await b.run(mine, now);
        const want = reference.run(theirs, now);
        assert.deepEqual(got, want, `round ${round} at +${now - T0} ms: ${JSON.stringify(mine)}`);
      }
    },
  );
}
