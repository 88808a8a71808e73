/**
 * 10 concurrent refreshes of one account refresh token against a real `serve --workers 2` on
 * SQLite (two connections to one file, fresh connections so both workers answer): with the
 * retry window every refresh gets the same successor, and that successor works (issue 20,
 * finding 1; the store-level trials are in tests/integration/refresh_rotation_test.ts).
 */

import assert from "node:assert/strict";
import { serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";

Deno.test({
  name: "serve --workers 2: 10 concurrent refreshes of one token get one and the same successor",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture('store: {url: "sqlite:kp.db"}', "accounts: {}\n");
    const s = await serveTwoWorkers(dir, { KEYPEBBLE_ADMIN_PASSWORD: "two-workers-admin" });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${s.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", connection: "close" },
          body: JSON.stringify(body),
        });
      const login = await (await post("/api/v1/auth/login", {
        username: "admin",
        password: "two-workers-admin",
      })).json();
      const answers = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const r = await post("/api/v1/auth/refresh", { refresh_token: login.refresh_token });
          return { status: r.status, body: await r.json() };
        }),
      );
      assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
      const successors = new Set(answers.map((a) => a.body.refresh_token));
      assert.equal(successors.size, 1, "one successor for every retry");
      const next = await post("/api/v1/auth/refresh", { refresh_token: [...successors][0] });
      assert.equal(next.status, 200);
      await next.body?.cancel();
    } finally {
      assert.equal(await s.stop(), 0, s.lines.join("\n"));
      await Deno.remove(dir, { recursive: true });
    }
  },
});
