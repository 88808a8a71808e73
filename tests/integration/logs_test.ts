/**
 * The access log and the secrecy of logs: one JSON line per request with the documented fields,
 * and no password, token, secret, Authorization value or key material in any log line or error
 * body, whatever a client sends. A real server with a bad config reports a JSON `config_error`
 * naming the file and the field, without the secret.
 */

import assert from "node:assert/strict";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";
import { startServer } from "../helpers/process.ts";

function _marker(prefix: string): string {
  return prefix + crypto.randomUUID().replaceAll("-", "");
}

const PASSWORD = _marker("pwmark");
const SECRET = _marker("secretmark"); // 42 characters: a valid HS256 secret
const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function _kp(): Promise<TestHandler> {
  const hash = await cheapHash(PASSWORD);
  return await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
audience: "registry.test"
hs256_secret: "${SECRET}"
policy_path: policy.yaml
trusted_proxies: ["10.0.0.1"]
lockout: { max_failures: 3, window_seconds: 60, lock_seconds: 60 }
`,
    files: {
      "policy.yaml": `users:
  alice:
    password_hash: "${hash}"
    repos: ["alice/*"]
    actions: ["pull"]
  bob:
    repos: ["bob/*"]
    actions: ["pull"]
`,
    },
  });
}

function _records(kp: TestHandler): Record<string, unknown>[] {
  return kp.logLines.map((l) => {
    assert.ok(!l.includes("\n"), "one line per record");
    return JSON.parse(l);
  });
}

Deno.test("the handler writes one JSON access-log line per request with the documented fields", async () => {
  const kp = await _kp();
  const requests: Array<[string, RequestInit, string, number, string | undefined]> = [
    ["/healthz", {}, "127.0.0.1", 200, undefined],
    [
      "/v2/token?scope=repository:alice/app:pull",
      {
        headers: { authorization: basicAuth("alice", PASSWORD) },
      },
      "192.0.2.7",
      200,
      "alice",
    ],
    [
      "/v2/token",
      { headers: { authorization: basicAuth("alice", "nope") } },
      "192.0.2.8",
      401,
      undefined,
    ],
    ["/v2/token", { headers: { "x-authenticated-user": "bob" } }, "10.0.0.1", 200, "bob"],
    ["/auth", { method: "POST", body: "{}" }, "::1", 200, undefined],
    ["/nowhere", {}, "127.0.0.1", 404, undefined],
    ["/auth", { method: "DELETE" }, "127.0.0.1", 405, undefined],
  ];
  for (const [i, [path, init, remote, status, sub]] of requests.entries()) {
    const before = kp.logLines.length;
    const res = await kp.fetch(path, init, remote);
    await res.body?.cancel();
    assert.equal(res.status, status, path);
    const lines = kp.logLines.slice(before).map((l) => JSON.parse(l));
    const access = lines.filter((r) => r.event === "request");
    assert.equal(access.length, 1, `exactly one access line for request ${i}`);
    const r = access[0];
    assert.equal(typeof r.time, "string");
    assert.ok(!Number.isNaN(Date.parse(r.time)), "time is ISO 8601");
    assert.equal(r.level, "info");
    assert.equal(r.method, init.method ?? "GET");
    assert.equal(r.route, status === 404 ? "unmatched" : path.split("?")[0]);
    assert.equal(r.status, status);
    assert.equal(typeof r.duration_ms, "number");
    assert.ok(r.duration_ms >= 0);
    assert.equal(r.remote, remote);
    if (sub === undefined) assert.ok(!("sub" in r), `no sub for request ${i}`);
    else assert.equal(r.sub, sub);
  }
  assert.equal(_records(kp).filter((r) => r.event === "request").length, requests.length);
});

Deno.test("no password, token, secret or Authorization value appears in any log line or error body", async () => {
  const kp = await _kp();
  const forbidden: string[] = [PASSWORD, SECRET];
  const errorBodies: string[] = [];
  const send = async (path: string, init: RequestInit = {}, remote = "127.0.0.1") => {
    const res = await kp.fetch(path, init, remote);
    const text = await res.text();
    if (res.status >= 400) errorBodies.push(text);
    const auth = new Headers(init.headers).get("authorization");
    if (auth !== null) forbidden.push(auth, auth.replace(/^\S+\s+/, ""));
    return { res, text };
  };

  // A right password: tokens and a refresh token come back
  const ok = await send(
    "/v2/token?scope=repository:alice/app:pull&offline_token=true&client_id=c",
    {
      headers: { authorization: basicAuth("alice", PASSWORD) },
    },
  );
  assert.equal(ok.res.status, 200);
  const issued = JSON.parse(ok.text);
  const token: string = issued.token;
  const refresh: string = issued.refresh_token;
  forbidden.push(token, token.split(".")[2], refresh, refresh.split(".")[2]);

  const wrongPassword = PASSWORD + "x";
  forbidden.push(wrongPassword);
  await send("/v2/token", { headers: { authorization: basicAuth("alice", wrongPassword) } });
  await send("/v2/token", { headers: { authorization: basicAuth(PASSWORD, PASSWORD) } });
  await send("/v2/token", { headers: { authorization: `Basic ${PASSWORD}` } });
  await send("/v2/token", { headers: { authorization: `Bearer ${token}` } });
  await send("/auth", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: "{}",
  });
  await send("/auth", {
    method: "POST",
    body: JSON.stringify({ password: PASSWORD, token, refresh_token: refresh, secret: SECRET }),
  });
  await send("/auth", { method: "POST", body: `{"password": "${PASSWORD}", "token": ${token}` });
  await send("/auth", { method: "POST", body: `{"a":${"[".repeat(50)}"${PASSWORD}"` });
  await send("/command/token", {
    method: "POST",
    body: JSON.stringify({ target: "t", command: "", password: PASSWORD }),
  });
  // OAuth2 grants with passwords and tokens in the form
  await send("/v2/token", {
    method: "POST",
    headers: FORM,
    body:
      `grant_type=password&username=alice&password=${wrongPassword}&client_id=c&service=registry.test`,
  });
  await send("/v2/token", {
    method: "POST",
    headers: FORM,
    body: `grant_type=refresh_token&refresh_token=${token}&client_id=c&service=registry.test`,
  });
  const tampered = refresh.slice(0, -4) + (refresh.endsWith("AAAA") ? "BBBB" : "AAAA");
  forbidden.push(tampered.split(".")[2]);
  await send("/v2/token", {
    method: "POST",
    headers: FORM,
    body: `grant_type=refresh_token&refresh_token=${tampered}&client_id=c&service=registry.test`,
  });
  await send("/v2/token", {
    method: "POST",
    headers: FORM,
    body: "grant_type=client_credentials&client_id=c&service=registry.test",
  });
  // Lock alice out, then offer the right password while locked
  for (let i = 0; i < 4; i++) {
    await send(
      "/v2/token",
      { headers: { authorization: basicAuth("alice", wrongPassword) } },
      "192.0.2.9",
    );
  }
  const locked = await send(
    "/v2/token",
    { headers: { authorization: basicAuth("alice", PASSWORD) } },
    "192.0.2.10",
  );
  assert.equal(locked.res.status, 429);
  // An identity header from an untrusted peer, carrying a "token"
  await send(
    "/v2/token",
    { headers: { "x-authenticated-user": token.slice(0, 100) } },
    "192.0.2.11",
  );

  const events = new Set(_records(kp).map((r) => r.event));
  assert.ok(events.has("request") && events.has("lockout"), `events: ${[...events]}`);
  const haystacks = [
    ...kp.logLines.map((l) => ["log line", l]),
    ...errorBodies.map((b) => ["error body", b]),
  ];
  for (const [what, text] of haystacks) {
    for (const secret of forbidden) {
      assert.ok(
        !text.includes(secret),
        `a secret (${secret.slice(0, 10)}…) appears in a ${what}: ${text}`,
      );
    }
  }
  assert.ok(errorBodies.length >= 12, `error bodies checked: ${errorBodies.length}`);
});

Deno.test("no private key material appears in logs, error bodies or the JWKS", async () => {
  const pem = await generateKeyPem("RS256");
  const kp = await makeTestHandler({
    configYaml: `issuer: "https://kp.test"\nrs256_private_key_path: key.pem\nkid: thumbprint\n`,
    files: { "key.pem": pem },
  });
  const bodies: string[] = [];
  for (
    const [path, init] of [
      ["/auth", { method: "POST", body: "{}" }],
      ["/auth", { method: "POST", body: "{" }],
      ["/.well-known/jwks.json", {}],
      ["/.well-known/openid-configuration", {}],
      ["/metrics", {}],
      ["/nothing", {}],
    ] as Array<[string, RequestInit]>
  ) {
    bodies.push(await (await kp.fetch(path, init)).text());
  }
  const jwks = JSON.parse(bodies[2]);
  for (const k of jwks.keys) {
    for (const p of ["d", "p", "q", "dp", "dq", "qi", "k"]) assert.ok(!(p in k), `JWKS has "${p}"`);
  }
  const material = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
  const all = [...kp.logLines, ...bodies].join("\n");
  for (const line of material) assert.ok(!all.includes(line), "a PEM line leaked");
});

Deno.test("a real server with a bad config logs a JSON config_error naming file and field, never the secret", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-logs-" });
  try {
    const cases: Array<[string, string]> = [
      // too short: refused as weak
      ["weak.yaml", `issuer: "https://kp.test"\nhs256_secret: "${SECRET.slice(0, 20)}"\n`],
      // unquoted digits: YAML reads a number
      [
        "number.yaml",
        `issuer: "https://kp.test"\nhs256_secret: 98765432109876543210987654321098765\n`,
      ],
      // valid secret, bad field elsewhere
      [
        "ttl.yaml",
        `issuer: "https://kp.test"\nhs256_secret: "${SECRET}"\ndefault_ttl_seconds: "soon"\n`,
      ],
    ];
    const fields = ["hs256_secret", "hs256_secret", "default_ttl_seconds"];
    for (const [i, [name, text]] of cases.entries()) {
      const path = `${dir}/${name}`;
      await Deno.writeTextFile(path, text);
      let output = "";
      try {
        const server = await startServer(path, { timeoutMs: 20_000 });
        await server.stop();
        assert.fail(`${name}: the server started with a bad config`);
      } catch (e) {
        output = e instanceof Error ? e.message : String(e);
      }
      const line = output.split("\n").find((l) => l.includes('"config_error"'));
      assert.ok(line !== undefined, `${name}: no config_error line in:\n${output}`);
      const rec = JSON.parse(line);
      assert.equal(rec.level, "error");
      assert.equal(rec.event, "config_error");
      assert.ok(rec.message.includes(path), `${name}: names the file: ${rec.message}`);
      assert.ok(rec.message.includes(fields[i]), `${name}: names the field: ${rec.message}`);
      for (const s of [SECRET, SECRET.slice(0, 20), "98765432109876543210", "9.876543"]) {
        assert.ok(!output.includes(s), `${name}: the secret appears in the output:\n${output}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
