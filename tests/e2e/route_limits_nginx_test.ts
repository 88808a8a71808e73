/**
 * Route limits behind a real nginx (issue 22): `/login` and `/signup` of an application limited
 * per client address by `auth_request` to `GET /forward-auth?limit=NAME`, as keyguard's
 * `rate_limit_by_ip` limits them inside its app. The application reports wrong passwords to
 * `POST /forward-auth/failures?limit=login` (nginx's `auth_request` cannot pass its answer back),
 * and `lock_after` of them lock the address out of `/login`; a call over `/signup`'s limit locks
 * at once (keyguard's `lockout=`). Blocks apply; other routes and other addresses are untouched;
 * a client's own `?limit=` on a key-protected path changes nothing.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { BEHIND_GATEWAY, startGateway } from "./keyguard_gateway.ts";
import { Cleanup } from "./registry_helpers.ts";

Deno.test({
  name:
    "route limits behind real nginx: limited, locked by reported failures, blocked, per address",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cleanup = new Cleanup();
    let kpUrl = "";
    let reporterKey = "";
    const reached: string[] = [];
    const app = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const path = new URL(req.url).pathname;
      const client = req.headers.get("x-real-ip") ?? "";
      reached.push(`${path} ${client}`);
      if (path === "/login") {
        const { password } = await req.json();
        if (password === "right") return Response.json({ message: "Welcome" });
        // A wrong password: tell Keypebble, which counts it towards limits.routes.login.
        const r = await fetch(`${kpUrl}/forward-auth/failures?limit=login`, {
          method: "POST",
          headers: { "x-api-key": reporterKey, "content-type": "application/json" },
          body: JSON.stringify({ address: client }),
        });
        assert.equal(r.status, 200, await r.clone().text());
        await r.body?.cancel();
        return Response.json({ detail: "Wrong password" }, { status: 401 });
      }
      return Response.json({ path, label: req.headers.get("x-auth-key-label") });
    });
    try {
      const dir = await cleanup.dir("limits");
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const config = `${dir}/kp.yaml`;
      await Deno.writeTextFile(
        config,
        [
          'issuer: "https://kp.limits"',
          "hs256_secret_path: secret",
          'store: {url: "sqlite:kp.db"}',
          ...BEHIND_GATEWAY,
          "limits:",
          "  routes:",
          "    login: {requests: 3, window_seconds: 60, lock_after: 2, lock_seconds: 600}",
          "    signup: {requests: 2, window_seconds: 3600, lock_after: 1, lock_seconds: 3600}",
          "log_level: warn",
          "",
        ].join("\n"),
      );
      const cli = async (...args: string[]) => {
        const r = await runKeypebble([...args.slice(0, 2), "--config", config, ...args.slice(2)]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      await cli("org", "create", "ops");
      const key = (...a: string[]) =>
        cli("key", "create", "--org", "ops", "--json", ...a).then((o) => JSON.parse(o).key);
      reporterKey = await key("--label", "login app", "--scope", "limits.report");
      const admin = await key("--label", "admin", "--scope", "admin", "--reach", "all");
      const appKey = await key("--label", "Zürich app");
      const kp = cleanup.daemon(await startServer(config, { cwd: dir, args: ["--workers", "1"] }));
      kpUrl = kp.url;
      const base = await startGateway(cleanup, {
        dir,
        kpPort: kp.port,
        appPort: app.addr.port,
        limits: { login: "/login", signup: "/signup" },
        clientHeader: "X-Test-Client",
      });
      const call = async (path: string, client: string, init: RequestInit = {}) => {
        const r = await fetch(`${base}${path}`, {
          ...init,
          headers: { "x-test-client": client, ...(init.headers ?? {}) },
        });
        const text = await r.text();
        return { status: r.status, text, retry: r.headers.get("retry-after") };
      };
      const login = (client: string, password: string) =>
        call("/login", client, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ password }),
        });

      // A: two wrong passwords, reported by the app, lock A out of /login: even the right one.
      assert.equal((await login("203.0.113.10", "wrong")).status, 401);
      assert.equal((await login("203.0.113.10", "wrong")).status, 401);
      const before = reached.length;
      const locked = await login("203.0.113.10", "right");
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.retry) > 590 && Number(locked.retry) <= 600, locked.retry ?? "");
      assert.equal(JSON.parse(locked.text).detail, "Rate limit exceeded.");
      assert.equal(reached.length, before, "a locked address never reaches the app");
      // ... but not out of the application's other routes.
      assert.equal((await call("/public", "203.0.113.10")).status, 200);

      // B: three calls a minute, then 429 until the window moves.
      for (let i = 0; i < 3; i++) assert.equal((await login("203.0.113.11", "right")).status, 200);
      const over = await login("203.0.113.11", "right");
      assert.equal(over.status, 429);
      assert.ok(Number(over.retry) >= 1);

      // C: over /signup's limit locks at once (lock_after 1), as keyguard's lockout= does.
      for (let i = 0; i < 2; i++) {
        assert.equal((await call("/signup", "203.0.113.12", { method: "POST" })).status, 200);
      }
      const signup = await call("/signup", "203.0.113.12", { method: "POST" });
      assert.equal(signup.status, 429);
      assert.ok(Number(signup.retry) > 3590, signup.retry ?? "");
      assert.equal((await login("203.0.113.12", "right")).status, 200, "only /signup is locked");

      // D: an address block from the admin API (through the gateway) refuses it: 403.
      const block = await call("/admin/blocks", "203.0.113.99", {
        method: "POST",
        headers: { "x-admin-key": admin, "content-type": "application/json" },
        body: JSON.stringify({ kind: "address", value: "203.0.113.13", seconds: 600 }),
      });
      assert.equal(block.status, 201, block.text);
      const blocked = await login("203.0.113.13", "right");
      assert.equal(blocked.status, 403);
      assert.equal(JSON.parse(blocked.text).detail, "Access denied.");

      // A client's own ?limit= on a key-protected path is not the limit mode.
      assert.equal((await call("/api/data?limit=login", "203.0.113.14")).status, 401);
      const ok = await call("/api/data", "203.0.113.14", { headers: { "x-api-key": appKey } });
      assert.equal(ok.status, 200);
      assert.equal(decodeURIComponent(JSON.parse(ok.text).label), "Zürich app");
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\n--- output ---\n${cleanup.output()}`);
    } finally {
      await cleanup.run();
      await app.shutdown();
    }
  },
});
