/**
 * The encryption and Fernet commands as a user runs them: keygen --use enc, fernet setup and
 * rotate, issue --format fernet and --encrypt-to, verify and decrypt on those tokens (exit 0
 * valid, 1 refused, 2 usage), inspect of a JWE, and the usage errors.
 */

import assert from "node:assert/strict";
import { runKeypebble } from "../helpers/process.ts";

async function workdir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "kp_formats_cli_" });
}

async function setup(dir: string): Promise<string> {
  for (
    const args of [
      ["keygen", "--out", `${dir}/sign.pem`, "--alg", "ES256"],
      ["keygen", "--use", "enc", "--alg", "ECDH-ES", "--out", `${dir}/enc.pem`],
      ["keygen", "--use", "enc", "--alg", "RSA-OAEP-256", "--out", `${dir}/rp.pem`],
      ["fernet", "setup", "--dir", `${dir}/fernet`],
    ]
  ) {
    const r = await runKeypebble(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    `issuer: https://kp.example
keys:
  - path: sign.pem
  - {path: enc.pem, use: enc, alg: ECDH-ES}
fernet: {keys_dir: fernet, ttl_seconds: 600}
`,
  );
  return config;
}

Deno.test("the new commands have --help, are listed, and refuse unknown options", async () => {
  const main = await runKeypebble(["--help"]);
  assert.match(main.stdout, /^ {2}decrypt /m);
  assert.match(main.stdout, /^ {2}fernet /m);
  for (const c of ["decrypt", "fernet"]) {
    const r = await runKeypebble([c, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: keypebble ${c}`));
  }
  assert.match((await runKeypebble(["issue", "--help"])).stdout, /--encrypt-to FILE/);
  assert.match((await runKeypebble(["keygen", "--help"])).stdout, /--use enc/);
  for (
    const args of [
      ["decrypt", "--nope", "x"],
      ["fernet", "setup", "--dir", "/tmp/x", "--max-active", "3"],
      ["fernet", "explode", "--dir", "/tmp/x"],
      ["fernet", "rotate"],
      ["keygen", "--use", "enc", "--alg", "RS256", "--out", "/tmp/never"],
      [
        "keygen",
        "--use",
        "enc",
        "--alg",
        "RSA-OAEP-256",
        "--curve",
        "X25519",
        "--out",
        "/tmp/never",
      ],
      ["keygen", "--use", "enc", "--alg", "ECDH-ES", "--bits", "4096", "--out", "/tmp/never"],
      ["keygen", "--use", "both", "--out", "/tmp/never"],
      ["keygen", "--alg", "ES256", "--curve", "P-256", "--out", "/tmp/never"],
      ["decrypt", "--key", "/tmp/k", "--alg", "RSA1_5", "x"],
    ]
  ) {
    const r = await runKeypebble(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /Usage: keypebble/);
  }
});

Deno.test("keygen --use enc writes a 0600 PKCS#8 key and says how to configure it", async () => {
  const dir = await workdir();
  try {
    for (const [alg, curve] of [["ECDH-ES+A256KW", "X25519"], ["ECDH-ES", "P-256"]]) {
      const out = `${dir}/${alg}.pem`;
      const r = await runKeypebble([
        "keygen",
        "--use",
        "enc",
        "--alg",
        alg,
        "--curve",
        curve,
        "--out",
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^[A-Za-z0-9_-]{43}\n$/);
      assert.match(r.stderr, new RegExp(`use: enc, alg: ${alg.replace("+", "\\+")}`));
      assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
      assert.match(await Deno.readTextFile(out), /^-----BEGIN PRIVATE KEY-----/);
      const again = await runKeypebble(["keygen", "--use", "enc", "--alg", alg, "--out", out]);
      assert.equal(again.code, 1);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fernet setup and rotate: Keystone's layout, modes, and the max-active pruning", async () => {
  const dir = await workdir();
  try {
    const keys = `${dir}/keys`;
    const s = await runKeypebble(["fernet", "setup", "--dir", keys]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, `set up ${keys}: primary 1, staged 0, keys 0,1\n`);
    assert.equal((await Deno.stat(keys)).mode! & 0o777, 0o700);
    assert.equal(
      (await runKeypebble(["fernet", "setup", "--dir", keys])).stdout.split(":")[0],
      `unchanged ${keys}`,
    );
    const r1 = await runKeypebble(["fernet", "rotate", "--dir", keys]);
    assert.equal(r1.stdout, `rotated ${keys}: primary 2, staged 0, keys 0,1,2\n`);
    const r2 = await runKeypebble(["fernet", "rotate", "--dir", keys]);
    assert.equal(r2.stdout, `rotated ${keys}: primary 3, staged 0, keys 0,2,3, removed 1\n`);
    const r3 = await runKeypebble(["fernet", "rotate", "--dir", keys, "--max-active", "4"]);
    assert.equal(r3.stdout, `rotated ${keys}: primary 4, staged 0, keys 0,2,3,4\n`);
    for (const name of ["0", "2", "3", "4"]) {
      assert.equal((await Deno.stat(`${keys}/${name}`)).mode! & 0o777, 0o600);
    }
    const missing = await runKeypebble(["fernet", "rotate", "--dir", `${dir}/none`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist: run "keypebble fernet setup/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue --format fernet: verify reads it (exit 0), a changed byte is refused (exit 1)", async () => {
  const dir = await workdir();
  try {
    const config = await setup(dir);
    const issued = await runKeypebble([
      "issue",
      "--config",
      config,
      "--format",
      "fernet",
      "--claims",
      '{"sub":"edge-9"}',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const token = issued.stdout.trim();
    assert.match(token, /^gAAAAA/);
    const v = await runKeypebble(["verify", "--config", config, token]);
    assert.equal(v.code, 0, v.stderr);
    const out = JSON.parse(v.stdout);
    assert.equal(out.format, "fernet");
    assert.equal(out.kind, "auth");
    assert.equal(out.claims.sub, "edge-9");
    assert.equal(out.claims.iss, "https://kp.example");
    assert.ok(out.claims.exp - out.claims.iat <= 600, "the Fernet TTL caps the lifetime");
    const bytes = token.slice(0, 60) + (token[60] === "A" ? "B" : "A") + token.slice(61);
    const bad = await runKeypebble(["verify", "--config", config, bytes]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid token \(invalid_token\)/);
    // inspect does not pretend to read it
    const ins = await runKeypebble(["inspect", token]);
    assert.equal(JSON.parse(ins.stdout).format, "fernet");
    // Without a fernet section: a config error, exit 2
    await Deno.writeTextFile(`${dir}/plain.yaml`, "issuer: kp\nkeys:\n  - path: sign.pem\n");
    const none = await runKeypebble([
      "issue",
      "--config",
      `${dir}/plain.yaml`,
      "--format",
      "fernet",
    ]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /plain\.yaml: "--format fernet" needs a "fernet" section/);
    const cannot = await runKeypebble(["verify", "--config", `${dir}/plain.yaml`, token]);
    assert.equal(cannot.code, 1);
    assert.match(cannot.stderr, /no "fernet" section/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue --encrypt-to: verify and decrypt read the nested JWE; the wrong key, pair or a tampered token exit 1", async () => {
  const dir = await workdir();
  try {
    const config = await setup(dir);
    // To our own "use: enc" key: verify decrypts it, then checks the JWS inside.
    const toUs = await runKeypebble([
      "issue",
      "--config",
      config,
      "--encrypt-to",
      `${dir}/enc.pem`,
      "--claims",
      '{"sub":"edge-1"}',
    ]);
    assert.equal(toUs.code, 0, toUs.stderr);
    const jwe = toUs.stdout.trim();
    assert.equal(jwe.split(".").length, 5);
    const v = await runKeypebble(["verify", "--config", config, jwe]);
    assert.equal(v.code, 0, v.stderr);
    const out = JSON.parse(v.stdout);
    assert.equal(out.format, "jwe");
    assert.equal(out.jwe_header.cty, "JWT");
    assert.equal(out.jwe_header.alg, "ECDH-ES");
    assert.equal(out.header.alg, "ES256");
    assert.equal(out.claims.sub, "edge-1");
    // To a relying party's key with A128CBC-HS256: we cannot verify it, the key holder decrypts.
    const toRp = await runKeypebble([
      "issue",
      "--config",
      config,
      "--encrypt-to",
      `${dir}/rp.pem`,
      "--encrypt-enc",
      "A128CBC-HS256",
    ]);
    const rpToken = toRp.stdout.trim();
    const notOurs = await runKeypebble(["verify", "--config", config, rpToken]);
    assert.equal(notOurs.code, 1);
    assert.match(notOurs.stderr, /unknown_key/);
    const plain = await runKeypebble([
      "decrypt",
      "--key",
      `${dir}/rp.pem`,
      "--enc",
      "A128CBC-HS256",
      rpToken,
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).verified, false);
    assert.match(plain.stderr, /NOT verified/);
    const checked = await runKeypebble([
      "decrypt",
      "--key",
      `${dir}/rp.pem`,
      "--enc",
      "A128CBC-HS256",
      "--config",
      config,
      "-",
    ], { stdin: rpToken + "\n" });
    assert.equal(checked.code, 0, checked.stderr);
    assert.equal(JSON.parse(checked.stdout).valid, true);
    // The key bound to A256GCM (the default) does not open an A128CBC-HS256 token
    const pair = await runKeypebble(["decrypt", "--key", `${dir}/rp.pem`, rpToken]);
    assert.equal(pair.code, 1);
    assert.match(pair.stderr, /unknown_key.*give --alg and --enc/);
    // The wrong key of the right pair: one answer, exit 1
    const wrong = await runKeypebble([
      "decrypt",
      "--key",
      `${dir}/enc.pem`,
      "--alg",
      "RSA-OAEP-256",
      rpToken,
    ]);
    assert.equal(wrong.code, 2, "an EC key cannot be bound to RSA-OAEP-256");
    const segs = rpToken.split(".");
    segs[3] = (segs[3][0] === "A" ? "B" : "A") + segs[3].slice(1);
    const tampered = await runKeypebble([
      "decrypt",
      "--key",
      `${dir}/rp.pem`,
      "--enc",
      "A128CBC-HS256",
      segs.join("."),
    ]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /invalid token \(invalid_token\): Token could not be decrypted/);
    // An unreadable key file is a usage-level error (exit 2)
    const noKey = await runKeypebble(["decrypt", "--key", `${dir}/none.pem`, rpToken]);
    assert.equal(noKey.code, 2);
    // inspect shows the JWE header only
    const ins = await runKeypebble(["inspect", rpToken]);
    assert.equal(JSON.parse(ins.stdout).jwe_header.enc, "A128CBC-HS256");
    // Format flags that contradict each other are usage errors
    for (
      const args of [
        ["--format", "jwe"],
        ["--format", "fernet", "--encrypt-to", `${dir}/rp.pem`],
        ["--encrypt-enc", "A256GCM"],
        ["--encrypt-to", `${dir}/rp.pem`, "--encrypt-alg", "A128KW"],
        ["--format", "jwt"],
      ]
    ) {
      const r = await runKeypebble(["issue", "--config", config, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
