import assert from "node:assert/strict";
import { shareOf } from "./limit_shares.ts";

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
