/**
 * Real nginx with `auth_request` in front of a small upstream, asking Keypebble's
 * `GET /forward-auth`: an allowed key reaches the upstream with the identity headers; unknown,
 * revoked and expired keys get 401; a missing scope 403; a key over its limit 429 with
 * `Retry-After` (nginx turns any status but 2xx/401/403 into 500, so the config maps it back).
 */

import assert from "node:assert/strict";
import { freePort, runKeypebble, startServer } from "../helpers/process.ts";
import { Cleanup, spawnDaemon, waitForHttp } from "./registry_helpers.ts";

function nginxConf(dir: string, port: number, kpPort: number, upstreamPort: number): string {
  const protect = (path: string, scope: string) => `
    location ${path} {
      set $required_scope "${scope}";
      auth_request /_kp_auth;
      auth_request_set $kp_sub $upstream_http_x_auth_subject;
      auth_request_set $kp_org $upstream_http_x_auth_org;
      auth_request_set $kp_scopes $upstream_http_x_auth_scopes;
      auth_request_set $kp_remaining $upstream_http_x_ratelimit_remaining;
      auth_request_set $kp_retry $upstream_http_retry_after;
      auth_request_set $kp_status $upstream_status;
      error_page 500 = @kp_error;
      proxy_set_header X-Auth-Subject $kp_sub;
      proxy_set_header X-Auth-Org $kp_org;
      proxy_set_header X-Auth-Scopes $kp_scopes;
      proxy_set_header X-RateLimit-Remaining $kp_remaining;
      proxy_set_header X-API-Key "";
      proxy_set_header Authorization "";
      proxy_pass http://127.0.0.1:${upstreamPort};
    }`;
  return `
user root;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /_kp_auth {
      internal;
      proxy_pass http://127.0.0.1:${kpPort}/forward-auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Required-Scope $required_scope;
    }
    location @kp_error {
      if ($kp_status = 429) {
        add_header Retry-After $kp_retry always;
        return 429;
      }
      return 503;
    }
    ${protect("/read/", "read")}
    ${protect("/write/", "write")}
  }
}
`;
}

Deno.test({
  name:
    "forward-auth behind real nginx auth_request: allowed, unknown, revoked, expired, scope, limit",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cleanup = new Cleanup();
    const upstreamPort = freePort();
    const seen: Record<string, string>[] = [];
    const upstream = Deno.serve(
      { hostname: "127.0.0.1", port: upstreamPort, onListen: () => {} },
      (req) => {
        seen.push(Object.fromEntries(req.headers));
        return new Response("upstream ok");
      },
    );
    try {
      const dir = await cleanup.dir("fwd");
      await Deno.mkdir(`${dir}/tmp`, { recursive: true });
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const config = `${dir}/kp.yaml`;
      await Deno.writeTextFile(
        config,
        [
          'issuer: "https://kp.nginx"',
          "hs256_secret_path: secret",
          'store: {url: "sqlite:kp.db"}',
          'trusted_proxies: ["127.0.0.1/32"]',
          "log_level: warn",
          "",
        ].join("\n"),
      );
      assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
      const mk = async (...extra: string[]) => {
        const r = await runKeypebble([
          "key",
          "create",
          "--config",
          config,
          "--org",
          "acme",
          "--label",
          "k",
          "--scope",
          "read",
          "--json",
          ...extra,
        ]);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as { id: string; key: string };
      };
      const good = await mk();
      const revoked = await mk();
      const expired = await mk("--expires-in", "1");
      const limited = await mk("--rate-limit", "2");
      assert.equal((await runKeypebble(["key", "revoke", "--config", config, revoked.id])).code, 0);
      // One worker: the key's limit of 2 is counted in one place (with N workers each enforces
      // its share, tests/cli/workers_store_test.ts), and nginx's connections may reach any.
      const kp = cleanup.daemon(await startServer(config, { cwd: dir, args: ["--workers", "1"] }));
      const port = freePort();
      await Deno.writeTextFile(`${dir}/nginx.conf`, nginxConf(dir, port, kp.port, upstreamPort));
      const nginx = cleanup.daemon(spawnDaemon("nginx", [
        "-p",
        dir,
        "-c",
        `${dir}/nginx.conf`,
        "-e",
        "stderr",
        "-g",
        `daemon off; pid ${dir}/nginx.pid;`,
      ]));
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/read/`, nginx, "nginx");
      const get = async (path: string, headers: Record<string, string>) => {
        const r = await fetch(`${base}${path}`, { headers });
        const text = await r.text();
        return { status: r.status, text, headers: r.headers };
      };

      const ok = await get("/read/x", { "x-api-key": good.key });
      assert.equal(ok.status, 200);
      assert.equal(ok.text, "upstream ok");
      const h = seen.at(-1)!;
      assert.equal(h["x-auth-subject"], good.id);
      assert.equal(h["x-auth-org"], "acme");
      assert.equal(h["x-auth-scopes"], "read");
      assert.equal(h["x-api-key"], undefined, "the key is not passed upstream");
      const bearer = await get("/read/x", { authorization: `Bearer ${good.key}` });
      assert.equal(bearer.status, 200);

      const count = seen.length;
      assert.equal((await get("/read/x", {})).status, 401, "missing");
      assert.equal(
        (await get("/read/x", { "x-api-key": "kp_live_" + "Q".repeat(43) })).status,
        401,
      );
      assert.equal((await get("/read/x", { "x-api-key": revoked.key })).status, 401, "revoked");
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await get("/read/x", { "x-api-key": expired.key })).status, 401, "expired");
      assert.equal((await get("/write/x", { "x-api-key": good.key })).status, 403, "scope");
      assert.equal(seen.length, count, "no refused request reached the upstream");

      assert.equal((await get("/read/x", { "x-api-key": limited.key })).status, 200);
      const second = await get("/read/x", { "x-api-key": limited.key });
      assert.equal(second.status, 200);
      assert.equal(seen.at(-1)!["x-ratelimit-remaining"], "0");
      const over = await get("/read/x", { "x-api-key": limited.key });
      assert.equal(over.status, 429, "over the limit");
      assert.ok(Number(over.headers.get("retry-after")) >= 1);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : e}\n--- output ---\n${cleanup.output()}`);
    } finally {
      await cleanup.run();
      await upstream.shutdown();
    }
  },
});
