/**
 * Independent verification: every algorithm × every token kind, checked by `openssl` using only
 * what a relying party has — the JWKS document fetched from the running server (or, for HS256,
 * the shared secret). Keys are made by `openssl genpkey`, not by Keypebble.
 *
 * The JWK → PEM step imports the JWK with Web Crypto and exports SPKI; the signature check itself
 * is always done by openssl, so a bug in our signer cannot hide behind our verifier.
 */

import assert from "node:assert/strict";
import { run, startServer } from "../helpers/process.ts";

type Alg = "HS256" | "RS256" | "ES256" | "EdDSA";
const ALGS: Alg[] = ["HS256", "RS256", "ES256", "EdDSA"];
const SECRET = "interop-hmac-secret-0123456789abcdefghijklmnopqrstuv";

function b64uDecode(s: string): Uint8Array {
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - s.length % 4) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function b64uJson(s: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(b64uDecode(s)));
}

function pem(label: string, der: Uint8Array): string {
  let bin = "";
  for (const b of der) bin += String.fromCharCode(b);
  const body = btoa(bin).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** DER INTEGER from an unsigned big-endian magnitude (ITU-T X.690 §8.3). */
function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.slice(i);
  if (v[0] & 0x80) v = Uint8Array.of(0, ...v);
  return Uint8Array.of(0x02, v.length, ...v);
}

/** JWS ES256 signatures are raw r||s (RFC 7518 §3.4); openssl wants an ECDSA-Sig-Value. */
function rawEcdsaToDer(sig: Uint8Array): Uint8Array {
  assert.equal(sig.length, 64, "an ES256 signature is 64 bytes");
  const r = derInteger(sig.slice(0, 32));
  const s = derInteger(sig.slice(32));
  return Uint8Array.of(0x30, r.length + s.length, ...r, ...s);
}

/** A public JWK from the JWKS → SPKI PEM, via Web Crypto import/export. */
async function jwkToPem(jwk: Record<string, unknown>): Promise<string> {
  const { kid: _kid, alg: _alg, use: _use, ...members } = jwk;
  let params: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  if (jwk.kty === "RSA") params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  else if (jwk.kty === "EC") params = { name: "ECDSA", namedCurve: "P-256" };
  else params = { name: "Ed25519" };
  const key = await crypto.subtle.importKey("jwk", members as JsonWebKey, params, true, [
    "verify",
  ]);
  return pem("PUBLIC KEY", new Uint8Array(await crypto.subtle.exportKey("spki", key)));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Verify `token` with openssl only. Returns true when openssl accepts the signature.
 * `jwks` is the document fetched from the server; HS256 uses the shared secret.
 */
async function opensslVerifies(
  dir: string,
  token: string,
  jwks: { keys: Record<string, unknown>[] },
): Promise<boolean> {
  const [h, p, s] = token.split(".");
  const header = b64uJson(h);
  const input = `${dir}/input`;
  await Deno.writeTextFile(input, `${h}.${p}`);
  const sig = b64uDecode(s);
  if (header.alg === "HS256") {
    const out = await run("openssl", [
      "dgst",
      "-sha256",
      "-mac",
      "HMAC",
      "-macopt",
      `hexkey:${hex(new TextEncoder().encode(SECRET))}`,
      "-hex",
      input,
    ]);
    const mac = out.stdout.trim().split(/\s+/).pop()!;
    return mac === hex(sig);
  }
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `the JWKS publishes kid ${String(header.kid)}`);
  assert.equal(jwk.alg, header.alg);
  const pub = `${dir}/pub.pem`;
  await Deno.writeTextFile(pub, await jwkToPem(jwk));
  const sigFile = `${dir}/sig`;
  if (header.alg === "EdDSA") {
    await Deno.writeFile(sigFile, sig);
    const r = await run("openssl", [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      pub,
      "-rawin",
      "-in",
      input,
      "-sigfile",
      sigFile,
    ], { allowFail: true });
    return r.code === 0 && /Signature Verified Successfully/.test(r.stdout);
  }
  await Deno.writeFile(sigFile, header.alg === "ES256" ? rawEcdsaToDer(sig) : sig);
  const r = await run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    pub,
    "-signature",
    sigFile,
    input,
  ], { allowFail: true });
  return r.code === 0 && /Verified OK/.test(r.stdout);
}

/** Make the signing key for `alg` with openssl (PKCS#8 PEM) and return its config entry. */
async function makeKey(dir: string, alg: Alg): Promise<string> {
  if (alg === "HS256") {
    await Deno.writeTextFile(`${dir}/hmac.txt`, SECRET + "\n");
    return "  - secret_path: hmac.txt\n    kid: h1\n";
  }
  const args = alg === "RS256"
    ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    : alg === "ES256"
    ? ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : ["-algorithm", "ED25519"];
  await run("openssl", ["genpkey", ...args, "-out", `${dir}/key.pem`]);
  return `  - path: key.pem\n`;
}

function tamper(token: string): string {
  const [h, p, s] = token.split(".");
  const sig = b64uDecode(s);
  sig[sig.length >> 1] ^= 0x01;
  let bin = "";
  for (const b of sig) bin += String.fromCharCode(b);
  const s2 = btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `${h}.${p}.${s2}`;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  assert.ok(res.ok, `${res.status} ${text}`);
  return JSON.parse(text);
}

for (const alg of ALGS) {
  Deno.test(`openssl verifies every ${alg} token kind using only the served JWKS`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp_interop_" });
    try {
      await interop(alg, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

async function interop(alg: Alg, dir: string): Promise<void> {
  const keyEntry = await makeKey(dir, alg);
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    'users:\n  alice:\n    repos: ["alice/*"]\n    actions: ["pull", "push"]\n',
  );
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `issuer: "https://interop.test"
audience: "registry.test"
policy_path: policy.yaml
trusted_proxies: ["127.0.0.1/32"]
keys:
${keyEntry}`,
  );
  const server = await startServer(`${dir}/config.yaml`);
  try {
    const alice = { "x-authenticated-user": "alice" };
    const jwksRes = await fetch(`${server.url}/.well-known/jwks.json`);
    const jwks = await json(jwksRes) as { keys: Record<string, unknown>[] };
    if (alg === "HS256") assert.deepEqual(jwks.keys, [], "HMAC keys are never published");
    else assert.equal(jwks.keys.length, 1);

    const tokens: Record<string, string> = {};
    tokens.auth = (await json(
      await fetch(`${server.url}/auth`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sub: "edge-1" }),
      }),
    )).token as string;
    const reg = await json(
      await fetch(
        `${server.url}/v2/token?service=registry.test&scope=repository:alice/app:pull,push` +
          `&offline_token=true&client_id=interop`,
        { headers: alice },
      ),
    );
    tokens.registry = reg.token as string;
    tokens.refresh = reg.refresh_token as string;
    tokens.command = (await json(
      await fetch(`${server.url}/command/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user: "ops", target: "edge-7", command: "reboot" }),
      }),
    )).token as string;
    for (
      const [name, prefix] of [
        ["k8s_core", "/api/v1"],
        ["k8s_group", "/apis/authentication.k8s.io/v1"],
      ]
    ) {
      const res = await fetch(
        `${server.url}${prefix}/namespaces/default/serviceaccounts/builder/token`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ spec: { audiences: ["vault"] } }),
        },
      );
      assert.equal(res.status, 201);
      tokens[name] = ((await res.json()).status as { token: string }).token;
    }

    for (const [kind, token] of Object.entries(tokens)) {
      assert.equal(typeof token, "string", `${kind} token issued`);
      const header = b64uJson(token.split(".")[0]);
      assert.equal(header.alg, alg, `${kind} header alg`);
      assert.equal(
        header.typ,
        ({
          refresh: "kp-refresh+jwt",
          registry: "kp-registry+jwt",
          command: "kp-command+jwt",
        } as Record<string, string>)[kind] ?? "JWT",
        `${kind} header typ`,
      );
      assert.ok(await opensslVerifies(dir, token, jwks), `openssl verifies the ${kind} token`);
      assert.equal(
        await opensslVerifies(dir, tamper(token), jwks),
        false,
        `openssl rejects a tampered ${kind} token`,
      );
      const claims = b64uJson(token.split(".")[1]);
      assert.equal(claims.iss, "https://interop.test");
    }
    const regClaims = b64uJson(tokens.registry.split(".")[1]);
    assert.equal(regClaims.aud, "registry.test");
    assert.deepEqual(regClaims.access, [
      { type: "repository", name: "alice/app", actions: ["pull", "push"] },
    ]);
  } finally {
    await server.stop();
  }
}
