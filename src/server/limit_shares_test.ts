import assert from "node:assert/strict";
import { shareLimits, shareOf } from "./limit_shares.ts";
import type { Runtime } from "../runtime/mod.ts";

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
});

Deno.test("route limits (limits.routes) are shared among workers, calls and lock_after alike", () => {
  const rt = {
    config: {
      rateLimit: {},
      lockout: { enabled: true, maxFailures: 20, windowSeconds: 300, lockSeconds: 900 },
      limits: {
        routes: {
          login: { requests: 10, windowSeconds: 60, lockAfter: 4, lockSeconds: 600 },
          search: { requests: 1, windowSeconds: 10, lockSeconds: 900 },
        },
      },
    },
  } as unknown as Runtime;
  const shared = shareLimits(rt, 2).config.limits.routes;
  assert.deepEqual(shared.login, {
    requests: 5,
    windowSeconds: 60,
    lockAfter: 2,
    lockSeconds: 600,
  });
  assert.deepEqual(shared.search, { requests: 1, windowSeconds: 10, lockSeconds: 900 });
  assert.equal(shareLimits(rt, 1), rt);
});
