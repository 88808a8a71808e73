/**
 * Concurrent refreshes of one refresh token (issue 19 finding 10, issue 20 finding 1), written
 * once and run on SQLite (tests/integration/refresh_rotation_test.ts: one connection, and two
 * connections to one file as two workers have) and on PostgreSQL (tests/e2e: two pools).
 *
 * Each trial logs a user in, then fires 10 refreshes of its refresh token at once, spread over
 * the instances. The family must have exactly one outcome:
 * - with the retry window (`accounts.refresh_reuse_seconds` 30): every refresh succeeds with
 *   the same successor, and that successor works;
 * - without it (0): exactly one succeeds, the others are reuse, the family is revoked, and the
 *   winner's successor is revoked with it (before the fix it stayed valid in 5 of 20 trials).
 */

import assert from "node:assert/strict";
import { AccountService } from "../../src/accounts/service.ts";
import { KeypebbleError } from "../../src/errors.ts";
import type { Store } from "../../src/store/mod.ts";
import { TEST_ACCOUNTS } from "./accounts.ts";

/** Run `trials` trials over services built on `stores` (one per worker or instance). */
export async function concurrentRefreshTrials(
  stores: readonly Store[],
  options: { window: number; trials: number; prefix: string },
): Promise<void> {
  const services = stores.map((store) =>
    new AccountService({
      store,
      config: { ...TEST_ACCOUNTS, refreshReuseSeconds: options.window },
      hashIterations: 1000,
    })
  );
  for (let trial = 0; trial < options.trials; trial++) {
    const user = await services[0].create({
      email: `${options.prefix}-${trial}@example.com`,
      password: "correct-horse-9",
    });
    const { raw, record } = await services[0].issueRefresh(user);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => services[i % services.length].rotate(raw)),
    );
    const won = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
    const lost = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    for (const e of lost) {
      assert.ok(e instanceof KeypebbleError && e.code === "invalid_grant", String(e));
    }
    const successors = new Set(won.map((w) => w.refreshToken));
    const family = record.familyId;
    if (options.window > 0) {
      assert.equal(won.length, 10, `trial ${trial}: ${lost.map(String).join("; ")}`);
      assert.equal(successors.size, 1, `trial ${trial}: one successor for every retry`);
      const next = await services[1 % services.length].rotate([...successors][0]);
      assert.equal(next.record.familyId, family);
    } else {
      assert.equal(won.length, 1, `trial ${trial}: exactly one refresh wins`);
      assert.equal(lost.length, 9);
      // The family is revoked, the winner's successor included: it must not refresh.
      await assert.rejects(
        () => services[0].rotate(won[0].refreshToken),
        (e: unknown) => e instanceof KeypebbleError && e.code === "invalid_grant",
        `trial ${trial}: the winner's successor survived the family's revocation`,
      );
      const rec = await stores[0].refreshTokens.byHash(won[0].record.hash);
      assert.notEqual(rec?.revokedAt, null, `trial ${trial}: successor not revoked`);
    }
  }
}
