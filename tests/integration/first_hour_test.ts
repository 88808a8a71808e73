/**
 * What a newcomer meets when building a runtime: single keys behave like a one-item list,
 * certificates given as keys are named as such, secrets lose surrounding whitespace (as in the
 * Python Keypebble), the Python fallback policy, and warnings for configurations that would
 * start but not work.
 */

import assert from "node:assert/strict";
import { generateKeyPem, jwkThumbprint, verifyJws } from "../../src/jose/mod.ts";
import { KeypebbleError } from "../../src/errors.ts";
import { loadConfig, loadRuntime } from "../../src/runtime/mod.ts";
import { makeTestHandler, memoryIo } from "../helpers/handler.ts";

const SECRET = "0123456789abcdef0123456789abcdef";

Deno.test("an EC key in the single-key fields works and gets its thumbprint as kid", async () => {
  const kp = await makeTestHandler({
    configYaml: "issuer: kp\nrs256_private_key_path: ec.pem\n",
    files: { "ec.pem": await generateKeyPem("ES256") },
  });
  const active = kp.runtime.keyring.active;
  assert.equal(active.alg, "ES256");
  assert.equal(active.kid, await jwkThumbprint(active.publicJwk!));
  const res = await kp.fetch("/auth", { method: "POST", body: "{}" });
  const { token } = await res.json();
  const { header } = await verifyJws(token, kp.runtime.keyring.keys, {
    now: Math.floor(Date.now() / 1000),
  });
  assert.equal(header.kid, active.kid);
  const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
  assert.equal(jwks.keys[0].kid, active.kid);
});

Deno.test("a certificate given as the key file is named as a certificate", async () => {
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  await assert.rejects(
    makeTestHandler({
      configYaml: "issuer: kp\nrs256_private_key_path: cert.pem\n",
      files: { "cert.pem": cert },
    }),
    (e) =>
      e instanceof KeypebbleError &&
      /rs256_private_key_path: is a certificate, not a private key.*x5c_chain_path/
        .test(e.message),
  );
});

Deno.test("a secret file's surrounding whitespace is stripped and said so", async () => {
  const a = await makeTestHandler({
    configYaml: "issuer: kp\nhs256_secret_path: s\nkid: h\n",
    files: { s: `${SECRET}\n` },
  });
  const b = await makeTestHandler({
    configYaml: "issuer: kp\nhs256_secret_path: s\nkid: h\n",
    files: { s: `  ${SECRET} \r\n` },
  });
  const c = await makeTestHandler({
    configYaml: `issuer: kp\nhs256_secret: "${SECRET}"\nkid: h\n`,
  });
  const token = (await (await c.fetch("/auth", { method: "POST", body: "{}" })).json()).token;
  for (const kp of [a, b]) {
    await verifyJws(token, kp.runtime.keyring.keys, { now: Math.floor(Date.now() / 1000) });
    assert.ok(kp.notices.some((n) => n.event === "config_compat"));
  }
});

Deno.test("without policy_path the Python fallback /etc/keypebble/policy.yaml is used when present", async () => {
  const files = new Map<string, string>([
    ["/kp/config.yaml", `issuer: kp\naudience: r\nhs256_secret: "${SECRET}"\n`],
    ["/etc/keypebble/policy.yaml", "users:\n  alice:\n    repos: [a]\n    actions: [pull]\n"],
  ]);
  const io = { ...memoryIo(files), env: () => undefined };
  const config = await loadConfig(io, "/kp/config.yaml");
  assert.equal(config.policyPath, "/etc/keypebble/policy.yaml");
  assert.ok(config.compat.some((n) => n.field === "policy_path"));
  // The audience is then the registry's: /auth tokens do not carry it by default.
  assert.equal(config.profiles.auth.audiences, undefined);
  const rt = await loadRuntime(io, "/kp/config.yaml", { generation: 1 });
  assert.equal(rt.policy?.source, "/etc/keypebble/policy.yaml");
  // Named explicitly, or absent: no fallback.
  files.set("/kp/other.yaml", `issuer: kp\nhs256_secret: "${SECRET}"\npolicy_path: p.yaml\n`);
  files.set("/kp/p.yaml", "users: {}\n");
  assert.equal((await loadConfig(io, "/kp/other.yaml")).policyPath, "/kp/p.yaml");
  files.delete("/etc/keypebble/policy.yaml");
  assert.equal((await loadConfig(io, "/kp/config.yaml")).policyPath, undefined);
});

Deno.test("policy patterns whose meaning changed since the Python Keypebble are named", async () => {
  const kp = await makeTestHandler({
    configYaml:
      `issuer: kp\naudience: r\nhs256_secret: "${SECRET}"\npolicy_path: p.yaml\ntrusted_proxies: ["127.0.0.1"]\n`,
    files: {
      "p.yaml": `users:
  alice:
    repos: ["acme/*", "shared/**", "literal/app", "registry:catalog:*", "v?"]
    actions: [pull]
`,
    },
  });
  const changed = kp.notices.filter((n) => n.event === "policy_pattern_changed");
  assert.deepEqual(changed.map((n) => n.fields.field), [
    "/kp/p.yaml: users.alice.repos[0]",
    "/kp/p.yaml: users.alice.repos[4]",
  ]);
  assert.match(String(changed[0].fields.message), /"acme\/\*".*write "acme\/\*\*"/);
  // The stricter meaning is what is enforced: acme/team/app is not granted.
  const res = await kp.fetch(
    "/v2/token?service=r&scope=repository:acme/team/app:pull&scope=repository:acme/app:pull",
    { headers: { "x-authenticated-user": "alice" } },
    "127.0.0.1",
  );
  assert.equal(res.status, 200);
  const { claims } = await res.json();
  assert.deepEqual(claims.access, [{ type: "repository", name: "acme/app", actions: ["pull"] }]);
});

Deno.test("require_authentication without a policy or proxies is a warning at start", async () => {
  const kp = await makeTestHandler({
    configYaml: `issuer: kp\nhs256_secret: "${SECRET}"\nrequire_authentication: true\n`,
  });
  assert.ok(
    kp.notices.some((n) =>
      n.level === "warn" && n.fields.field === "require_authentication" &&
      /every caller will be refused/.test(String(n.fields.message))
    ),
  );
});
