/**
 * Every token kind, for every algorithm, verified by an independent JWT library (npm `jose`, a
 * test-only import) using nothing but our published JWKS (or the shared secret for HS256). The
 * openssl checks of the same thing are in tests/e2e/keys_interop_test.ts.
 */

import assert from "node:assert/strict";
// A test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "npm:jose@5.9.6";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";
import { runKeypebble } from "../helpers/process.ts";

const SECRET = "an HS256 secret that is long enough for RFC 7518";

async function server(alg: "HS256" | "RS256" | "ES256" | "EdDSA"): Promise<TestHandler> {
  const keyLine = alg === "HS256"
    ? "hs256_secret_path: secret.txt\nkid: hs1\n"
    : `rs256_private_key_path: key.pem\nalgorithm: ${alg}\nkid: thumbprint\n`;
  return await makeTestHandler({
    configYaml: `issuer: https://kp.example\naudience: registry\n${keyLine}policy_path: p.yaml\n`,
    files: {
      "secret.txt": SECRET,
      ...(alg === "HS256" ? {} : { "key.pem": await generateKeyPem(alg) }),
      "p.yaml": `users:\n  alice:\n    password_hash: "${await cheapHash(
        "pw",
      )}"\n    repos: ["alice/*"]\n    actions: [pull, push]\n`,
    },
  });
}

/** Each kind's token, the audience it must carry (none for /auth here) and its typ. */
async function tokens(
  kp: TestHandler,
): Promise<Record<string, { token: string; aud?: string; typ: string }>> {
  const json = { "content-type": "application/json" };
  const auth = await (await kp.fetch("/auth", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ sub: "edge" }),
  })).json();
  const registry = await (await kp.fetch(
    "/v2/token?service=registry&scope=repository:alice/app:pull",
    { headers: { authorization: basicAuth("alice", "pw") } },
  )).json();
  const command = await (await kp.fetch("/command/token", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ target: "edge-1", command: "uptime" }),
  })).json();
  const k8s = await (await kp.fetch("/api/v1/namespaces/ci/serviceaccounts/builder/token", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ spec: { audiences: ["vault"] } }),
  })).json();
  return {
    // "registry" is the registry's service (a policy is set): /auth never signs it by default.
    auth: { token: auth.token, typ: "JWT" },
    registry: { token: registry.token, aud: "registry", typ: "kp-registry+jwt" },
    command: { token: command.token, aud: "edge-1", typ: "kp-command+jwt" },
    kubernetes: { token: k8s.status.token, aud: "vault", typ: "JWT" },
  };
}

for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
  Deno.test(`npm jose verifies every ${alg} token kind through the JWKS alone`, async () => {
    const kp = await server(alg);
    const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
    const keySet = createLocalJWKSet(jwks);
    for (const [kind, { token, aud, typ }] of Object.entries(await tokens(kp))) {
      const { protectedHeader, payload } = await jwtVerify(token, keySet, {
        issuer: "https://kp.example",
        ...(aud === undefined ? {} : { audience: aud }),
        algorithms: [alg],
        typ,
      });
      if (aud === undefined) assert.equal(payload.aud, undefined, kind);
      assert.equal(protectedHeader.alg, alg, kind);
      assert.equal(protectedHeader.typ, typ, kind);
      assert.equal(typeof payload.jti, "string", kind);
      // A one-character change in the payload must fail verification.
      const [h, p, s] = token.split(".");
      const tampered = `${h}.${p.slice(0, -2)}${p.at(-2) === "A" ? "B" : "A"}${p.at(-1)}.${s}`;
      await assert.rejects(jwtVerify(tampered, keySet), kind);
    }
  });
}

Deno.test("npm jose verifies every HS256 token kind with the shared secret", async () => {
  const kp = await server("HS256");
  const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
  assert.deepEqual(jwks.keys, [], "HMAC keys are never published");
  const secret = new TextEncoder().encode(SECRET);
  for (const [kind, { token, aud }] of Object.entries(await tokens(kp))) {
    assert.equal(decodeProtectedHeader(token).kid, "hs1", kind);
    await jwtVerify(token, secret, {
      issuer: "https://kp.example",
      ...(aud === undefined ? {} : { audience: aud }),
      algorithms: ["HS256"],
    });
    await assert.rejects(jwtVerify(token, new TextEncoder().encode(SECRET + "x")), kind);
  }
});

Deno.test("npm jose verifies a token from `keypebble issue`", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/key.pem`, await generateKeyPem("RS256"));
    await Deno.writeTextFile(
      `${dir}/kp.yaml`,
      "issuer: https://kp.example\naudience: edge\nrs256_private_key_path: key.pem\n",
    );
    const out = await runKeypebble([
      "issue",
      "--config",
      `${dir}/kp.yaml`,
      "--claims",
      '{"sub":"a"}',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const jwks = await runKeypebble(["jwks", "--config", `${dir}/kp.yaml`]);
    const { payload } = await jwtVerify(
      out.stdout.trim(),
      createLocalJWKSet(JSON.parse(jwks.stdout)),
      { issuer: "https://kp.example", audience: "edge", algorithms: ["RS256"] },
    );
    assert.equal(payload.sub, "a");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
