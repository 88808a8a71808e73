/**
 * The token kinds are kept apart (issue 10's hostile review): each finding reproduced against the
 * handler, with the registry set-up of docs/registry.md where the finding used it. Each test failed on the
 * code before the profile table.
 */

import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/mod.ts";
import { createHandler, createServices } from "../../src/app/mod.ts";
import { publicReloadStatus } from "../../src/http/health_route.ts";
import { decodeJws, generateKeyPem, verifyJws } from "../../src/jose/mod.ts";
import { createLogger } from "../../src/log/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const KEY = await generateKeyPem("RS256");
const SERVICE = "registry.example.com";
const JSON_CT = { "content-type": "application/json" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** The registry set-up of docs/registry.md ("Run a private registry"), in memory. */
async function readmeRegistry(
  extra = "",
  policyExtra = "",
  clock?: { t: number },
): Promise<TestHandler> {
  return await makeTestHandler({
    configYaml: `issuer: "keypebble"
audience: "${SERVICE}"
rs256_private_key_path: "keys/registry.key"
policy_path: "policy.yaml"
${extra}`,
    files: {
      "keys/registry.key": KEY,
      "policy.yaml": `read_write: &read_write
  actions: ["pull", "push"]
users:
  alice:
    password_hash: "${await cheapHash("alice-pw")}"
    repos: ["shared/*", "alice/*"]
    actions: ["pull"]
  ci-bot:
    password_hash: "${await cheapHash("ci-pw")}"
    repos: ["shared/*", "acme/*"]
    <<: *read_write
${policyExtra}`,
    },
    ...(clock === undefined ? {} : { now: () => clock.t }),
  });
}

function post(kp: TestHandler, path: string, body: unknown, headers = {}): Promise<Response> {
  return kp.fetch(path, {
    method: "POST",
    headers: { ...JSON_CT, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function error(res: Response): Promise<string> {
  return (await res.json()).error;
}

const ACCESS = [{ type: "repository", name: "acme/app", actions: ["pull", "push", "delete"] }];

Deno.test("finding 1: POST /auth never signs `access`, anonymous or authenticated", async () => {
  const kp = await readmeRegistry();
  const anon = await post(kp, "/auth", { access: ACCESS });
  assert.equal(anon.status, 400);
  assert.equal(await error(anon), "invalid_claims");
  const authed = await readmeRegistry("require_authentication: true\n");
  const alice = await post(authed, "/auth", { access: ACCESS }, {
    authorization: basicAuth("alice", "alice-pw"),
  });
  assert.equal(alice.status, 400);
  await alice.body?.cancel();
});

Deno.test("finding 1: /auth tokens of the documented registry set-up carry no registry audience", async () => {
  const kp = await readmeRegistry();
  const res = await post(kp, "/auth", { edge_id: "e-1" });
  assert.equal(res.status, 200);
  const { token } = await res.json();
  const claims = decodeJws(token).payload;
  assert.equal(claims.aud, undefined);
  assert.equal(claims.access, undefined);
  // What the registry checks: aud must contain its service. It does not.
  await assert.rejects(
    verifyJws(token, kp.runtime.keyring.keys, { now: claims.iat as number, audience: SERVICE }),
  );
});

Deno.test("finding 1: /auth signs aud only from profiles.auth.audiences", async () => {
  const kp = await readmeRegistry();
  const other = await post(kp, "/auth", { aud: "some-other-service" });
  assert.equal(other.status, 403);
  assert.equal(await error(other), "forbidden");
  const svc = await post(kp, "/auth", { aud: SERVICE });
  assert.equal(svc.status, 403);
  await svc.body?.cancel();
  const listed = await readmeRegistry('profiles: { auth: { audiences: ["edge-api", "ops"] } }\n');
  const ok = await post(listed, "/auth", { aud: "ops" });
  assert.equal(ok.status, 200);
  assert.equal(decodeJws((await ok.json()).token).payload.aud, "ops");
  const dflt = await post(listed, "/auth", {});
  assert.equal(decodeJws((await dflt.json()).token).payload.aud, "edge-api");
});

Deno.test("finding 1: an /auth audience that is a registry service is a config error unless allowed", () => {
  const base = `issuer: kp\naudience: ${SERVICE}\nhs256_secret: "${"s".repeat(32)}"\n`;
  assert.throws(
    () => parseConfig(base + `profiles: { auth: { audiences: ["${SERVICE}"] } }\n`, "c.yaml"),
    /c\.yaml: profiles\.auth\.audiences: "registry\.example\.com" is also a registry service/,
  );
  const ok = parseConfig(
    base + `profiles: { auth: { audiences: ["${SERVICE}"], allow_registry_audience: true } }\n`,
    "c.yaml",
  );
  assert.deepEqual(ok.profiles.auth.audiences, [SERVICE]);
});

Deno.test("finding 1: /command/token cannot target a registry or pose as a Kubernetes token", async () => {
  const kp = await readmeRegistry();
  const reg = await post(kp, "/command/token", { target: SERVICE, command: "ls" });
  assert.equal(reg.status, 403);
  await reg.body?.cancel();
  const sa = await post(kp, "/command/token", {
    target: "vault",
    user: "system:serviceaccount:kube-system:default",
    command: "ls",
  });
  assert.equal(sa.status, 403);
  assert.equal(await error(sa), "forbidden");
  const ok = await post(kp, "/command/token", { target: "vault", command: "ls" });
  assert.equal(ok.status, 200);
  const { token } = await ok.json();
  assert.equal(decodeJws(token).header.typ, "kp-command+jwt");
});

Deno.test("finding 1: no kind's own claims can be requested through another kind", async () => {
  const kp = await readmeRegistry();
  for (const claim of ["access", "kubernetes.io", "command"]) {
    const res = await post(kp, "/auth", { [claim]: "x" });
    assert.equal(res.status, 400, claim);
    await res.body?.cancel();
  }
  const k8s = await post(kp, "/api/v1/namespaces/ci/serviceaccounts/b/token", {
    spec: { audiences: [SERVICE] },
  });
  assert.equal(k8s.status, 403, "a registry service is never a Kubernetes audience");
  await k8s.body?.cancel();
});

async function offlineRefresh(kp: TestHandler, user: string, pw: string): Promise<string> {
  const res = await kp.fetch(
    `/v2/token?service=${SERVICE}&offline_token=true&client_id=docker`,
    { headers: { authorization: basicAuth(user, pw) } },
  );
  assert.equal(res.status, 200);
  return (await res.json()).refresh_token;
}

function redeem(kp: TestHandler, refresh: string, remote = "192.0.2.7"): Promise<Response> {
  return kp.fetch("/v2/token", {
    method: "POST",
    headers: FORM,
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refresh,
      service: SERVICE,
      client_id: "docker",
    }),
  }, remote);
}

Deno.test("finding 3: a user removed from the policy cannot redeem a refresh token, even with a * entry", async () => {
  const before = await readmeRegistry();
  const refresh = await offlineRefresh(before, "alice", "alice-pw");
  const ok = await redeem(before, refresh);
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  // The same key, alice removed, a "*" entry present.
  const after = await makeTestHandler({
    configYaml: `issuer: "keypebble"\naudience: "${SERVICE}"\n` +
      `rs256_private_key_path: "k.pem"\npolicy_path: "p.yaml"\n`,
    files: {
      "k.pem": KEY,
      "p.yaml": `users:\n  "*":\n    repos: ["shared/*"]\n    actions: ["pull"]\n`,
    },
  });
  const res = await redeem(after, refresh);
  assert.equal(res.status, 400);
  assert.equal(await error(res), "invalid_grant");
});

Deno.test("finding 3: a locked-out user's refresh grant is refused, and the principal limit applies", async () => {
  const kp = await readmeRegistry("lockout: { max_failures: 3 }\n");
  const refresh = await offlineRefresh(kp, "alice", "alice-pw");
  for (let i = 0; i < 3; i++) {
    const bad = await kp.fetch(`/v2/token?service=${SERVICE}`, {
      headers: { authorization: basicAuth("alice", "wrong") },
    }, `198.51.100.${i + 1}`);
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
  }
  const locked = await redeem(kp, refresh);
  assert.equal(locked.status, 429);
  assert.equal(await error(locked), "locked_out");

  const limited = await readmeRegistry(
    "rate_limit: { per_principal: { requests: 2, window_seconds: 60 }, per_address: null }\n",
  );
  const r2 = await offlineRefresh(limited, "ci-bot", "ci-pw"); // 1st request of ci-bot
  const first = await redeem(limited, r2); // 2nd
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const over = await redeem(limited, r2); // 3rd: over the limit
  assert.equal(over.status, 429);
  assert.equal(await error(over), "rate_limited");
});

Deno.test("finding 3: offline_token without client_id is refused rather than unredeemable", async () => {
  const kp = await readmeRegistry();
  const res = await kp.fetch(`/v2/token?service=${SERVICE}&offline_token=true`, {
    headers: { authorization: basicAuth("alice", "alice-pw") },
  });
  assert.equal(res.status, 400);
  assert.equal(await error(res), "invalid_request");
});

Deno.test("finding 4: successful logins do not reset the address's failure count", async () => {
  const clock = { t: Date.UTC(2030, 0, 1) };
  const kp = await readmeRegistry(
    "lockout: { max_failures: 5, window_seconds: 300 }\nrate_limit: { per_address: null, per_principal: null }\n",
    "",
    clock,
  );
  const statuses: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) {
      // Wrong guesses at other users' passwords from one address.
      const r = await kp.fetch(`/v2/token?service=${SERVICE}`, {
        headers: { authorization: basicAuth(`victim${round}-${i}`, "guess") },
      }, "203.0.113.9");
      statuses.push(r.status);
      await r.body?.cancel();
    }
    const good = await kp.fetch(`/v2/token?service=${SERVICE}`, {
      headers: { authorization: basicAuth("alice", "alice-pw") },
    }, "203.0.113.9");
    statuses.push(good.status);
    await good.body?.cancel();
  }
  assert.ok(statuses.includes(429), `never locked: ${statuses}`);
});

Deno.test("finding 7: failed logins through a trusted proxy are limited per target user", async () => {
  const kp = await readmeRegistry(
    'trusted_proxies: ["10.0.0.1"]\nlockout: { enabled: false }\n' +
      "rate_limit: { per_principal: { requests: 10, window_seconds: 60 } }\n",
  );
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await kp.fetch(`/v2/token?service=${SERVICE}`, {
      headers: { authorization: basicAuth("alice", `guess-${i}`) },
    }, "10.0.0.1");
    statuses.push(r.status);
    await r.body?.cancel();
  }
  assert.equal(statuses.filter((s) => s === 401).length, 10);
  assert.equal(statuses.filter((s) => s === 429).length, 30);
});

Deno.test("finding 9: a secret in a key field never reaches the error, the log or /healthz", async () => {
  const pemInline = KEY.trim().replaceAll("\n", "\\n");
  const yaml = `issuer: kp\nrs256_private_key: "${pemInline}"\n`;
  let message = "";
  try {
    await makeTestHandler({ configYaml: yaml });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /rs256_private_key/);
  assert.ok(!message.includes("BEGIN"), message);
  assert.ok(!message.includes(KEY.split("\n")[1].slice(0, 20)), message);
  const secretPath = `issuer: kp\nhs256_secret_path: "hunter2-is-my-secret"\n`;
  await assert.rejects(makeTestHandler({ configYaml: secretPath }), (e: Error) => {
    assert.ok(!e.message.includes("hunter2"), e.message);
    return true;
  });

  // /healthz: a code and the field, never the message or a path.
  const status = publicReloadStatus({
    outcome: "failure",
    at: "2030-01-01T00:00:00Z",
    error: `/etc/keypebble/config.yaml: rs256_private_key: cannot read "-----BEGIN PRIVATE KEY"`,
  });
  assert.deepEqual(status, {
    outcome: "failure",
    at: "2030-01-01T00:00:00Z",
    error: "reload_failed",
    field: "rs256_private_key",
  });
  const kp = await readmeRegistry();
  const services = createServices({
    runtime: () => kp.runtime,
    config: kp.runtime.config,
    logger: createLogger({ level: "error", write: () => {}, now: () => new Date() }),
    runtimeName: "test",
    reloadStatus: () => ({
      outcome: "failure",
      error: "/srv/kp/config.yaml: hs256_secret_path: the secret is sw0rdf1sh",
    }),
  });
  const res = await createHandler(services)(new Request("http://kp/healthz"), {
    remoteAddr: "127.0.0.1",
  });
  const text = await res.text();
  assert.ok(!text.includes("/srv/kp") && !text.includes("sw0rdf1sh"), text);
  assert.match(text, /"field":"hs256_secret_path"/);
});

Deno.test("finding 10: /auth refuses claim values that would not round-trip", async () => {
  const kp = await readmeRegistry("allowed_custom_claims: [sub, n, note]\n");
  for (
    const body of [
      '{"sub": {"a": 1}}',
      '{"sub": ["a"]}',
      '{"sub": "a\\u0000b"}',
      '{"sub": "bad uri:x y"}',
      '{"note": "\\ud800"}',
      '{"note": "a\\u0007"}',
      '{"n": 1e400}',
    ]
  ) {
    const res = await post(kp, "/auth", body);
    assert.equal(res.status, 400, body);
    assert.equal(await error(res), "invalid_claims", body);
  }
  const ok = await post(kp, "/auth", '{"sub": "urn:edge:7", "n": 1.5, "note": "ålice 😀"}');
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("finding 10: a UTF-8 X-Authenticated-User is read as UTF-8", async () => {
  const kp = await readmeRegistry('trusted_proxies: ["10.0.0.1"]\n');
  // What the socket delivers: the UTF-8 bytes of "ålice", one char per byte.
  const bytes = new TextEncoder().encode("ålice");
  const latin1 = String.fromCharCode(...bytes);
  const res = await kp.fetch(`/v2/token?service=${SERVICE}`, {
    headers: { "x-authenticated-user": latin1 },
  }, "10.0.0.1");
  assert.equal(res.status, 200);
  assert.equal(decodeJws((await res.json()).token).payload.sub, "ålice");
  const bad = await kp.fetch(`/v2/token?service=${SERVICE}`, {
    headers: { "x-authenticated-user": "\xc3\x28" },
  }, "10.0.0.1");
  assert.equal(bad.status, 401);
  await bad.body?.cancel();
});

Deno.test("finding 10: a single key without kid is published and signs with its thumbprint", async () => {
  const kp = await readmeRegistry();
  const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
  assert.equal(jwks.keys.length, 1);
  assert.equal(typeof jwks.keys[0].kid, "string");
  const res = await post(kp, "/auth", {});
  assert.equal(decodeJws((await res.json()).token).header.kid, jwks.keys[0].kid);
});

Deno.test("finding 10: a private key readable by others is warned about", async () => {
  const { buildKeyring } = await import("../../src/runtime/mod.ts");
  const config = parseConfig(`issuer: kp\nrs256_private_key_path: /k.pem\n`, "c.yaml");
  const notices: { event: string; fields: Record<string, unknown> }[] = [];
  const io = {
    readTextFile: () => Promise.resolve(KEY),
    writePrivateFile: () => Promise.reject(new Error("no")),
    fileMode: () => Promise.resolve(0o100644),
  };
  await buildKeyring(config, io, { notices: notices as never });
  const n = notices.find((x) => x.event === "key_file_permissions");
  assert.ok(n !== undefined);
  assert.equal(n.fields.mode, "0644");
  const quiet: typeof notices = [];
  await buildKeyring(config, { ...io, fileMode: () => Promise.resolve(0o100600) }, {
    notices: quiet as never,
  });
  assert.equal(quiet.length, 0);
});

Deno.test("finding 10: YAML aliases cannot expand a config past the size cap", () => {
  const big = "x".repeat(1_000_000);
  const yaml = `issuer: kp\nhs256_secret: "${"s".repeat(32)}"\nstatic_claims:\n  a: &a "${big}"\n` +
    `  b: [${Array(99).fill("*a").join(", ")}]\n`;
  assert.throws(() => parseConfig(yaml, "c.yaml"), /c\.yaml: expands .* beyond the size limit/);
});

Deno.test("finding 10: an empty host is refused, from the environment or the file", () => {
  const yaml = `issuer: kp\nhs256_secret: "${"s".repeat(32)}"\n`;
  assert.throws(
    () => parseConfig(yaml, "c.yaml", { env: { KEYPEBBLE_HOST: "" } }),
    /KEYPEBBLE_HOST: must not be empty/,
  );
});

Deno.test("finding 1: static_claims cannot turn /auth tokens into another kind", async () => {
  for (
    const [claims, pattern] of [
      ["{ access: [] }", /static_claims\.access: belongs to another kind/],
      [`{ aud: "${SERVICE}" }`, /static_claims\.aud: is a registry service/],
    ] as const
  ) {
    await assert.rejects(readmeRegistry(`static_claims: ${claims}\n`), pattern);
  }
});
