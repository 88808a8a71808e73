/**
 * Both imports into a PostgreSQL store (issue 22): the upserts, bookkeeping, the first-request
 * lookup by an imported hash and the move to ours, and a re-run, on a real PostgreSQL. The
 * sources are the hand-built SQLite databases of the unit tests.
 */

import assert from "node:assert/strict";
import { AccountService } from "../../src/accounts/service.ts";
import { ApiKeyService } from "../../src/apikeys/service.ts";
import { importKeyguard, importPicoAuth } from "../../src/import/mod.ts";
import { KeyguardDb, PicoAuthDb } from "../../src/import/sample_dbs.ts";
import { openDenoSqlite } from "../../src/platform/sqlite_deno.ts";
import { openStore } from "../../src/store/mod.ts";
import { readKeyguard } from "../../src/store/sources/keyguard.ts";
import { openSourceDb } from "../../src/store/sources/open.ts";
import { readPicoAuth } from "../../src/store/sources/pico_auth.ts";
import { startPostgres } from "../helpers/postgres.ts";

const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);

Deno.test({
  name: "import into a PostgreSQL store: keyguard keys and pico-auth accounts, twice",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pg = await startPostgres();
    const dir = await Deno.makeTempDir();
    const store = await openStore(pg.url, { now: 1 });
    try {
      const kg = new KeyguardDb(`${dir}/kg.db`, "s3cret");
      const org = kg.org("Acme Corp");
      const key = await kg.key(org, { scopes: ["read"] });
      kg.use(key.id, "2026-06-10 11:00:00");
      kg.close();
      const pa = new PicoAuthDb(`${dir}/pa.db`);
      const alice = pa.user("alice@example.com");
      const g = pa.group("devs");
      pa.member(g, alice);
      const refresh = await pa.refresh(alice, "2999-01-01T00:00:00+00:00");
      const svc = await pa.serviceToken("ci-bot");
      pa.close();

      const run = async () => {
        const k = await openSourceDb(`${dir}/kg.db`, { sqlite: openDenoSqlite });
        const p = await openSourceDb(`${dir}/pa.db`, { sqlite: openDenoSqlite });
        try {
          return [
            await importKeyguard({
              store,
              data: await readKeyguard(k.db),
              from: k.source,
              dryRun: false,
              now: NOW / 1000,
            }),
            await importPicoAuth({
              store,
              data: await readPicoAuth(p.db),
              from: p.source,
              dryRun: false,
              now: NOW / 1000,
            }),
          ];
        } finally {
          await k.db.close();
          await p.db.close();
        }
      };
      const [k1, p1] = await run();
      assert.equal(k1.counts.keys.created, 1);
      assert.equal(k1.counts.usage_minutes.created, 1);
      assert.equal(p1.counts.users.created, 1);
      assert.equal(p1.counts.refresh_tokens.created, 1);

      const keys = new ApiKeyService({
        store,
        pepper: new TextEncoder().encode("p".repeat(40)),
        config: {
          url: pg.url,
          pepperPath: "/x",
          cacheSeconds: 5,
          keyPrefix: "kp_live_",
          acceptedPrefixes: ["kp_live_"],
          tokenTtlSeconds: 900,
        },
        now: () => NOW,
        keyguardSecret: new TextEncoder().encode("s3cret"),
      });
      assert.equal((await keys.check(key.raw)).ok, true);
      assert.equal((await keys.check(svc.raw)).ok, true);
      assert.equal((await store.apiKeys.byId(key.id))?.hashScheme, "hmac");
      const accounts = new AccountService({
        store,
        config: {
          registration: "off",
          passwordMinLength: 8,
          adminEmail: "admin@example.test",
          defaultOrg: "default",
          accessTtlSeconds: 900,
          refreshTtlSeconds: 86_400,
        },
        now: () => NOW,
        hashIterations: 1000,
      });
      assert.ok(await accounts.checkPassword({ email: "alice@example.com" }, "alice-password-1"));
      assert.equal((await accounts.rotate(refresh.raw)).user.id, alice);

      const [k2, p2] = await run();
      assert.equal(k2.counts.keys.unchanged, 1);
      assert.equal(k2.counts.usage_minutes.unchanged, 1);
      assert.equal(p2.counts.users.unchanged, 1);
      assert.equal(p2.counts.members.unchanged, 1);
      assert.equal((await store.apiKeys.byId(key.id))?.hashScheme, "hmac");
      assert.equal((await keys.check(key.raw)).ok, true);
    } finally {
      await store.close();
      await pg.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
