/**
 * `keypebble import pico-auth` against a database written by pico-auth 0.3.0's own service code
 * (issue 22): its public source (dperezcabrera/pico-auth at tag v0.3.0) with its framework
 * libraries pico-ioc and pico-sqlalchemy (their public sources too), on Debian's Python with
 * python3-bcrypt and python3-jose. pico-auth's `AuthService` and `GroupService`, wired by
 * pico-ioc, register accounts, log in (writing a refresh token), create a group with members and
 * a service token, as its HTTP routes would. The package's `__init__` (which pulls in its HTTP
 * layer, pico-boot and pico-client-auth, not needed to write data) is not executed: the driver
 * below registers the package by path. Then the import, a real Keypebble, the old password at
 * `/api/v1/auth/login`, the old refresh token at `/api/v1/auth/refresh` and at the OAuth2
 * `refresh_token` grant, and the old service token at `/service-tokens/validate`.
 *
 * Nothing of pico-auth is committed: see tests/helpers/peers.ts for where it comes from.
 */

import assert from "node:assert/strict";
import { checkout, peerGitDir, python, pythonDeps } from "../helpers/peers.ts";
import { runKeypebble, startServer } from "../helpers/process.ts";

/** Our driver: pico-auth's services, wired by pico-ioc, writing its database. */
const DRIVER = `
import asyncio, json, os, sys, types
src, db, data_dir = sys.argv[1], sys.argv[2], sys.argv[3]
pkg = types.ModuleType("pico_auth")
pkg.__path__ = [os.path.join(src, "pico_auth")]
sys.modules["pico_auth"] = pkg
from pico_ioc import init, configuration, DictSource
from pico_sqlalchemy import SessionManager
from pico_auth.schema import create_tables
from pico_auth.service import AuthService, GroupService

async def main():
    cfg = configuration(DictSource({
        "auth": {"data_dir": data_dir, "issuer": "http://pico.test", "audience": "pico-bot",
                 "algorithm": "RS256", "auto_create_admin": False, "registration_enabled": True},
        "database": {"url": f"sqlite+aiosqlite:///{db}", "echo": False},
    }))
    c = init(modules=["pico_auth.config", "pico_auth.passwords", "pico_auth.repository",
                      "pico_auth.jwt_provider", "pico_auth.service", "pico_sqlalchemy"], config=cfg)
    await create_tables(c.get(SessionManager))
    auth, groups = c.get(AuthService), c.get(GroupService)
    await auth.ensure_admin("admin@pico.local", "admin-password-1")
    alice = await auth.register("alice@example.com", "alice-password-1", "Alice")
    bob = await auth.admin_create_user("bob@example.com", "bob-password-1", "Bob", role="operator")
    first = await auth.login("alice@example.com", "alice-password-1")
    second = await auth.login("alice@example.com", "alice-password-1")
    bobs = await auth.login("bob@example.com", "bob-password-1")
    rotated = await auth.refresh(bobs["refresh_token"])  # bob's first token is gone in pico-auth
    g = await groups.create_group("devs", "default", "developers")
    await groups.add_member(g.id, alice.id)
    await groups.add_member(g.id, bob.id)
    svc = await auth.create_service_token("ci-bot", role="operator", org_id="default")
    old = await auth.create_service_token("old-bot", role="viewer", org_id="default")
    await auth.revoke_service_token("old-bot")
    print(json.dumps({
        "alice": alice.id, "bob": bob.id, "group": g.id,
        "refresh": first["refresh_token"], "refresh2": second["refresh_token"],
        "bob_old": bobs["refresh_token"], "bob_refresh": rotated["refresh_token"],
        "svc": svc["token"], "old_svc": old["token"],
    }))

asyncio.run(main())
`;

Deno.test("import pico-auth (e2e): accounts written by pico-auth log in with old passwords and refresh with old tokens", async () => {
  const git = {
    auth: await peerGitDir("dperezcabrera/pico-auth"),
    ioc: await peerGitDir("dperezcabrera/pico-ioc"),
    sqlalchemy: await peerGitDir("dperezcabrera/pico-sqlalchemy"),
  };
  const dir = await Deno.makeTempDir({ prefix: "kp-pico-" });
  try {
    await checkout(git.auth, "v0.3.0", ["pico_auth"], `${dir}/auth`);
    await checkout(git.ioc, "HEAD", ["src"], `${dir}/ioc`);
    await checkout(git.sqlalchemy, "HEAD", ["src"], `${dir}/sqlalchemy`);
    await Deno.writeTextFile(`${dir}/drive.py`, DRIVER);
    const out = await python(
      [`${dir}/drive.py`, `${dir}/auth`, `${dir}/auth.db`, `${dir}/pico-keys`],
      { pythonPath: [`${dir}/ioc/src`, `${dir}/sqlalchemy/src`, await pythonDeps()], cwd: dir },
    );
    const pico = JSON.parse(out.trim().split("\n").pop()!);

    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    const config = `${dir}/kp.yaml`;
    await Deno.writeTextFile(
      config,
      `issuer: "https://kp.test"\nhs256_secret_path: secret\nstore:\n  url: "sqlite:kp.db"\n` +
        `accounts:\n  registration: off\n`,
    );
    const args = [
      "import",
      "pico-auth",
      "--config",
      config,
      "--from",
      `sqlite+aiosqlite:///${dir}/auth.db`,
    ];
    const r = await runKeypebble([...args, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.counts.users.created, 3);
    assert.equal(s.counts.groups.created, 1);
    assert.equal(s.counts.members.created, 2);
    assert.equal(s.counts.service_tokens.created, 2);
    assert.equal(s.counts.refresh_tokens.created, 3);
    assert.deepEqual(s.refused, []);

    const server = await startServer(config, { cwd: dir, args: ["--workers", "1"] });
    try {
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        });
      // The old password, hashed by pico-auth with bcrypt.
      const bad = await post("/api/v1/auth/login", {
        email: "alice@example.com",
        password: "wrong-password",
      });
      assert.equal(bad.status, 401);
      await bad.body?.cancel();
      const login = await post("/api/v1/auth/login", {
        email: "alice@example.com",
        password: "alice-password-1",
      });
      assert.equal(login.status, 200);
      const pair = await login.json();
      const claims = JSON.parse(
        atob(pair.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
      );
      assert.equal(claims.sub, pico.alice);
      assert.deepEqual(claims.groups, [pico.group]);

      // The refresh token pico-auth handed out at login rotates into one of ours.
      const refreshed = await post("/api/v1/auth/refresh", { refresh_token: pico.refresh });
      assert.equal(refreshed.status, 200);
      const next = await refreshed.json();
      assert.match(next.refresh_token, /^kprt_/);
      const again = await post("/api/v1/auth/refresh", { refresh_token: next.refresh_token });
      assert.equal(again.status, 200);
      await again.body?.cancel();
      // The OAuth2 refresh_token grant takes pico-auth's token too.
      const grant = await fetch(`${server.url}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: pico.refresh2 }),
      });
      assert.equal(grant.status, 200, await grant.clone().text());
      assert.match((await grant.json()).refresh_token, /^kprt_/);
      // Bob's first token was rotated away inside pico-auth: not valid here either.
      const stale = await post("/api/v1/auth/refresh", { refresh_token: pico.bob_old });
      assert.equal(stale.status, 401);
      await stale.body?.cancel();
      const bobs = await post("/api/v1/auth/refresh", { refresh_token: pico.bob_refresh });
      assert.equal(bobs.status, 200);
      await bobs.body?.cancel();

      // Service tokens: the live one validates, the revoked one does not.
      const admin = await (await post("/api/v1/auth/login", {
        email: "admin@pico.local",
        password: "admin-password-1",
      })).json();
      const auth = { authorization: `Bearer ${admin.access_token}` };
      const ok = await post("/api/v1/auth/service-tokens/validate", { token: pico.svc }, auth);
      assert.deepEqual(await ok.json(), {
        valid: true,
        name: "ci-bot",
        role: "operator",
        org_id: "default",
      });
      const old = await post("/api/v1/auth/service-tokens/validate", { token: pico.old_svc }, auth);
      assert.deepEqual(await old.json(), { valid: false });
    } finally {
      await server.stop();
    }
    // A second run: nothing new, the rotated token stays used, passwords stay on PBKDF2.
    const second = await runKeypebble([...args, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    const s2 = JSON.parse(second.stdout);
    assert.equal(s2.counts.users.created + s2.counts.users.updated, 0);
    assert.equal(s2.counts.refresh_tokens.created, 0);
    const server2 = await startServer(config, { cwd: dir, args: ["--workers", "1"] });
    try {
      const reuse = await fetch(`${server2.url}/api/v1/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: pico.refresh }),
      });
      assert.equal(reuse.status, 401);
      await reuse.body?.cancel();
    } finally {
      await server2.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
