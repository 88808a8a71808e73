/**
 * `keypebble account reset-password|suspend|resume` on the store directly (issue 20): the way
 * back in after losing the only superadmin's password, while the server runs.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { storeFixture } from "../helpers/workers_store.ts";

const ADMIN = "admin@localhost";

/**
 * Ask until the answer is `want` (a change made by another process reaches the server's
 * revocation list within store.cache_seconds); resolves to the last answer, at most ~10 s.
 */
async function eventually(ask: () => Promise<number>, want: number): Promise<number> {
  let got = await ask();
  for (let i = 0; i < 50 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 200));
    got = await ask();
  }
  return got;
}

Deno.test({
  name: "account reset-password, suspend and resume work on the store while the server runs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await storeFixture(
      'store: {url: "sqlite:kp.db", cache_seconds: 1}',
      "accounts: {}\n",
    );
    const config = `${dir}/kp.yaml`;
    const account = (args: string[], stdin?: string) =>
      runKeypebble(["account", ...args, "--config", config], stdin === undefined ? {} : { stdin });
    const s = await startServer(config, {
      args: ["--workers", "1"],
      cwd: dir,
      env: { KEYPEBBLE_ADMIN_PASSWORD: "the-lost-password" },
    });
    try {
      const login = async (password: string) =>
        await fetch(`${s.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: ADMIN, password }),
        });
      const refresh = async (token: string) => {
        const r = await fetch(`${s.url}/api/v1/auth/refresh`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh_token: token }),
        });
        await r.body?.cancel();
        return r.status;
      };
      const before = await (await login("the-lost-password")).json();

      const reset = await account(["reset-password", "--email", "Admin@Localhost", "--json"]);
      assert.equal(reset.code, 0, reset.stderr);
      const { password, must_change_password } = JSON.parse(reset.stdout);
      assert.match(password, /^[0-9a-f]{32}$/);
      assert.equal(must_change_password, true);
      assert.equal((await login("the-lost-password")).status, 401);
      assert.equal(await refresh(before.refresh_token), 401, "refresh tokens were revoked");
      const after = await login(password);
      assert.equal(after.status, 200);
      assert.equal((await after.json()).password_change_required, true);

      const given = await account(
        ["reset-password", "--email", ADMIN, "--password-stdin"],
        "chosen-password-9\n",
      );
      assert.equal(given.code, 0, given.stderr);
      assert.ok(!given.stdout.includes("chosen-password-9"), "a given password is not printed");
      const short = await account(["reset-password", "--email", ADMIN, "--password-stdin"], "x\n");
      assert.equal(short.code, 2);

      const mine = await (await login("chosen-password-9")).json();
      const me = async () => {
        const r = await fetch(`${s.url}/api/v1/auth/me`, {
          headers: { authorization: `Bearer ${mine.access_token}` },
        });
        await r.body?.cancel();
        return r.status;
      };
      assert.equal(await me(), 200);
      assert.equal((await account(["suspend", "--email", ADMIN])).code, 0);
      // The running server re-reads the revocation list within store.cache_seconds (1 s).
      assert.equal(await eventually(me, 401), 401, "its access token is revoked too");
      const refused = await login("chosen-password-9");
      assert.equal(refused.status, 403);
      assert.match((await refused.json()).message, /suspended/);
      assert.equal(await refresh(mine.refresh_token), 401);
      assert.equal((await account(["resume", "--email", ADMIN])).code, 0);
      const back = async () => {
        const r = await login("chosen-password-9");
        await r.body?.cancel();
        return r.status;
      };
      assert.equal(await eventually(back, 200), 200);

      const nobody = await account(["suspend", "--email", "nobody@example.com"]);
      assert.equal(nobody.code, 2);
      assert.match(nobody.stderr, /No account with the e-mail "nobody@example\.com"/);
      const usage = await account(["suspend"]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /Option "--email" is required/);
    } finally {
      assert.equal(await s.stop(), 0, s.lines.join("\n"));
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("account commands need an accounts section", async () => {
  const dir = await storeFixture('store: {url: "sqlite:kp.db"}');
  try {
    const r = await runKeypebble([
      "account",
      "suspend",
      "--config",
      `${dir}/kp.yaml`,
      "--email",
      ADMIN,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /accounts: is not configured/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
