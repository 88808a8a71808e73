import assert from "node:assert/strict";
import { RateLimiter, rateLimitHeaders } from "./rate_limiter.ts";

// A window-aligned start, so window arithmetic in the tests is easy to follow.
const T0 = 1_700_000_100_000; // a multiple of 60 s and of 100 s

Deno.test("check() allows up to the limit in one window, then refuses", () => {
  const rl = new RateLimiter({ requests: 3, windowSeconds: 60 });
  const ds = [0, 1, 2, 3].map((i) => rl.check("k", T0 + i * 1000));
  assert.deepEqual(ds.map((d) => d.allowed), [true, true, true, false]);
  assert.deepEqual(ds.map((d) => d.remaining), [2, 1, 0, 0]);
  assert.equal(ds[0]!.limit, 3);
  assert.equal(ds[0]!.resetSeconds, 60);
  // Quota used up: reset points at when the next request fits, not at the window edge (+60 s,
  // where the 3 requests still weigh 3): 3 × (1 − f) ≤ 2 at f = 1/3, +80 s. Equals Retry-After.
  assert.equal(ds[2]!.resetSeconds, 78);
  assert.equal(ds[3]!.resetSeconds, 77);
  assert.equal(ds[3]!.retryAfterSeconds, 77);
  assert.equal(rl.check("k", T0 + 79_000).allowed, false);
  assert.equal(rl.check("k", T0 + 80_000).allowed, true);
  assert.equal(ds[0]!.retryAfterSeconds, 0);
});

Deno.test("check() keeps keys independent", () => {
  const rl = new RateLimiter({ requests: 1, windowSeconds: 10 });
  assert.equal(rl.check("addr:192.0.2.1", T0).allowed, true);
  assert.equal(rl.check("addr:192.0.2.1", T0).allowed, false);
  assert.equal(rl.check("addr:192.0.2.2", T0).allowed, true);
});

Deno.test("check() weights the previous window by its remaining overlap", () => {
  const rl = new RateLimiter({ requests: 10, windowSeconds: 60 });
  for (let i = 0; i < 10; i++) assert.equal(rl.check("k", T0 + i).allowed, true);
  assert.equal(rl.check("k", T0 + 30_000).allowed, false);
  // Right after the edge the previous window still weighs ~10: no 2x burst.
  assert.equal(rl.check("k", T0 + 60_000).allowed, false);
  // A quarter into the next window: estimate 10 × 0.75 = 7.5, so two requests fit (8.5, 9.5).
  const at = T0 + 75_000;
  assert.equal(rl.check("k", at).allowed, true);
  const second = rl.check("k", at);
  assert.equal(second.allowed, true);
  assert.equal(second.remaining, 0);
  assert.equal(rl.check("k", at).allowed, false);
  // Two windows later the old counts are gone entirely.
  const later = T0 + 180_000;
  const d = rl.check("k", later);
  assert.equal(d.allowed, true);
  assert.equal(d.remaining, 9);
});

Deno.test("check() refusals are not counted and Retry-After is honest", () => {
  const rl = new RateLimiter({ requests: 5, windowSeconds: 60 });
  for (let i = 0; i < 5; i++) rl.check("k", T0 + 10_000);
  let denied = rl.check("k", T0 + 20_000);
  for (let i = 0; i < 100; i++) denied = rl.check("k", T0 + 20_000);
  assert.equal(denied.allowed, false);
  // Next window starts at +60 s; 5 × (1 − f) ≤ 4 needs f ≥ 0.2, i.e. +72 s: 52 s from +20 s.
  assert.equal(denied.retryAfterSeconds, 52);
  const retryAt = T0 + 20_000 + denied.retryAfterSeconds * 1000;
  assert.equal(rl.check("k", retryAt - 1000).allowed, false);
  assert.equal(rl.check("k", retryAt).allowed, true);
});

Deno.test("check() Retry-After within a window waits for the previous window to decay", () => {
  const rl = new RateLimiter({ requests: 4, windowSeconds: 100 });
  for (let i = 0; i < 4; i++) rl.check("k", T0 + 80_000 + i);
  // At +110 s: estimate 4 × 0.9 = 3.6, 3.6 + 1 > 4: refused.
  const d = rl.check("k", T0 + 110_000);
  assert.equal(d.allowed, false);
  // Needs 4 × (1 − f) ≤ 3, f ≥ 0.25: at +125 s, 15 s later.
  assert.equal(d.retryAfterSeconds, 15);
  assert.equal(rl.check("k", T0 + 124_000).allowed, false);
  assert.equal(rl.check("k", T0 + 125_000).allowed, true);
});

Deno.test("check() applies a per-call override and resets a key whose window changes", () => {
  const rl = new RateLimiter({ requests: 1, windowSeconds: 60 });
  const big = { requests: 3, windowSeconds: 60 };
  assert.deepEqual([1, 2, 3, 4].map(() => rl.check("user:alice", T0, big).allowed), [
    true,
    true,
    true,
    false,
  ]);
  assert.equal(rl.check("user:alice", T0, big).limit, 3);
  const other = { requests: 2, windowSeconds: 10 };
  assert.equal(rl.check("user:alice", T0, other).allowed, true);
  assert.throws(() => rl.check("x", T0, { requests: -1, windowSeconds: 1 }), /non-negative/);
});

Deno.test("check() with a zero limit always refuses with a one-window Retry-After", () => {
  const rl = new RateLimiter({ requests: 0, windowSeconds: 30 });
  const d = rl.check("k", T0);
  assert.equal(d.allowed, false);
  assert.equal(d.retryAfterSeconds, 30);
});

Deno.test("RateLimiter rejects invalid options", () => {
  assert.throws(() => new RateLimiter({ requests: 1.5, windowSeconds: 1 }));
  assert.throws(() => new RateLimiter({ requests: 1, windowSeconds: 0 }));
  assert.throws(() => new RateLimiter({ requests: 1, windowSeconds: 1, maxKeys: 0 }));
});

Deno.test("RateLimiter memory stays within maxKeys over 100 000 distinct keys", () => {
  const rl = new RateLimiter({ requests: 5, windowSeconds: 60, maxKeys: 1000 });
  for (let i = 0; i < 100_000; i++) {
    rl.check(`addr:${i}`, T0 + i);
    assert.ok(rl.size <= 1000);
  }
  assert.equal(rl.size, 1000);
  const def = new RateLimiter({ requests: 5, windowSeconds: 60 });
  for (let i = 0; i < 100_000; i++) def.check(`addr:${i}`, T0);
  assert.equal(def.size, 10_000);
});

Deno.test("RateLimiter evicts the least recently used key, refreshed on touch", () => {
  const rl = new RateLimiter({ requests: 1, windowSeconds: 60, maxKeys: 2 });
  rl.check("a", T0);
  rl.check("b", T0);
  rl.check("a", T0); // refresh "a": now "b" is the oldest
  rl.check("c", T0); // evicts "b"
  assert.equal(rl.check("a", T0).allowed, false, "a was kept, its count too");
  assert.equal(rl.check("b", T0).allowed, true, "b was evicted and starts afresh");
});

Deno.test("rateLimitHeaders() sets RateLimit-* and Retry-After only when refused", () => {
  const rl = new RateLimiter({ requests: 1, windowSeconds: 60 });
  const ok = rateLimitHeaders(rl.check("k", T0 + 15_000));
  assert.deepEqual(ok, {
    "RateLimit-Limit": "1",
    "RateLimit-Remaining": "0",
    "RateLimit-Reset": "105",
  });
  const no = rateLimitHeaders(rl.check("k", T0 + 15_000));
  assert.equal(no["RateLimit-Remaining"], "0");
  // With a limit of 1 the previous window's single request weighs until its very end: +120 s.
  assert.equal(no["Retry-After"], "105");
  assert.equal(rl.check("k", T0 + 119_000).allowed, false);
  assert.equal(rl.check("k", T0 + 120_000).allowed, true);
});
