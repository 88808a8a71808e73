/**
 * `keypebble import keyguard` against a database written by the real keyguard (issue 22): its
 * public source (The-honoured1/keyguard, keyguard-python 0.3.0) runs on Debian's Python; its CLI
 * creates organisations and keys and revokes one, its admin API (the router it ships, mounted as
 * its README shows) creates another organisation and a key with its own prefix, and its
 * middleware logs usage, errors included. Then the import, a real Keypebble, and the keys
 * keyguard printed: they pass `/forward-auth` on their first request, revoked ones fail, and the
 * row is on Keypebble's hash afterwards. Once on SQLite, once on PostgreSQL (asyncpg).
 *
 * Nothing of keyguard is committed: see tests/helpers/peers.ts for where it comes from.
 */

import assert from "node:assert/strict";
import { openDenoSqlite } from "../../src/platform/sqlite_deno.ts";
import { openStore } from "../../src/store/mod.ts";
import { checkout, peerGitDir, python, pythonDeps } from "../helpers/peers.ts";
import { collectLines, freePort, runKeypebble, startServer } from "../helpers/process.ts";
import { startPostgres } from "../helpers/postgres.ts";

const SECRET = "keyguard-e2e-secret";

/** A small app of ours around keyguard's middleware and admin router, as its README builds one. */
const APP = `
import os
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request
from keyguard import KeyGuard, KeyGuardConfig, KeyGuardMiddleware
from keyguard.api.admin import create_admin_router

kg = KeyGuard(KeyGuardConfig(secret_key=os.environ["KG_SECRET"], database_url=os.environ["KG_DB"]))

@asynccontextmanager
async def lifespan(app):
    await kg.init_db()
    yield
    await kg.engine.dispose()

app = FastAPI(lifespan=lifespan)
app.add_middleware(KeyGuardMiddleware, kg_instance=kg, protected_path="/api")
app.include_router(create_admin_router(kg), prefix="/admin")

@app.get("/api/data")
async def data(request: Request):
    return {"label": request.state.api_key.label}
`;

interface Keyguard {
  pythonPath: string[];
  dir: string;
  cli(dbUrl: string, ...args: string[]): Promise<string>;
}

async function keyguard(): Promise<Keyguard> {
  const git = await peerGitDir("The-honoured1/keyguard");
  const dir = await Deno.makeTempDir({ prefix: "kp-keyguard-" });
  await checkout(git, "HEAD", ["keyguard"], `${dir}/src`);
  await Deno.writeTextFile(`${dir}/src/kg_app.py`, APP);
  const pythonPath = [`${dir}/src`, await pythonDeps()];
  return {
    pythonPath,
    dir,
    cli: (dbUrl, ...args) =>
      python(["-m", "keyguard", "--db", dbUrl, "--secret", SECRET, ...args], {
        pythonPath,
        cwd: dir,
      }),
  };
}

/** The key keyguard's CLI printed once. */
function rawKey(out: string): string {
  const m = /║\s+(\S+)\s+║/.exec(out.split("\n").filter((l) => /║\s+\S+\s+║/.test(l)).pop() ?? "");
  assert.ok(m, `no key in:\n${out}`);
  return m[1];
}

/** Run keyguard's app on a free port while `fn` runs. */
async function withKeyguardApp<T>(
  kg: Keyguard,
  dbUrl: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const port = freePort();
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-m", "uvicorn", "kg_app:app", "--host", "127.0.0.1", "--port", String(port)],
    cwd: `${kg.dir}/src`,
    env: {
      PYTHONPATH: kg.pythonPath.join(":"),
      PYTHONDONTWRITEBYTECODE: "1",
      KG_SECRET: SECRET,
      KG_DB: dbUrl,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { lines, done } = collectLines(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0;; i++) {
      try {
        const r = await fetch(`${url}/admin/orgs`, { headers: { "x-admin-key": SECRET } });
        await r.body?.cancel();
        if (r.ok) break;
      } catch { /* not up yet */ }
      if (i > 150) throw new Error(`keyguard's app did not start:\n${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(url);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await done;
  }
}

/** What keyguard's own tools and API write; resolves to the keys it handed out. */
async function writeKeyguardData(kg: Keyguard, dbUrl: string) {
  await kg.cli(dbUrl, "init");
  await kg.cli(dbUrl, "create-org", "Acme Corp");
  const live = rawKey(
    await kg.cli(
      dbUrl,
      "create-key",
      "--org",
      "Acme Corp",
      "--label",
      "live key",
      "--scopes",
      "read,write",
      "--rate-limit",
      "100",
    ),
  );
  const test = rawKey(
    await kg.cli(
      dbUrl,
      "create-key",
      "--org",
      "Acme Corp",
      "--label",
      "test",
      "--prefix",
      "kg_test_",
    ),
  );
  const revoked = rawKey(await kg.cli(dbUrl, "create-key", "--org", "Acme Corp", "--label", "old"));
  await kg.cli(dbUrl, "revoke-key", revoked.slice(0, 12));
  return await withKeyguardApp(kg, dbUrl, async (url) => {
    const admin = { "x-admin-key": SECRET, "content-type": "application/json" };
    const org = await fetch(`${url}/admin/orgs`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "Beta Org" }),
    });
    assert.equal(org.status, 200, await org.clone().text());
    await org.body?.cancel();
    const k = await fetch(`${url}/admin/keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ org_name: "Beta Org", label: "beta", prefix: "beta-", scopes: [] }),
    });
    assert.equal(k.status, 200);
    const beta = (await k.json()).raw_key as string;
    // Usage through keyguard's middleware: 3 + 1 answered, 1 of them an error (404).
    for (const [key, path] of [[live, "data"], [live, "data"], [live, "nothing"], [beta, "data"]]) {
      const r = await fetch(`${url}/api/${path}`, { headers: { "x-api-key": key } });
      await r.body?.cancel();
      assert.equal(r.status, path === "data" ? 200 : 404);
    }
    const bad = await fetch(`${url}/api/data`, { headers: { "x-api-key": revoked } });
    await bad.body?.cancel();
    assert.equal(bad.status, 401);
    return { live, test, revoked, beta };
  });
}

async function importAndServe(
  dbUrl: string,
  keys: { live: string; test: string; revoked: string; beta: string },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp-import-kg-" });
  try {
    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    await Deno.writeTextFile(`${dir}/kg.secret`, `${SECRET}\n`);
    const config = `${dir}/kp.yaml`;
    await Deno.writeTextFile(
      config,
      `issuer: "https://kp.test"\nhs256_secret_path: secret\nstore:\n  url: "sqlite:kp.db"\n` +
        `  keyguard_secret_key_path: kg.secret\n`,
    );
    const args = ["import", "keyguard", "--config", config, "--from", dbUrl];
    const r = await runKeypebble([...args, "--secret-key-file", `${dir}/kg.secret`, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.counts.organizations, { created: 2, updated: 0, unchanged: 0, refused: 0 });
    assert.deepEqual(s.counts.keys, {
      created: 4,
      updated: 0,
      unchanged: 0,
      refused: 0,
      removed: 0,
    });
    assert.deepEqual(s.refused, []);
    const before = await openStore(`sqlite:${dir}/kp.db`, { sqlite: openDenoSqlite, now: 1 });
    try {
      // keyguard's usage log, summed: 4 requests logged by its middleware, 1 answered 404 (the
      // revoked key's 401 came before a key was found, so keyguard logged nothing for it).
      assert.deepEqual(await before.usage.totals(0), { requests: 4, errors: 1 });
    } finally {
      await before.close();
    }

    const server = await startServer(config, { cwd: dir, args: ["--workers", "1"] });
    try {
      const fa = (key: string) =>
        fetch(`${server.url}/forward-auth`, { headers: { "x-api-key": key } });
      const first = await fa(keys.live);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get("x-auth-org"), "Acme Corp");
      assert.equal(first.headers.get("x-auth-scopes"), "read write");
      assert.equal(first.headers.get("x-ratelimit-limit"), "100");
      for (const k of [keys.live, keys.test, keys.beta]) {
        const res = await fa(k);
        assert.equal(res.status, 200, k.slice(0, 12));
      }
      const revoked = await fa(keys.revoked);
      assert.equal(revoked.status, 401);
      await revoked.body?.cancel();
      const tweaked = await fa(keys.live.slice(0, -2) + (keys.live.endsWith("AA") ? "BB" : "AA"));
      assert.equal(tweaked.status, 401);
      await tweaked.body?.cancel();
    } finally {
      await server.stop();
    }
    const store = await openStore(`sqlite:${dir}/kp.db`, { sqlite: openDenoSqlite, now: 1 });
    try {
      const rows = await store.apiKeys.list();
      const byLabel = new Map(rows.map((k) => [k.label, k]));
      // Every key presented moved to our hash; the revoked one too (it was proven, and refused).
      for (const label of ["live key", "test", "beta", "old"]) {
        assert.equal(byLabel.get(label)?.hashScheme, "hmac", label);
      }
      assert.equal(byLabel.get("old")?.status, "revoked");
      assert.equal(byLabel.get("beta")?.prefix, "beta-");
      assert.equal(byLabel.get("beta")?.orgName, "Beta Org");
      // keyguard's 4 requests and Keypebble's own 4 answered keys since.
      assert.deepEqual(await store.usage.totals(0), { requests: 8, errors: 1 });
    } finally {
      await store.close();
    }
    // A second run changes nothing, and the moved keys stay on our hash.
    const again = await runKeypebble([...args, "--secret-key-file", `${dir}/kg.secret`, "--json"]);
    assert.equal(again.code, 0, again.stderr);
    const s2 = JSON.parse(again.stdout);
    assert.deepEqual(s2.counts.keys, {
      created: 0,
      updated: 0,
      unchanged: 4,
      refused: 0,
      removed: 0,
    });
    assert.equal(s2.counts.usage_minutes.created + s2.counts.usage_minutes.updated, 0);
    const server2 = await startServer(config, { cwd: dir, args: ["--workers", "1"] });
    try {
      const res = await fetch(`${server2.url}/forward-auth`, {
        headers: { "x-api-key": keys.live },
      });
      assert.equal(res.status, 200);
    } finally {
      await server2.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("import keyguard (e2e, SQLite): keys written by keyguard pass /forward-auth and move to our hash", async () => {
  const kg = await keyguard();
  try {
    const db = `${kg.dir}/keyguard.db`;
    const keys = await writeKeyguardData(kg, `sqlite+aiosqlite:///${db}`);
    await importAndServe(`sqlite+aiosqlite:///${db}`, keys);
  } finally {
    await Deno.remove(kg.dir, { recursive: true });
  }
});

Deno.test("import keyguard (e2e, PostgreSQL): the same from keyguard on PostgreSQL through asyncpg", async () => {
  const kg = await keyguard();
  const pg = await startPostgres();
  try {
    const url = new URL(pg.url);
    const keys = await writeKeyguardData(
      kg,
      `postgresql+asyncpg://${url.username}@${url.host}${url.pathname}`,
    );
    await importAndServe(pg.url, keys);
  } finally {
    await pg.stop();
    await Deno.remove(kg.dir, { recursive: true });
  }
});
