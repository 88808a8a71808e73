/**
 * The sign-in query suite of `src/store/oidc_suite.ts` (the one SQLite runs in `deno task test`)
 * against a real PostgreSQL 15, where concurrent redemptions of one code really race.
 */

import { openStore, type Store } from "../../src/store/mod.ts";
import { oidcSuite } from "../../src/store/oidc_suite.ts";
import { type Postgres, removePostgres, startPostgres } from "./fleet_helpers.ts";

let pg: Postgres | undefined;
let n = 0;

async function freshStore(): Promise<Store> {
  pg ??= await startPostgres();
  const url = await pg.createDb(`oidc_${++n}`);
  return await openStore(url, { now: 1 });
}

oidcSuite("postgres", freshStore, { sanitizeResources: false, sanitizeOps: false });

Deno.test({
  name: "store (postgres): stop the cluster",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (pg !== undefined) await removePostgres(pg);
  },
});
