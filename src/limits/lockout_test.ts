import assert from "node:assert/strict";
import { Lockout } from "./lockout.ts";

const T0 = 1_700_000_000_000;

Deno.test("Lockout locks on the maxFailures-th failure inside the window", () => {
  const lo = new Lockout({ maxFailures: 3, windowSeconds: 60, lockSeconds: 120 });
  assert.deepEqual(lo.recordFailure("user:alice", T0), { lockedNow: false });
  assert.deepEqual(lo.recordFailure("user:alice", T0 + 1000), { lockedNow: false });
  assert.deepEqual(lo.isLocked("user:alice", T0 + 1000), { locked: false, retryAfterSeconds: 0 });
  assert.deepEqual(lo.recordFailure("user:alice", T0 + 2000), { lockedNow: true });
  assert.deepEqual(lo.isLocked("user:alice", T0 + 2000), { locked: true, retryAfterSeconds: 120 });
  assert.deepEqual(lo.isLocked("user:alice", T0 + 61_500), { locked: true, retryAfterSeconds: 61 });
  assert.equal(lo.isLocked("user:bob", T0 + 2000).locked, false);
});

Deno.test("Lockout unlocks when lockSeconds have passed and starts the count afresh", () => {
  const lo = new Lockout({ maxFailures: 2, windowSeconds: 60, lockSeconds: 100 });
  lo.recordFailure("k", T0);
  lo.recordFailure("k", T0);
  assert.equal(lo.isLocked("k", T0 + 99_999).locked, true);
  assert.equal(lo.isLocked("k", T0 + 99_999).retryAfterSeconds, 1);
  assert.deepEqual(lo.isLocked("k", T0 + 100_000), { locked: false, retryAfterSeconds: 0 });
  assert.deepEqual(lo.recordFailure("k", T0 + 100_000), { lockedNow: false });
  assert.deepEqual(lo.recordFailure("k", T0 + 100_001), { lockedNow: true });
});

Deno.test("Lockout forgets failures older than the window", () => {
  const lo = new Lockout({ maxFailures: 3, windowSeconds: 60, lockSeconds: 100 });
  lo.recordFailure("k", T0);
  lo.recordFailure("k", T0 + 59_000);
  // Window opened at T0; at +60 s it has closed and the count restarts at 1.
  assert.deepEqual(lo.recordFailure("k", T0 + 60_000), { lockedNow: false });
  assert.deepEqual(lo.recordFailure("k", T0 + 61_000), { lockedNow: false });
  assert.deepEqual(lo.recordFailure("k", T0 + 62_000), { lockedNow: true });
});

Deno.test("Lockout failures while locked neither extend the lock nor report lockedNow", () => {
  const lo = new Lockout({ maxFailures: 1, windowSeconds: 60, lockSeconds: 10 });
  assert.deepEqual(lo.recordFailure("k", T0), { lockedNow: true });
  assert.deepEqual(lo.recordFailure("k", T0 + 9000), { lockedNow: false });
  assert.equal(lo.isLocked("k", T0 + 10_000).locked, false);
});

Deno.test("recordSuccess() clears failures but never lifts an active lock", () => {
  const lo = new Lockout({ maxFailures: 2, windowSeconds: 60, lockSeconds: 30 });
  lo.recordFailure("k", T0);
  lo.recordSuccess("k");
  assert.deepEqual(lo.recordFailure("k", T0 + 1), { lockedNow: false });
  assert.deepEqual(lo.recordFailure("k", T0 + 2), { lockedNow: true });
  lo.recordSuccess("k");
  assert.equal(lo.isLocked("k", T0 + 3).locked, true);
});

Deno.test("Lockout defaults are 20 failures, 300 s window, 900 s lock", () => {
  const lo = new Lockout();
  assert.equal(lo.maxFailures, 20);
  assert.equal(lo.windowSeconds, 300);
  assert.equal(lo.lockSeconds, 900);
  for (let i = 0; i < 19; i++) assert.equal(lo.recordFailure("k", T0 + i).lockedNow, false);
  assert.equal(lo.recordFailure("k", T0 + 19).lockedNow, true);
  assert.equal(lo.isLocked("k", T0 + 19).retryAfterSeconds, 900);
  assert.throws(() => new Lockout({ maxFailures: 0 }));
  assert.throws(() => new Lockout({ lockSeconds: -1 }));
});

Deno.test("Lockout memory stays within maxKeys over 100 000 distinct keys", () => {
  const lo = new Lockout({ maxFailures: 3, maxKeys: 500 });
  for (let i = 0; i < 100_000; i++) {
    lo.recordFailure(`addr:${i}`, T0 + i);
    assert.ok(lo.size <= 500);
  }
  assert.equal(lo.size, 500);
});

Deno.test("Lockout evicts unlocked entries before live locks", () => {
  const lo = new Lockout({ maxFailures: 2, windowSeconds: 600, lockSeconds: 600, maxKeys: 10 });
  lo.recordFailure("user:victim-attacker", T0);
  lo.recordFailure("user:victim-attacker", T0);
  assert.equal(lo.isLocked("user:victim-attacker", T0).locked, true);
  // A flood of one-failure keys must not push the lock out.
  for (let i = 0; i < 10_000; i++) lo.recordFailure(`addr:${i}`, T0 + 1);
  assert.equal(lo.size, 10);
  assert.equal(lo.isLocked("user:victim-attacker", T0 + 2).locked, true);
});

Deno.test("Lockout drops expired locks first, and the oldest lock only when all are locked", () => {
  const lo = new Lockout({ maxFailures: 1, windowSeconds: 60, lockSeconds: 100, maxKeys: 3 });
  lo.recordFailure("a", T0);
  lo.recordFailure("b", T0 + 1);
  lo.recordFailure("c", T0 + 2);
  // Table full of live locks: a fourth lock evicts the oldest one ("a").
  lo.recordFailure("d", T0 + 3);
  assert.equal(lo.size, 3);
  assert.equal(lo.isLocked("a", T0 + 4).locked, false);
  assert.equal(lo.isLocked("b", T0 + 4).locked, true);
  // Once "b", "c" and "d" have expired, new failures reuse their slots.
  const later = T0 + 200_000;
  lo.recordFailure("e", later);
  assert.equal(lo.size, 1);
});
