/**
 * Keys as an operator handles them: `keygen` files that openssl accepts, the keyring config form
 * (kid modes, duplicate kids refused), and publication through the JWKS and discovery documents
 * of a running server and `keypebble jwks`.
 */

import assert from "node:assert/strict";
import { run, runKeypebble, startServer } from "../helpers/process.ts";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

for (
  const [alg, bits, kty] of [
    ["RS256", undefined, "RSA"],
    ["RS256", "3072", "RSA"],
    ["ES256", undefined, "EC"],
    ["EdDSA", undefined, "ED25519"],
  ] as const
) {
  Deno.test(`keygen ${alg}${bits ? ` ${bits}` : ""} writes a 0600 PKCS#8 PEM that openssl reads`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp_keygen_" });
    const out = `${dir}/key.pem`;
    try {
      const r = await runKeypebble([
        "keygen",
        "--alg",
        alg,
        ...(bits ? ["--bits", bits] : []),
        "--out",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const kid = r.stdout.trim();
      assert.match(kid, /^[A-Za-z0-9_-]{43}$/, "prints the RFC 7638 thumbprint");
      assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
      const text = await Deno.readTextFile(out);
      assert.match(text, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8");
      await run("openssl", ["pkey", "-in", out, "-noout"]);
      const info = await run("openssl", ["pkey", "-in", out, "-noout", "-text"]);
      if (kty === "RSA") assert.match(info.stdout, new RegExp(`${bits ?? "2048"} bit`));
      if (kty === "EC") assert.match(info.stdout, /prime256v1|P-256/);
      if (kty === "ED25519") assert.match(info.stdout, /ED25519/);

      // The printed kid is the kid a listed key gets by default.
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `issuer: "https://k.test"\nkeys:\n  - path: key.pem\n`,
      );
      const jwks = JSON.parse((await runKeypebble(["jwks", "--config", `${dir}/c.yaml`])).stdout);
      assert.equal(jwks.keys[0].kid, kid);
      assert.equal(jwks.keys[0].alg, alg);

      // Never overwrites.
      const again = await runKeypebble(["keygen", "--alg", alg, "--out", out]);
      assert.notEqual(again.code, 0);
      assert.equal(await Deno.readTextFile(out), text, "file unchanged");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("keygen refuses bad --alg and --bits with usage exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_keygen_" });
  try {
    for (
      const args of [
        ["--alg", "HS256"],
        ["--alg", "none"],
        ["--alg", "RS256", "--bits", "1024"],
        ["--alg", "ES256", "--bits", "2048"],
      ]
    ) {
      const r = await runKeypebble(["keygen", ...args, "--out", `${dir}/k.pem`]);
      assert.equal(r.code, 2, args.join(" "));
    }
    const missing = await runKeypebble(["keygen", "--alg", "ES256"]);
    assert.equal(missing.code, 2);
    assert.equal([...Deno.readDirSync(dir)].length, 0, "no file written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function keyringDir(): Promise<{ dir: string; kids: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "kp_keyring_" });
  const kids: Record<string, string> = {};
  for (const [name, alg] of [["new", "ES256"], ["old", "RS256"], ["ed", "EdDSA"]]) {
    const r = await runKeypebble(["keygen", "--alg", alg, "--out", `${dir}/${name}.pem`]);
    assert.equal(r.code, 0, r.stderr);
    kids[name] = r.stdout.trim();
  }
  await Deno.writeTextFile(`${dir}/hmac.txt`, "keyring-hmac-secret-0123456789abcdefghijkl\n");
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `issuer: "https://keys.example.test/"
jwks_max_age_seconds: 120
keys:
  - path: new.pem
    kid: k2026
  - path: old.pem
  - path: ed.pem
    kid: libtrust
  - secret_path: hmac.txt
    kid: h1
`,
  );
  return { dir, kids };
}

Deno.test("JWKS, discovery and `keypebble jwks` publish public keys only", async () => {
  const { dir, kids } = await keyringDir();
  const server = await startServer(`${dir}/config.yaml`);
  try {
    const res = await fetch(`${server.url}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("cache-control") ?? "", /max-age=120/);
    assert.match(res.headers.get("content-type") ?? "", /json/);
    const jwks = await res.json();
    assert.equal(jwks.keys.length, 3, "the HMAC key is never published");
    for (const k of jwks.keys) {
      for (const m of PRIVATE_MEMBERS) assert.equal(k[m], undefined, `no "${m}" in ${k.kid}`);
      assert.equal(k.use, "sig");
      assert.equal(typeof k.kid, "string");
      assert.notEqual(k.kid, "h1");
    }
    assert.deepEqual(
      jwks.keys.map((k: Record<string, string>) => [k.kid, k.alg, k.kty]),
      [["k2026", "ES256", "EC"], [kids.old, "RS256", "RSA"], [jwks.keys[2].kid, "EdDSA", "OKP"]],
    );
    // libtrust kids are twelve colon-separated groups of four base32 characters.
    assert.match(jwks.keys[2].kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);

    // The CLI prints the same keys.
    const cli = await runKeypebble(["jwks", "--config", `${dir}/config.yaml`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), jwks);

    const disc = await fetch(`${server.url}/.well-known/openid-configuration`);
    assert.equal(disc.status, 200);
    assert.match(disc.headers.get("cache-control") ?? "", /max-age=/);
    const doc = await disc.json();
    assert.equal(doc.issuer, "https://keys.example.test/", "identical to the configured issuer");
    assert.equal(doc.jwks_uri, "https://keys.example.test/.well-known/jwks.json");
    assert.deepEqual([...doc.id_token_signing_alg_values_supported].sort(), [
      "ES256",
      "EdDSA",
      "RS256",
    ]);
    assert.ok(Array.isArray(doc.response_types_supported));
    assert.ok(doc.response_types_supported.length > 0);
    assert.ok(Array.isArray(doc.subject_types_supported));
    assert.ok(doc.subject_types_supported.includes("public"));

    // The first key signs.
    const t = await (await fetch(`${server.url}/auth`, { method: "POST", body: "{}" })).json();
    const header = JSON.parse(
      atob(t.token.split(".")[0].replaceAll("-", "+").replaceAll("_", "/")),
    );
    assert.equal(header.kid, "k2026");
    assert.equal(header.alg, "ES256");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve refuses a duplicate kid with exit 2 naming the field", async () => {
  const { dir, kids } = await keyringDir();
  try {
    const cases: [string, RegExp][] = [
      [
        `issuer: x\nkeys:\n  - path: new.pem\n    kid: dup\n  - path: old.pem\n    kid: dup\n`,
        /keys\[1\]\.kid: \\"dup\\" is already used by keys\[0\]/,
      ],
      [
        // A literal kid equal to another key's thumbprint is caught after import.
        `issuer: x\nkeys:\n  - path: new.pem\n    kid: ${kids.old}\n  - path: old.pem\n`,
        /keys\[1\].*already used by keys\[0\]/,
      ],
      [
        `issuer: x\nkeys:\n  - path: new.pem\n  - secret_path: hmac.txt\n`,
        /keys\[1\]\.kid: is required for an HMAC key listed with other keys/,
      ],
    ];
    for (const [yaml, message] of cases) {
      await Deno.writeTextFile(`${dir}/bad.yaml`, yaml);
      const r = await runKeypebble(["serve", "--config", `${dir}/bad.yaml`, "--port", "0"]);
      assert.equal(r.code, 2, yaml);
      assert.match(r.stderr + r.stdout, message, yaml);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
