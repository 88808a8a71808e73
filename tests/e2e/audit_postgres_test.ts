/**
 * The audit trail end to end (issue 20): a real `serve --workers 2` on a real PostgreSQL store,
 * driven over HTTP and by the CLI. Every change and every token (admin API, accounts, client
 * credentials, anonymous /auth, the CLI) is an `"event":"audit"` line and a row; GET /admin/audit
 * shows them within a second whichever worker wrote them, an org admin its organisation's only;
 * old events are purged in the background; a SIGTERM writes what is queued; `keypebble audit`
 * reads the same rows; no event holds a token or a key.
 */

import assert from "node:assert/strict";
import { openStore } from "../../src/store/mod.ts";
import { runKeypebble } from "../helpers/process.ts";
import { serveTwoWorkers, storeFixture } from "../helpers/workers_store.ts";
import { removePostgres, startPostgres } from "./fleet_helpers.ts";

type Ev = Record<string, unknown>;
const ENV = { USER: "ops-alice" };
const DAY = 86_400_000;

function jtiOf(token: string): string {
  const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(p + "=".repeat((4 - p.length % 4) % 4))).jti;
}

Deno.test({
  name: "audit on PostgreSQL with two workers: events of the API, tokens and the CLI, org reach, " +
    "background purge, flush at SIGTERM, keypebble audit",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const pg = await startPostgres();
  let dir = "";
  try {
    const url = await pg.createDb("audit");
    dir = await storeFixture(
      `store: {url: "${url}", cache_seconds: 1, audit_retention_days: 30}`,
      "accounts: {}\n",
    );
    const config = `${dir}/kp.yaml`;
    const cli = async (args: string[]) => {
      const r = await runKeypebble([...args, "--config", config], { env: ENV, cwd: dir });
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    await cli(["store", "init"]);
    await cli(["org", "create", "ops"]);
    const root = JSON.parse(
      (await cli([
        "key",
        "create",
        "--org",
        "ops",
        "--label",
        "root",
        "--scope",
        "admin",
        "--reach",
        "all",
        "--json",
      ])).stdout,
    );
    // An event from long ago: the server's writer purges it in the background.
    const seed = await openStore(url, { now: 1, schema: "check" });
    await seed.audit.add([{
      id: "00000000-0000-4000-8000-000000000001",
      at: Date.now() - 40 * DAY,
      action: "org.created",
      outcome: "success",
      actorKind: "cli",
      actor: "old",
      target: "ancient",
      org: null,
      client: null,
      kind: null,
      jti: null,
      details: {},
    }]);
    await seed.close();

    const s = await serveTwoWorkers(dir, { KEYPEBBLE_ADMIN_PASSWORD: "a-long-admin-password-1" });
    const secrets: string[] = [root.key, "a-long-admin-password-1"];
    const jtis: string[] = [];
    try {
      const admin: Record<string, string> = {
        "x-admin-key": root.key,
        "content-type": "application/json",
      };
      const post = async (path: string, body: unknown, headers: Record<string, string> = admin) => {
        const r = await fetch(`${s.url}${path}`, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
        });
        const j = await r.json();
        assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(j)}`);
        return j;
      };
      await post("/admin/orgs", { name: "acme" });
      const ci = await post("/admin/keys", { org_name: "acme", label: "ci", scopes: ["read"] });
      secrets.push(ci.raw_key);
      const cc = await (await fetch(`${s.url}/oauth2/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${btoa(`${ci.id}:${ci.raw_key}`)}`,
        },
        body: "grant_type=client_credentials&scope=read",
      })).json();
      secrets.push(cc.access_token);
      jtis.push(jtiOf(cc.access_token));
      const auth = await post("/auth", { sub: "edge-1" }, { "content-type": "application/json" });
      secrets.push(auth.token);
      jtis.push(jtiOf(auth.token));
      const login = await post("/api/v1/auth/login", {
        email: "admin@localhost",
        password: "a-long-admin-password-1",
      }, { "content-type": "application/json" });
      secrets.push(login.access_token, login.refresh_token);
      jtis.push(jtiOf(login.access_token));
      const superadmin = {
        authorization: `Bearer ${login.access_token}`,
        "content-type": "application/json",
      };
      const oa = await post("/api/v1/auth/users", {
        email: "oa@example.com",
        password: "Org-admin-pass-77",
        role: "org_admin",
        org_id: "acme",
      }, superadmin);
      const oaLogin = await post("/api/v1/auth/login", {
        email: "oa@example.com",
        password: "Org-admin-pass-77",
      }, { "content-type": "application/json" });
      secrets.push(oaLogin.access_token, "Org-admin-pass-77");

      const next = async (
        query: string,
        headers: Record<string, string> = { "x-admin-key": root.key },
      ): Promise<Ev[]> => {
        // A fresh connection each time: either worker may answer.
        const r = await fetch(`${s.url}/admin/audit${query}`, {
          headers: { ...headers, connection: "close" },
        });
        assert.equal(r.status, 200);
        return (await r.json()).events;
      };
      // Within a second or so, whichever worker wrote them.
      let events: Ev[] = [];
      for (let i = 0; i < 50; i++) {
        events = await next("?limit=1000");
        const have = new Set(events.map((e) => e.jti));
        if (jtis.every((j) => have.has(j)) && !events.some((e) => e.target === "ancient")) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const j of jtis) assert.ok(events.some((e) => e.jti === j), `token ${j} is stored`);
      assert.ok(!events.some((e) => e.target === "ancient"), "the 40-day-old event was purged");
      const find = (action: string, target?: string) =>
        events.find((e) => e.action === action && (target === undefined || e.target === target));
      assert.equal(find("org.created", "acme")?.actor, root.id);
      assert.equal(find("key.created", ci.id)?.org, "acme");
      assert.equal(find("account.created", oa.id)?.actor_kind, "account");
      assert.equal(find("key.created", root.id)?.actor, "ops-alice", "the CLI's event");
      assert.equal(events.find((e) => e.jti === jtiOf(cc.access_token))?.actor, ci.id);

      // The org admin reads acme's events only.
      const mine = await next("?limit=1000", { authorization: `Bearer ${oaLogin.access_token}` });
      assert.ok(mine.length >= 4, JSON.stringify(mine));
      assert.ok(mine.every((e) => e.org === "acme"));
      assert.ok(mine.some((e) => e.jti === jtiOf(cc.access_token)));

      // The log stream has each of them as an "event":"audit" line.
      const lines = s.lines.filter((l) => l.includes('"event":"audit"')).map((l) => JSON.parse(l));
      for (const j of jtis) assert.ok(lines.some((l) => l.jti === j), `log line for ${j}`);
      // A change answered just before SIGTERM: the shutdown writes what is still queued.
      await post("/admin/orgs", { name: "late" });
    } finally {
      assert.equal(await s.stop(), 0, s.lines.join("\n"));
    }
    // After the stop, the CLI reads the same rows from the store.
    const all = JSON.parse((await cli(["audit", "--limit", "1000", "--json"])).stdout).events;
    for (const j of jtis) assert.ok(all.some((e: Ev) => e.jti === j));
    assert.ok(all.some((e: Ev) => e.action === "org.created" && e.target === "late"));
    assert.ok(all.some((e: Ev) => e.action === "store.initialized" && e.actor === "ops-alice"));
    const text = JSON.stringify(all) + s.lines.join("\n");
    for (const secret of secrets) assert.ok(!text.includes(secret), "no secret in any event");
    // A filter on the CLI, as a table.
    const keys = await cli(["audit", "--action", "key.*"]);
    assert.match(keys.stdout, /key\.created\s+success\s+cli:ops-alice/);
    assert.match(keys.stdout, /key\.created\s+success\s+api_key:/);
  } finally {
    if (dir !== "") await Deno.remove(dir, { recursive: true });
    await removePostgres(pg);
  }
});
