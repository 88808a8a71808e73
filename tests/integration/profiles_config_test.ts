/**
 * The `profiles:` section: per kind audiences, lifetime caps, key, typ and issuer, and the
 * ClaimBuilder as configuration (`$.query.NAME`, `$.body.NAME`, `$.caller`, literals).
 */

import assert from "node:assert/strict";
import { decodeJws, generateKeyPem } from "../../src/jose/mod.ts";
import { basicAuth, cheapHash, makeTestHandler } from "../helpers/handler.ts";

const [A, B] = await Promise.all([generateKeyPem("ES256"), generateKeyPem("EdDSA")]);

Deno.test("profiles: each kind may have its own key, typ, issuer and lifetime cap", async () => {
  const kp = await makeTestHandler({
    configYaml: `issuer: https://kp.test
keys:
  - { path: a.pem, kid: main }
  - { path: b.pem, kid: commands }
max_ttl_seconds: 3600
profiles:
  auth: { max_ttl_seconds: 120, typ: "kp-auth+jwt" }
  command: { key: commands, issuer: "https://runner-issuer.test", audiences: ["runner"] }
`,
    files: { "a.pem": A, "b.pem": B },
  });
  const post = (path: string, body: unknown) =>
    kp.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const auth = decodeJws((await (await post("/auth", { ttl_seconds: 3000 })).json()).token);
  assert.equal(auth.header.typ, "kp-auth+jwt");
  assert.equal(auth.header.kid, "main");
  assert.equal((auth.payload.exp as number) - (auth.payload.iat as number), 120);
  const cmd = decodeJws(
    (await (await post("/command/token", { target: "runner", command: "ls" })).json()).token,
  );
  assert.equal(cmd.header.kid, "commands");
  assert.equal(cmd.header.alg, "EdDSA");
  assert.equal(cmd.payload.iss, "https://runner-issuer.test");
  const other = await post("/command/token", { target: "elsewhere", command: "ls" });
  assert.equal(other.status, 403, "command audiences are an allow-list once configured");
  await other.body?.cancel();
});

Deno.test("profiles: a key no key has is a config error naming the field", async () => {
  await assert.rejects(
    makeTestHandler({
      configYaml: `issuer: kp\nrs256_private_key_path: a.pem\nalgorithm: ES256\n` +
        `profiles: { auth: { key: nope } }\n`,
      files: { "a.pem": A },
    }),
    /profiles\.auth\.key: no key has kid "nope"/,
  );
});

Deno.test("ClaimBuilder as config: $.query, $.body, $.caller and literals shape /auth tokens", async () => {
  const kp = await makeTestHandler({
    configYaml: `issuer: https://kp.test
rs256_private_key_path: a.pem
algorithm: ES256
policy_path: p.yaml
require_authentication: { auth: true }
profiles:
  auth:
    claims:
      edge: "$.body.edge_id"
      region: "$.query.region"
      requested_by: "$.caller"
      tier: "gold"
`,
    files: {
      "a.pem": A,
      "p.yaml": `users:\n  ops:\n    password_hash: "${await cheapHash("pw")}"\n`,
    },
  });
  const res = await kp.fetch("/auth?region=eu-west", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: basicAuth("ops", "pw") },
    body: JSON.stringify({ edge_id: "e-7" }),
  });
  assert.equal(res.status, 200);
  const c = decodeJws((await res.json()).token).payload;
  assert.equal(c.edge, "e-7");
  assert.equal(c.region, "eu-west");
  assert.equal(c.requested_by, "ops");
  assert.equal(c.tier, "gold");
  assert.equal(c.sub, "ops");
});

Deno.test("ClaimBuilder as config: reserved claims and unknown sources are config errors", async () => {
  for (
    const [claims, pattern] of [
      ['{ access: "$.body.a" }', /profiles\.auth\.claims\.access: is set by the server/],
      ["{ exp: 1 }", /profiles\.auth\.claims\.exp/],
      ['{ x: "$.headers.y" }', /profiles\.auth\.claims\.x: "\$\.headers\.y" is not/],
    ] as const
  ) {
    await assert.rejects(
      makeTestHandler({
        configYaml: `issuer: kp\nhs256_secret: "${"s".repeat(32)}"\n` +
          `profiles: { auth: { claims: ${claims} } }\n`,
      }),
      pattern,
      claims,
    );
  }
});
