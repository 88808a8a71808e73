/**
 * Moving a site from SQLite to PostgreSQL and back with `keypebble store export` and
 * `store import` (issue 20), on a real PostgreSQL 15:
 *
 * - the transfer suite (src/store/transfer_suite.ts) on PostgreSQL;
 * - a round trip SQLite → PostgreSQL → SQLite of a site that served: organisations (one
 *   suspended), API keys (hashes), usage counters, a block, accounts (the bootstrap admin and a
 *   created one), a group and its member, refresh families (one rotated, with its sealed
 *   successor), a revoked access token, the settings (the pepper's fingerprint, the
 *   registration switch). Every row comes back identical, and on each engine the keys still
 *   work, the admin still logs in, the refresh token issued on SQLite still refreshes, and the
 *   revoked token stays revoked;
 * - `store backup` of PostgreSQL (the export) and `store restore` of it.
 */

import assert from "node:assert/strict";
import { openStore, type Store } from "../../src/store/mod.ts";
import { transferSuite } from "../../src/store/transfer_suite.ts";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { type Postgres, removePostgres, startPostgres } from "./fleet_helpers.ts";

let pg: Postgres | undefined;
let n = 0;

async function freshUrl(): Promise<string> {
  pg ??= await startPostgres();
  return await pg.createDb(`transfer_${++n}`);
}

async function freshStore(): Promise<Store> {
  return await openStore(await freshUrl(), { now: 1 });
}

const opts = { sanitizeResources: false, sanitizeOps: false };

transferSuite("postgres", freshStore, opts);

const ADMIN_PASSWORD = "round-trip-admin-1";

function config(storeUrl: string): string {
  return 'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
    `store: {url: "${storeUrl}", pepper_path: kp.pepper, cache_seconds: 1}\n` +
    "accounts: {registration: open}\n" +
    "rate_limit: {per_address: false, per_principal: false}\n";
}

async function ok(args: string[]): Promise<string> {
  const r = await runKeypebble(args);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The data rows of an export file, sorted (the header's engine and time differ). */
async function rowsOf(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).trimEnd().split("\n").filter((l) =>
    l.startsWith('{"table"')
  ).map((l) => JSON.stringify(JSON.parse(l))).sort();
}

const json = (token?: string) => ({
  "content-type": "application/json",
  ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
});

/** What every engine must still do with the moved data. */
async function stillWorks(
  configPath: string,
  dir: string,
  site: { key: string; suspendedKey: string; refresh: string; revoked: string },
): Promise<void> {
  const s = await startServer(configPath, {
    args: ["--workers", "1"],
    cwd: dir,
    env: { KEYPEBBLE_ADMIN_PASSWORD: "not-used-the-admin-exists" },
  });
  try {
    const fa = async (key: string) => {
      const r = await fetch(`${s.url}/forward-auth`, { headers: { "x-api-key": key } });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await fa(site.key), 200, "the API key works");
    const suspended = await fa(site.suspendedKey);
    assert.ok(suspended === 401 || suspended === 403, `its organisation is still suspended`);
    const login = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: json(),
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    assert.equal(login.status, 200, "the admin logs in with its password");
    const { access_token } = await login.json();
    const groups = await (await fetch(`${s.url}/api/v1/groups`, { headers: json(access_token) }))
      .json();
    assert.deepEqual(JSON.stringify(groups).includes("moved-group"), true);
    const refresh = await fetch(`${s.url}/api/v1/auth/refresh`, {
      method: "POST",
      headers: json(),
      body: JSON.stringify({ refresh_token: site.refresh }),
    });
    assert.equal(refresh.status, 200, "the refresh token issued on SQLite still refreshes");
    await refresh.body?.cancel();
    const me = await fetch(`${s.url}/api/v1/auth/me`, { headers: json(site.revoked) });
    assert.equal(me.status, 401, "the revoked access token stays revoked");
    await me.body?.cancel();
  } finally {
    assert.equal(await s.stop(), 0, s.lines.join("\n"));
  }
}

Deno.test({
  name: "a site moves SQLite → PostgreSQL → SQLite with store export/import: every row comes " +
    "back identical and the keys, logins, refresh tokens and revocations still work",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp-move-" });
    try {
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const [a, b, c] = ["a", "b", "c"].map((x) => `${dir}/${x}.yaml`);
      const pgUrl = await freshUrl();
      await Deno.writeTextFile(a, config("sqlite:a.db"));
      await Deno.writeTextFile(b, config(pgUrl));
      await Deno.writeTextFile(c, config("sqlite:c.db"));

      // --- a site on SQLite, used ------------------------------------------------------------
      await ok(["store", "init", "--config", a]);
      await ok(["org", "create", "--config", a, "acme"]);
      await ok(["org", "create", "--config", a, "beta"]);
      const key = JSON.parse(
        await ok([
          "key",
          "create",
          "--config",
          a,
          "--org",
          "acme",
          "--label",
          "ops",
          "--scope",
          "admin",
          "--rate-limit",
          "600",
          "--json",
        ]),
      ).key as string;
      const suspendedKey = JSON.parse(
        await ok(["key", "create", "--config", a, "--org", "beta", "--label", "b", "--json"]),
      ).key as string;
      await ok(["org", "suspend", "--config", a, "beta"]);
      await ok(["block", "--config", a, "--address", "203.0.113.9", "--seconds", "86400"]);
      const site = { key, suspendedKey, refresh: "", revoked: "" };
      const s = await startServer(a, {
        args: ["--workers", "1"],
        cwd: dir,
        env: { KEYPEBBLE_ADMIN_PASSWORD: ADMIN_PASSWORD },
      });
      try {
        for (let i = 0; i < 5; i++) {
          const r = await fetch(`${s.url}/forward-auth`, { headers: { "x-api-key": key } });
          await r.body?.cancel();
        }
        const login = async () =>
          await (await fetch(`${s.url}/api/v1/auth/login`, {
            method: "POST",
            headers: json(),
            body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
          })).json();
        const first = await login();
        // One rotation (a used token with its sealed successor), whose successor moves on.
        const rotated = await (await fetch(`${s.url}/api/v1/auth/refresh`, {
          method: "POST",
          headers: json(),
          body: JSON.stringify({ refresh_token: first.refresh_token }),
        })).json();
        site.refresh = rotated.refresh_token;
        const user = await (await fetch(`${s.url}/api/v1/auth/register`, {
          method: "POST",
          headers: json(),
          body: JSON.stringify({ email: "dev@example.com", password: "dev-password-1" }),
        })).json();
        const group = await (await fetch(`${s.url}/api/v1/groups`, {
          method: "POST",
          headers: json(first.access_token),
          body: JSON.stringify({ name: "moved-group" }),
        })).json();
        const member = await fetch(`${s.url}/api/v1/groups/${group.id}/members`, {
          method: "POST",
          headers: json(first.access_token),
          body: JSON.stringify({ user_id: user.id ?? user.user?.id }),
        });
        assert.ok(member.status < 300, await member.text());
        const second = await login();
        site.revoked = second.access_token;
        const revoke = await fetch(`${s.url}/oauth2/revoke`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `token=${second.access_token}`,
        });
        assert.equal(revoke.status, 200);
        await revoke.body?.cancel();
      } finally {
        assert.equal(await s.stop(), 0, s.lines.join("\n")); // usage flushed
      }

      // --- SQLite → PostgreSQL → SQLite ------------------------------------------------------
      await ok(["store", "export", "--config", a, "--out", `${dir}/a.jsonl`]);
      const into = JSON.parse(
        await ok(["store", "import", "--config", b, "--from", `${dir}/a.jsonl`, "--json"]),
      );
      for (
        const t of [
          "orgs",
          "api_keys",
          "usage_minutes",
          "blocks",
          "users",
          "refresh_tokens",
          "revoked_jtis",
          "account_groups",
          "account_group_members",
          "settings",
        ]
      ) {
        assert.ok(into.rows[t] > 0, `table ${t} moved (${JSON.stringify(into.rows)})`);
      }
      await ok(["store", "export", "--config", b, "--out", `${dir}/b.jsonl`]);
      assert.deepEqual(await rowsOf(`${dir}/b.jsonl`), await rowsOf(`${dir}/a.jsonl`));
      await ok(["store", "import", "--config", c, "--from", `${dir}/b.jsonl`]);
      await ok(["store", "export", "--config", c, "--out", `${dir}/c.jsonl`]);
      assert.deepEqual(await rowsOf(`${dir}/c.jsonl`), await rowsOf(`${dir}/a.jsonl`));
      assert.equal(
        (await Deno.readTextFile(`${dir}/b.jsonl`)).split("\n")[0].includes('"engine":"postgres"'),
        true,
      );

      // --- the keys, logins, refresh tokens and revocations work on each engine ---------------
      await stillWorks(b, dir, site);
      // C holds B's rows from before B served: the refresh token B just used is unused in C.
      await stillWorks(c, dir, site);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "postgres: store backup writes the export, store restore takes it back; exit 2 on a " +
    "different pepper",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp-pgbackup-" });
    try {
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const cfg = `${dir}/kp.yaml`;
      await Deno.writeTextFile(cfg, config(await freshUrl()));
      await ok(["store", "init", "--config", cfg]);
      await ok(["org", "create", "--config", cfg, "acme"]);
      const backup = JSON.parse(
        await ok(["store", "backup", "--config", cfg, "--out", `${dir}/pg.jsonl`, "--json"]),
      );
      assert.equal(backup.format, "export");
      assert.equal(backup.rows.orgs, 1);
      await ok(["org", "create", "--config", cfg, "later"]);
      await ok(["store", "restore", "--config", cfg, "--from", `${dir}/pg.jsonl`]);
      const orgs = JSON.parse(await ok(["org", "list", "--config", cfg, "--json"]));
      assert.deepEqual(orgs.organizations.map((o: { name: string }) => o.name), ["acme"]);
      await Deno.writeTextFile(`${dir}/kp.pepper`, "q".repeat(43) + "\n");
      const wrong = await runKeypebble([
        "store",
        "restore",
        "--config",
        cfg,
        "--from",
        `${dir}/pg.jsonl`,
      ]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /DIFFERENT pepper/);
    } finally {
      await Deno.remove(dir, { recursive: true });
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
