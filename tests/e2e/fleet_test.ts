/**
 * Fleet mode end to end: two Keypebble instances on one PostgreSQL and one Redis, each started
 * here and stopped afterwards. A key created through A works on B; a revocation on A is refused
 * on B within `store.cache_seconds`; a per-minute limit holds for A and B together; a lockout and
 * a block on A apply on B; a suspended organisation stops on both; Redis or Postgres going away
 * never lets through what would be refused; Postgres down at start is a clear error.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { removePostgres, startPostgres, startRedis } from "./fleet_helpers.ts";
import { Cleanup, hashPassword } from "./registry_helpers.ts";

const CACHE_SECONDS = 2;

async function waitFor(what: string, fn: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name:
    "fleet: two instances on one Postgres and one Redis share keys, limits, lockouts and blocks",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cleanup = new Cleanup();
    const pg = await startPostgres();
    try {
      const redis = cleanup.daemon(await startRedis());
      const dbUrl = await pg.createDb("fleet");
      const dir = await cleanup.dir("fleet");
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const config = `${dir}/kp.yaml`;
      await Deno.writeTextFile(
        config,
        [
          'issuer: "https://kp.fleet"',
          "hs256_secret_path: secret",
          `store: {url: "${dbUrl}", cache_seconds: ${CACHE_SECONDS}}`,
          `shared_limits: {redis_url: "${redis.url}"}`,
          'trusted_proxies: ["127.0.0.1/32"]',
          "lockout: {max_failures: 3, window_seconds: 60, lock_seconds: 60}",
          "policy_path: policy.yaml",
          "rate_limit: {per_principal: {requests: 4, window_seconds: 60}}",
          "log_level: warn",
          "",
        ].join("\n"),
      );
      await Deno.writeTextFile(
        `${dir}/policy.yaml`,
        [
          "users:",
          "  alice:",
          `    password_hash: "${await hashPassword("alice-pw")}"`,
          '    repos: ["alice/*"]',
          '    actions: ["pull"]',
          "  bob:",
          `    password_hash: "${await hashPassword("bob-pw")}"`,
          '    repos: ["bob/*"]',
          '    actions: ["pull"]',
          "",
        ].join("\n"),
      );
      await runKeypebble(["store", "init", "--config", config]);
      assert.equal((await runKeypebble(["org", "create", "--config", config, "ops"])).code, 0);
      const adminOut = await runKeypebble([
        "key",
        "create",
        "--config",
        config,
        "--org",
        "ops",
        "--label",
        "admin",
        "--scope",
        "admin",
        "--json",
      ]);
      assert.equal(adminOut.code, 0, adminOut.stderr);
      const admin = JSON.parse(adminOut.stdout).key as string;
      const a = cleanup.daemon(await startServer(config, { cwd: dir }));
      const b = cleanup.daemon(await startServer(config, { cwd: dir }));
      const adminCall = async (
        srv: { url: string },
        method: string,
        path: string,
        body?: unknown,
      ) => {
        const r = await fetch(`${srv.url}${path}`, {
          method,
          headers: { "x-admin-key": admin, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: r.status, body: await r.json() };
      };
      const check = async (srv: { url: string }, key: string, ip = "10.0.0.1") => {
        const r = await fetch(`${srv.url}/forward-auth`, {
          headers: { "x-api-key": key, "x-forwarded-for": ip },
        });
        await r.body?.cancel();
        return r.status;
      };

      // A key created through A works on B.
      // keyguard's answer to a create: 200.
      assert.equal((await adminCall(a, "POST", "/admin/orgs", { name: "acme" })).status, 200);
      const created = await adminCall(a, "POST", "/admin/keys", {
        org_name: "acme",
        label: "svc",
        rate_limit_per_minute: 6,
        scopes: ["read"],
      });
      assert.equal(created.status, 200);
      const key = created.body.raw_key as string;
      // Keep the limit test inside one minute window.
      const sec = new Date().getUTCSeconds();
      if (sec > 45) await new Promise((r) => setTimeout(r, (61 - sec) * 1000));
      assert.equal(await check(b, key), 200, "created on A, works on B");

      // N per minute holds for A and B together (1 used above).
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push(await check(i % 2 === 0 ? a : b, key));
      assert.equal(statuses.filter((s) => s === 200).length, 5, statuses.join(","));
      assert.equal(statuses.filter((s) => s === 429).length, 3, statuses.join(","));

      // A block set through A applies on B within the cache lifetime.
      const other = (await adminCall(a, "POST", "/admin/keys", { org_name: "acme", label: "o" }))
        .body.raw_key as string;
      assert.equal(await check(b, other, "10.7.7.7"), 200);

      // One Redis round trip per request, counted by Redis itself (MONITOR, which tells the
      // commands clients send from those the script runs inside Redis): every limit, quota and
      // lock check of a request (the per-address limit, the bad-key lockout and its failure) is
      // one EVALSHA, accepted or refused, on either instance.
      const monitor = new Deno.Command("redis-cli", {
        args: ["-p", String(redis.port), "MONITOR"],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const lines = monitor.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assert.equal((await lines.read()).value?.trim(), "OK");
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) seen.push(await check(i % 2 === 0 ? a : b, other, "10.6.6.6"));
      for (let i = 0; i < 3; i++) {
        seen.push(await check(a, "kp_live_" + "Y".repeat(43), "10.6.6.5"));
      }
      await new Promise((r) => setTimeout(r, 300));
      monitor.kill("SIGTERM");
      let text = "";
      for (;;) {
        const { value, done } = await lines.read();
        if (done) break;
        text += value;
      }
      await monitor.status;
      assert.deepEqual(seen, [...Array(10).fill(200), ...Array(3).fill(401)]);
      const sent = text.split("\n").filter((l) => /^\d+\.\d+ \[\d+ [0-9.]+:\d+\]/.test(l));
      assert.equal(sent.length, 13, text);
      assert.ok(sent.every((l) => / "EVALSHA" /.test(l)), text);
      const blocked = await adminCall(a, "POST", "/admin/blocks", {
        kind: "address",
        value: "10.7.7.7",
        seconds: 600,
      });
      assert.equal(blocked.status, 201);
      await waitFor("block on B", async () => (await check(b, other, "10.7.7.7")) === 403, 4000);
      assert.equal(await check(b, other, "10.7.7.8"), 200);

      // A lockout earned on A applies on B at once (shared through Redis).
      for (let i = 0; i < 3; i++) await check(a, "kp_live_" + "Z".repeat(43), "10.8.8.8");
      assert.equal(await check(b, other, "10.8.8.8"), 429, "locked out on B too");

      // A revocation on A is refused on B within cache_seconds.
      const third = (await adminCall(a, "POST", "/admin/keys", { org_name: "acme", label: "r" }))
        .body;
      assert.equal(await check(b, third.raw_key), 200);
      assert.equal((await adminCall(a, "DELETE", `/admin/keys/${third.id}`)).status, 200);
      const took = await waitFor(
        "revocation on B",
        async () => (await check(b, third.raw_key)) === 401,
        (CACHE_SECONDS + 2) * 1000,
      );
      assert.ok(took <= (CACHE_SECONDS + 1) * 1000, `took ${took} ms`);

      // A suspended organisation stops on both.
      assert.equal((await adminCall(a, "POST", "/admin/orgs/acme/suspend")).status, 200);
      for (const srv of [a, b]) {
        // One answer for every unusable key (issue 19 finding 17): 401, as for a revoked one.
        await waitFor("suspension", async () => (await check(srv, other)) === 401, 4000);
      }
      assert.equal((await adminCall(b, "POST", "/admin/orgs/acme/resume")).status, 200);
      await waitFor("resume", async () => (await check(a, other)) === 200, 4000);

      // Basic sign-in: the per-principal limit and the lockout are shared through Redis too.
      const auth = async (srv: { url: string }, user: string, pw: string) => {
        const r = await fetch(`${srv.url}/auth`, {
          method: "POST",
          headers: {
            authorization: `Basic ${btoa(`${user}:${pw}`)}`,
            "content-type": "application/json",
          },
          body: "{}",
        });
        await r.body?.cancel();
        return r.status;
      };
      const signIns: number[] = [];
      for (let i = 0; i < 6; i++) {
        signIns.push(await auth(i % 2 === 0 ? a : b, "alice", "alice-pw"));
      }
      assert.deepEqual(signIns.filter((s) => s === 200).length, 4, signIns.join(","));
      for (let i = 0; i < 3; i++) assert.equal(await auth(a, "bob", "wrong"), 401);
      assert.equal(await auth(b, "bob", "bob-pw"), 429, "bob locked out on B after failures on A");

      // Postgres down mid-run: cached keys keep working for the cache lifetime, new keys are
      // refused with 503, nothing is allowed that would be refused.
      const late = (await adminCall(a, "POST", "/admin/keys", { org_name: "acme", label: "late" }))
        .body.raw_key as string;
      assert.equal(await check(a, other), 200);
      await pg.stop();
      try {
        assert.equal(await check(a, other), 200, "cached key while Postgres is down");
        assert.equal(await check(a, late), 503, "uncached key refused");
        await new Promise((r) => setTimeout(r, (CACHE_SECONDS + 1) * 1000));
        assert.equal(await check(a, other), 503, "after the cache lifetime, refused");
        // Postgres down at start: a clear error, no listening.
        const c = await runKeypebble(["serve", "--config", config, "--port", "0"], { cwd: dir });
        assert.equal(c.code, 2);
        assert.match(c.stderr, /store_error|unavailable/i);
      } finally {
        await pg.start();
      }
      await waitFor("recovery", async () => (await check(a, other)) === 200, 5000);

      // Redis down: limited keys are refused (503), never waved through.
      await redis.stop();
      assert.equal(await check(a, key), 503);
      assert.equal(await check(b, other), 503);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\n--- output ---\n${cleanup.output()}`);
    } finally {
      await cleanup.run();
      await removePostgres(pg);
    }
  },
});
