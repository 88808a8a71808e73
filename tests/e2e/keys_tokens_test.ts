/**
 * Command tokens and Kubernetes TokenRequest against a running server and the CLI, each token
 * checked with `keypebble verify` (signature, issuer, audience).
 */

import assert from "node:assert/strict";
import { runKeypebble, type RunningServer, startServer } from "../helpers/process.ts";

function claimsOf(token: string): Record<string, unknown> {
  const p = token.split(".")[1];
  return JSON.parse(
    atob(p.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(p.length / 4) * 4, "=")),
  );
}

async function withServer(
  fn: (server: RunningServer, config: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_tokens_" });
  const r = await runKeypebble(["keygen", "--alg", "ES256", "--out", `${dir}/k.pem`]);
  assert.equal(r.code, 0, r.stderr);
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `issuer: "https://tokens.test"
default_ttl_seconds: 900
max_ttl_seconds: 7200
keys:
  - path: k.pem
`,
  );
  const server = await startServer(config);
  try {
    await fn(server, config);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

async function verify(config: string, token: string, audience?: string): Promise<number> {
  const r = await runKeypebble([
    "verify",
    "--config",
    config,
    ...(audience === undefined ? [] : ["--audience", audience]),
    token,
  ]);
  return r.code;
}

function post(server: RunningServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("POST /command/token and `keypebble command` sign verifiable command tokens", async () => {
  await withServer(async (server, config) => {
    const res = await post(server, "/command/token", {
      user: "ops",
      target: "edge-7",
      command: "systemctl restart app",
      ttl_seconds: 999_999,
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    const c = claimsOf(body.token);
    assert.equal(c.aud, "edge-7");
    assert.equal(c.sub, "ops");
    assert.equal(c.command, "systemctl restart app");
    assert.equal(c.jti, body.jti);
    assert.equal((c.exp as number) - (c.iat as number), 7200, "clamped to max_ttl_seconds");
    assert.equal(body.expires_in, 7200);
    assert.equal(await verify(config, body.token, "edge-7"), 0);
    assert.equal(await verify(config, body.token, "edge-8"), 1, "audience is the target");

    const anon = await (await post(server, "/command/token", { target: "t", command: "ls" }))
      .json();
    assert.equal(claimsOf(anon.token).sub, "anonymous");
    assert.equal((claimsOf(anon.token).exp as number) - (claimsOf(anon.token).iat as number), 900);
    for (const bad of [{ command: "ls" }, { target: "t" }, { target: "", command: "ls" }]) {
      const r = await post(server, "/command/token", bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal((await r.json()).error, "invalid_request");
    }

    // The CLI: user defaults to the issuer; --json gives the jti beside the token.
    const cli = await runKeypebble([
      "command",
      "--config",
      config,
      "--target",
      "edge-9",
      "--command",
      "uptime",
      "--ttl",
      "60",
      "--json",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const out = JSON.parse(cli.stdout);
    const cc = claimsOf(out.token);
    assert.equal(cc.sub, "https://tokens.test");
    assert.equal(cc.aud, "edge-9");
    assert.equal(cc.command, "uptime");
    assert.equal(cc.jti, out.jti);
    assert.equal(out.expires_in, 60);
    assert.equal(await verify(config, out.token, "edge-9"), 0);
    const plain = await runKeypebble([
      "command",
      "--config",
      config,
      "--target",
      "t",
      "--command",
      "c",
      "--user",
      "bob",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(claimsOf(plain.stdout.trim()).sub, "bob");
    const missing = await runKeypebble(["command", "--config", config, "--target", "t"]);
    assert.equal(missing.code, 2);
  });
});

Deno.test("Kubernetes TokenRequest on both paths issues verifiable service-account tokens", async () => {
  await withServer(async (server, config) => {
    for (
      const prefix of ["/api/v1", "/apis/authentication.k8s.io/v1"]
    ) {
      const path = `${prefix}/namespaces/build/serviceaccounts/runner/token`;
      const res = await post(server, path, {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          audiences: ["vault", "https://kubernetes.default.svc"],
          boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "runner-1", uid: "a-b-c" },
        },
      });
      assert.equal(res.status, 201);
      const body = await res.json();
      const c = claimsOf(body.status.token);
      assert.equal(c.sub, "system:serviceaccount:build:runner");
      assert.deepEqual(c.aud, ["vault", "https://kubernetes.default.svc"]);
      assert.equal(typeof c.jti, "string");
      // As the Python Keypebble: default_ttl_seconds (900 here) when expirationSeconds is absent.
      assert.equal((c.exp as number) - (c.iat as number), 900, "default_ttl_seconds");
      assert.deepEqual(c["kubernetes.io"], {
        namespace: "build",
        serviceaccount: { name: "runner" },
        pod: { name: "runner-1", uid: "a-b-c" },
      });
      assert.equal(
        Date.parse(body.status.expirationTimestamp) / 1000,
        c.exp,
        "expirationTimestamp is exp",
      );
      assert.equal(await verify(config, body.status.token, "vault"), 0);

      const long = await (await post(server, path, {
        spec: { audiences: ["a"], expirationSeconds: 86_400 },
      })).json();
      const lc = claimsOf(long.status.token);
      assert.equal((lc.exp as number) - (lc.iat as number), 7200, "clamped to max_ttl_seconds");
      const short = await post(server, path, {
        spec: { audiences: ["a"], expirationSeconds: 599 },
      });
      assert.equal(short.status, 400);
      await short.body?.cancel();
      const noAud = await post(server, path, { spec: {} });
      assert.equal(noAud.status, 400);
      await noAud.body?.cancel();
    }
    for (const name of ["Runner", "a".repeat(300), "a..b", "a%2Fb", "%2E%2E%2F", "x y"]) {
      const r = await post(
        server,
        `/api/v1/namespaces/build/serviceaccounts/${name}/token`,
        { spec: { audiences: ["a"] } },
      );
      // An encoded "/" never matches a path parameter: no route (404), never a name.
      const expected = name.includes("%2F") ? [404, "not_found"] : [400, "invalid_name"];
      assert.equal(r.status, expected[0], name);
      assert.equal((await r.json()).error, expected[1], name);
    }
    const badNs = await post(server, "/api/v1/namespaces/Build/serviceaccounts/x/token", {
      spec: { audiences: ["a"] },
    });
    assert.equal(badNs.status, 400);
    assert.equal((await badNs.json()).error, "invalid_name");
    // A bare ".." segment is path syntax, not a name: URL parsing removes it before routing
    // (WHATWG URL), so it can only ever reach a 404, never a token. Sent raw to be sure.
    for (const seg of ["..", "%2e%2e"]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const body = '{"spec":{"audiences":["a"]}}';
      await conn.write(
        new TextEncoder().encode(
          `POST /api/v1/namespaces/build/serviceaccounts/${seg}/token HTTP/1.1\r\n` +
            `host: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
            `connection: close\r\n\r\n${body}`,
        ),
      );
      let text = "";
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      conn.close();
      assert.match(text, /^HTTP\/1\.1 (400|404) /, seg);
      assert.ok(!text.includes('"token"'), seg);
    }
  });
});
