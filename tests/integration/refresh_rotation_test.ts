/**
 * Concurrent refreshes of one token on SQLite: one connection (one worker), and two connections
 * to one file (two workers of `serve --workers 2`); see tests/helpers/rotation.ts. The same
 * trials run on PostgreSQL in tests/e2e/refresh_rotation_postgres_test.ts.
 */

import assert from "node:assert/strict";
import { AccountService } from "../../src/accounts/service.ts";
import { KeypebbleError } from "../../src/errors.ts";
import { openDenoSqlite } from "../../src/platform/sqlite_deno.ts";
import { openStore, type Store } from "../../src/store/mod.ts";
import { TEST_ACCOUNTS } from "../helpers/accounts.ts";
import { concurrentRefreshTrials } from "../helpers/rotation.ts";

async function withStores(n: number, fn: (stores: Store[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const stores: Store[] = [];
  try {
    for (let i = 0; i < n; i++) {
      stores.push(await openStore(`sqlite:${dir}/kp.db`, { sqlite: openDenoSqlite, now: 1 }));
    }
    await fn(stores);
  } finally {
    for (const s of stores) await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

for (const workers of [1, 2]) {
  Deno.test(`10 concurrent refreshes of one token, SQLite with ${workers} connection(s), retry window on: all get the same successor`, async () => {
    await withStores(
      workers,
      (stores) => concurrentRefreshTrials(stores, { window: 30, trials: 10, prefix: "w" }),
    );
  });
  Deno.test(`10 concurrent refreshes of one token, SQLite with ${workers} connection(s), window off: one wins, the family and the winner's successor are revoked`, async () => {
    await withStores(
      workers,
      (stores) => concurrentRefreshTrials(stores, { window: 0, trials: 20, prefix: "n" }),
    );
  });
}

Deno.test("a refresh that fails half-way (the store fails while issuing the successor) leaves the token usable: the retry rotates", async () => {
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    let armed = false;
    const flaky = (s: Store): Store => ({
      ...s,
      refreshTokens: {
        ...s.refreshTokens,
        insert: (t) => {
          if (!armed) return s.refreshTokens.insert(t);
          armed = false;
          return Promise.reject(new KeypebbleError("store_unavailable", "disk full"));
        },
      },
      transaction: (fn) => s.transaction((tx) => fn(flaky(tx))),
    });
    const svc = new AccountService({
      store: flaky(store),
      config: { ...TEST_ACCOUNTS, refreshReuseSeconds: 0 },
      hashIterations: 1000,
    });
    const user = await svc.create({ email: "d@example.com", password: "correct-horse-9" });
    const { raw } = await svc.issueRefresh(user);
    armed = true;
    await assert.rejects(
      () => svc.rotate(raw),
      (e: unknown) => e instanceof KeypebbleError && e.code === "store_unavailable",
    );
    // Nothing of the failed rotation stayed: the token is unused, and the client's retry works.
    const next = await svc.rotate(raw);
    assert.match(next.refreshToken, /^kprt_/);
    assert.equal((await store.refreshTokens.byHash(next.record.hash))?.revokedAt, null);
  } finally {
    await store.close();
  }
});
