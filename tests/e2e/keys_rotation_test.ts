/**
 * Key rotation against a running server, and how `keypebble verify` picks keys: a `kid` is only a
 * lookup key, and a token without one is tried against every key of its algorithm.
 */

import assert from "node:assert/strict";
import { runKeypebble, type RunningServer, startServer } from "../helpers/process.ts";

function b64uDecode(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - s.length % 4) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function b64uEncode(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(b64uDecode(token.split(".")[0])));
}

async function keygen(dir: string, name: string, alg: string): Promise<string> {
  const r = await runKeypebble(["keygen", "--alg", alg, "--out", `${dir}/${name}`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function issue(server: RunningServer): Promise<string> {
  const res = await fetch(`${server.url}/auth`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: "rotator" }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).token;
}

async function health(server: RunningServer): Promise<Record<string, unknown>> {
  return await (await fetch(`${server.url}/healthz`)).json();
}

async function hupAndWait(server: RunningServer, generation: number): Promise<void> {
  server.signal("SIGHUP");
  const deadline = Date.now() + 10_000;
  while ((await health(server)).generation !== generation) {
    if (Date.now() > deadline) {
      throw new Error(`no generation ${generation}:\n${server.lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Verify a token with Web Crypto against the JWK the server publishes under its kid. */
async function verifiesWithServedJwks(server: RunningServer, token: string): Promise<boolean> {
  const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
  const kid = headerOf(token).kid;
  const jwk = jwks.keys.find((k: { kid: string }) => k.kid === kid);
  if (jwk === undefined) return false;
  const { kid: _k, alg: _a, use: _u, ...members } = jwk;
  const params = jwk.kty === "EC"
    ? { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" }
    : jwk.kty === "OKP"
    ? { name: "Ed25519" }
    : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("jwk", members, params, false, ["verify"]);
  const [h, p, s] = token.split(".");
  return await crypto.subtle.verify(
    params,
    key,
    b64uDecode(s),
    new TextEncoder().encode(`${h}.${p}`),
  );
}

function keysYaml(...paths: string[]): string {
  return `issuer: "https://rotate.test"\nkeys:\n${paths.map((p) => `  - path: ${p}\n`).join("")}`;
}

Deno.test("rotation: [A] → [B, A] → [B] over SIGHUP; old tokens verify until A is dropped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_rotate_" });
  const kidA = await keygen(dir, "a.pem", "ES256");
  const kidB = await keygen(dir, "b.pem", "EdDSA");
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(config, keysYaml("a.pem"));
  const server = await startServer(config);
  try {
    const old = await issue(server);
    assert.equal(headerOf(old).kid, kidA);
    assert.equal(headerOf(old).alg, "ES256");

    // Rotate: B signs, A is kept for verification and publication.
    await Deno.writeTextFile(config, keysYaml("b.pem", "a.pem"));
    await hupAndWait(server, 2);
    const fresh = await issue(server);
    assert.equal(headerOf(fresh).kid, kidB);
    assert.equal(headerOf(fresh).alg, "EdDSA");
    const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid), [kidB, kidA]);
    assert.ok(await verifiesWithServedJwks(server, old), "old token verifies via served JWKS");
    assert.ok(await verifiesWithServedJwks(server, fresh), "new token verifies via served JWKS");
    for (const t of [old, fresh]) {
      const r = await runKeypebble(["verify", "--config", config, t]);
      assert.equal(r.code, 0, r.stderr);
    }

    // Drop A: its tokens no longer verify, B's still do.
    await Deno.writeTextFile(config, keysYaml("b.pem"));
    await hupAndWait(server, 3);
    assert.equal(await verifiesWithServedJwks(server, old), false);
    const rOld = await runKeypebble(["verify", "--config", config, old]);
    assert.equal(rOld.code, 1);
    assert.match(rOld.stderr, /unknown_key/);
    const rNew = await runKeypebble(["verify", "--config", config, fresh]);
    assert.equal(rNew.code, 0, rNew.stderr);
    assert.ok(await verifiesWithServedJwks(server, fresh));
    assert.equal(headerOf(await issue(server)).kid, kidB);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify treats kid as a lookup key only: a path-like kid is an unknown key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_kid_" });
  await keygen(dir, "a.pem", "ES256");
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(config, keysYaml("a.pem"));
  try {
    const t = (await runKeypebble(["issue", "--config", config])).stdout.trim();
    const [, p, s] = t.split(".");
    for (const kid of ["../../etc/passwd", "/etc/passwd", "a.pem", `${dir}/a.pem`]) {
      const h = b64uEncode(
        new TextEncoder().encode(JSON.stringify({ alg: "ES256", typ: "JWT", kid })),
      );
      const r = await runKeypebble(["verify", "--config", config, `${h}.${p}.${s}`]);
      assert.equal(r.code, 1, kid);
      assert.match(r.stderr, /unknown_key/, kid);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify without a kid tries every key of the token's alg", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_nokid_" });
  await keygen(dir, "a.pem", "RS256");
  await keygen(dir, "b.pem", "RS256");
  await keygen(dir, "c.pem", "ES256");
  const secret = "no-kid-hmac-secret-0123456789abcdefghijkl";
  await Deno.writeTextFile(`${dir}/hmac.txt`, secret);
  try {
    // A single-key config without a kid signs with the key's thumbprint (JWKS clients select
    // by kid); the listed config below finds it by the same thumbprint.
    const legacy = `${dir}/legacy.yaml`;
    await Deno.writeTextFile(
      legacy,
      `issuer: "https://rotate.test"\nrs256_private_key_path: a.pem\n`,
    );
    const t = (await runKeypebble(["issue", "--config", legacy])).stdout.trim();
    assert.match(String(headerOf(t).kid), /^[A-Za-z0-9_-]{43}$/);
    // The new config lists A second, behind B and an ES256 key: still found by alg.
    const listed = `${dir}/listed.yaml`;
    await Deno.writeTextFile(
      listed,
      `${keysYaml("c.pem", "b.pem", "a.pem")}  - secret_path: hmac.txt\n    kid: h1\n`,
    );
    const r = await runKeypebble(["verify", "--config", listed, t]);
    assert.equal(r.code, 0, r.stderr);
    // Without A, no RS256 key matches.
    const withoutA = `${dir}/without_a.yaml`;
    await Deno.writeTextFile(withoutA, keysYaml("c.pem", "b.pem"));
    const r2 = await runKeypebble(["verify", "--config", withoutA, t]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /invalid_signature|unknown_key/);

    // An HS256 token without a kid, made by hand with the shared secret.
    const enc = new TextEncoder();
    const now = Math.floor(Date.now() / 1000);
    const h = b64uEncode(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
    const p = b64uEncode(
      enc.encode(JSON.stringify({ iss: "https://rotate.test", iat: now, exp: now + 60 })),
    );
    const key = await crypto.subtle.importKey(
      "raw",
      enc.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${h}.${p}`)));
    const r3 = await runKeypebble(["verify", "--config", listed, `${h}.${p}.${b64uEncode(sig)}`]);
    assert.equal(r3.code, 0, r3.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
