/**
 * The store's reliability findings on a real PostgreSQL 15 (issue 20):
 * - 10 concurrent refreshes of one token over two pools (two instances): one outcome per family
 *   (tests/helpers/rotation.ts), with and without the retry window;
 * - a NUL character in an unauthenticated login, a password grant or an admin path answers 400
 *   `invalid_request`, never 500 (PostgreSQL cannot store NUL in text).
 */

import assert from "node:assert/strict";
import { openStore, type Store } from "../../src/store/mod.ts";
import { makeAccountInstance } from "../helpers/accounts.ts";
import { concurrentRefreshTrials } from "../helpers/rotation.ts";
import { type Postgres, removePostgres, startPostgres } from "./fleet_helpers.ts";

let pg: Postgres | undefined;
let n = 0;

async function freshDb(): Promise<string> {
  pg ??= await startPostgres();
  return await pg.createDb(`rot_${++n}`);
}

const opts = { sanitizeResources: false, sanitizeOps: false };

for (const window of [30, 0]) {
  Deno.test({
    name: `postgres: 10 concurrent refreshes of one token over two pools, window ${window}: ` +
      "one outcome per family, the winner's successor never outlives a revoked family",
    ...opts,
    fn: async () => {
      const url = await freshDb();
      const stores: Store[] = [
        await openStore(url, { now: 1 }),
        await openStore(url, { now: 1 }),
      ];
      try {
        await concurrentRefreshTrials(stores, { window, trials: 20, prefix: `pg${window}` });
      } finally {
        for (const s of stores) await s.close();
      }
    },
  });
}

Deno.test({
  name: "postgres: NUL in a login, a password grant or an admin path is a 400, never a 500",
  ...opts,
  fn: async () => {
    const kp = await makeAccountInstance({ storeUrl: await freshDb() });
    try {
      const login = await kp.postJson("/api/v1/auth/login", {
        email: "a\u0000@example.com",
        password: "whatever-123",
      });
      assert.equal(login.status, 400, await login.clone().text());
      assert.equal((await login.json()).error, "invalid_request");
      const grant = await kp.fetch("/oauth2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=password&username=a%00b&password=whatever-123",
      });
      assert.ok(grant.status === 400, `password grant: ${grant.status} ${await grant.text()}`);
      const admin = await kp.user("root@example.com", { role: "superadmin" });
      for (const path of ["/api/v1/auth/users/a%00b", "/api/v1/groups/a%00b"]) {
        const r = await kp.fetch(path, { headers: { authorization: `Bearer ${admin.access}` } });
        assert.ok(r.status < 500, `${path}: ${r.status} ${await r.text()}`);
        assert.notEqual(r.status, 200);
      }
      await kp.svc.createOrg("acme");
      const key = await kp.svc.createKey({
        orgName: "acme",
        label: "ops",
        scopes: ["admin"],
        reach: "all",
      });
      for (const path of ["/admin/keys/a%00b", "/admin/orgs/a%00b/suspend"]) {
        const r = await kp.fetch(path, {
          method: path.endsWith("suspend") ? "POST" : "GET",
          headers: { authorization: `Bearer ${key.raw}` },
        });
        assert.equal(r.status, 400, `${path}: ${r.status} ${await r.clone().text()}`);
        assert.equal((await r.json()).error, "invalid_request");
      }
    } finally {
      await kp.close();
    }
  },
});

Deno.test({
  name: "postgres: stop the cluster",
  ...opts,
  fn: async () => {
    if (pg !== undefined) await removePostgres(pg);
  },
});
