import assert from "node:assert/strict";
import { parseConfig } from "../config/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import { shareLimits, shareOf } from "./limit_shares.ts";

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

Deno.test("shareLimits() keeps the configured total beside each worker's share (for headers)", () => {
  const config = parseConfig(
    'issuer: kp\nhs256_secret: "0123456789abcdef0123456789abcdef"\n' +
      "rate_limit: { per_address: { requests: 600 }, per_principal: { requests: 7 } }\n",
    "kp.yaml",
  );
  const rt = { config } as unknown as Runtime;
  assert.equal(shareLimits(rt, 1), rt);
  const two = shareLimits(rt, 2).config.rateLimit;
  assert.deepEqual(two.perAddress, { requests: 300, windowSeconds: 60, configured: 600 });
  assert.deepEqual(two.perPrincipal, { requests: 3, windowSeconds: 60, configured: 7 });
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
