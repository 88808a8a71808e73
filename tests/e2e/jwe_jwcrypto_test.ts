/**
 * Our JWEs against Python's jwcrypto (Debian python3-jwcrypto), through the real program
 * (`keypebble`, or the compiled binary with KEYPEBBLE_BIN), for every offered alg/enc pair and
 * curve, in both directions:
 *
 * - `keypebble issue --encrypt-to KEY` → jwcrypto decrypts it and verifies the JWS inside with
 *   the JWKS `keypebble jwks` prints;
 * - jwcrypto encrypts (a claims set, and a nested JWT it signs with our signing key) →
 *   `keypebble decrypt --key KEY` reads it (with `--config`, the nested JWS is verified too); a
 *   tampered tag, ciphertext, IV, header or epk is refused (exit 1);
 * - jwcrypto encrypts to the `use: enc` key our JWKS publishes → `keypebble verify` reads it;
 * - a server with `format: jwe` for a kind answers tokens jwcrypto decrypts.
 *
 * Keys are made by `keypebble keygen --use enc` and read by Python with pyca/cryptography (PEM),
 * independently of our own JWK export.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, run, runKeypebble, startServer } from "../helpers/process.ts";

const PYTHON = "/usr/bin/python3";
const PEER = `${REPO_ROOT}tests/e2e/python/jwcrypto_peer.py`;

type Alg = "RSA-OAEP-256" | "ECDH-ES" | "ECDH-ES+A256KW" | "dir";
type Enc = "A256GCM" | "A128CBC-HS256";
type KeyType = "RSA" | "P-256" | "X25519" | "oct";

interface Case {
  readonly alg: Alg;
  readonly enc: Enc;
  readonly type: KeyType;
}

const CASES: Case[] = [];
for (const enc of ["A256GCM", "A128CBC-HS256"] as const) {
  CASES.push({ alg: "RSA-OAEP-256", enc, type: "RSA" });
  for (const type of ["P-256", "X25519"] as const) {
    CASES.push({ alg: "ECDH-ES", enc, type }, { alg: "ECDH-ES+A256KW", enc, type });
  }
  CASES.push({ alg: "dir", enc, type: "oct" });
}

type Json = Record<string, unknown>;

async function peer(ops: Json[]): Promise<Json[]> {
  const r = await run(PYTHON, [PEER], { stdin: JSON.stringify({ ops }) });
  return JSON.parse(r.stdout).results;
}

function label(c: Case): string {
  return `${c.alg}/${c.enc} (${c.type})`;
}

function b64u(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

function tamper(token: string, segment: number): string {
  const segs = token.split(".");
  const s = segs[segment];
  segs[segment] = (s[0] === "A" ? "B" : "A") + s.slice(1);
  return segs.join(".");
}

interface Setup {
  readonly dir: string;
  readonly config: string;
  /** Key file per key type (PEM, or an oct JWK for dir). */
  readonly keyFile: Record<KeyType, string>;
  /** Private JWK per key type, as Python read it. */
  readonly jwk: Record<KeyType, Json>;
  readonly jwks: Json;
  readonly signPem: string;
  readonly signKid: string;
}

async function setup(): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "kp_jwcrypto_" });
  const gen = async (args: string[]) => {
    const r = await runKeypebble(args);
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const signKid = await gen(["keygen", "--alg", "ES256", "--out", `${dir}/sign.pem`]);
  await gen(["keygen", "--use", "enc", "--alg", "RSA-OAEP-256", "--out", `${dir}/rsa.pem`]);
  await gen(["keygen", "--use", "enc", "--alg", "ECDH-ES", "--out", `${dir}/p256.pem`]);
  await gen([
    "keygen",
    "--use",
    "enc",
    "--alg",
    "ECDH-ES",
    "--curve",
    "X25519",
    "--out",
    `${dir}/x25519.pem`,
  ]);
  const oct = { kty: "oct", k: b64u(crypto.getRandomValues(new Uint8Array(32))) };
  await Deno.writeTextFile(`${dir}/oct.jwk`, JSON.stringify(oct));
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    `issuer: https://kp.example
keys:
  - path: sign.pem
  - {path: p256.pem, use: enc, alg: ECDH-ES+A256KW, enc: A128CBC-HS256, kid: ours-p256}
  - {path: rsa.pem, use: enc, alg: RSA-OAEP-256, kid: ours-rsa}
`,
  );
  const keyFile: Record<KeyType, string> = {
    RSA: `${dir}/rsa.pem`,
    "P-256": `${dir}/p256.pem`,
    X25519: `${dir}/x25519.pem`,
    oct: `${dir}/oct.jwk`,
  };
  const converted = await peer(
    (["RSA", "P-256", "X25519"] as const).map((t) => ({
      op: "pem_to_jwk",
      pem: Deno.readTextFileSync(keyFile[t]),
    })),
  );
  const jwk = {
    RSA: converted[0].jwk as Json,
    "P-256": converted[1].jwk as Json,
    X25519: converted[2].jwk as Json,
    oct,
  };
  for (const t of ["RSA", "P-256", "X25519"] as const) assert.ok(jwk[t].d, `python read ${t}`);
  const jwks = JSON.parse(await gen(["jwks", "--config", config]));
  return {
    dir,
    config,
    keyFile,
    jwk,
    jwks,
    signPem: await Deno.readTextFile(`${dir}/sign.pem`),
    signKid,
  };
}

function publicJwk(jwk: Json): Json {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

Deno.test("jwcrypto decrypts keypebble issue --encrypt-to for every pair and verifies the JWS inside", async () => {
  const s = await setup();
  try {
    const tokens: string[] = [];
    for (const c of CASES) {
      const r = await runKeypebble([
        "issue",
        "--config",
        s.config,
        "--encrypt-to",
        s.keyFile[c.type],
        "--encrypt-alg",
        c.alg,
        "--encrypt-enc",
        c.enc,
        "--claims",
        JSON.stringify({ sub: `case-${c.alg}-${c.enc}-${c.type}` }),
      ]);
      assert.equal(r.code, 0, `${label(c)}: ${r.stderr}`);
      tokens.push(r.stdout.trim());
    }
    const sigJwks = { keys: (s.jwks.keys as Json[]).filter((k) => k.use === "sig") };
    const results = await peer(
      CASES.map((c, i) => ({ op: "decrypt", token: tokens[i], key: s.jwk[c.type], jwks: sigJwks })),
    );
    CASES.forEach((c, i) => {
      const r = results[i];
      assert.equal(r.error, undefined, `${label(c)}: ${r.error}`);
      const h = r.header as Json;
      assert.equal(h.alg, c.alg, label(c));
      assert.equal(h.enc, c.enc, label(c));
      assert.equal(h.cty, "JWT", label(c));
      const claims = r.claims as Json;
      assert.equal(claims.sub, `case-${c.alg}-${c.enc}-${c.type}`);
      assert.equal(claims.iss, "https://kp.example");
    });
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("keypebble decrypt reads jwcrypto's JWEs (bare and nested) for every pair; tampered ones exit 1", async () => {
  const s = await setup();
  try {
    const made = await peer(CASES.flatMap((c) => [
      {
        op: "encrypt",
        plaintext: JSON.stringify({ sub: `from-jwcrypto ${label(c)}` }),
        header: { alg: c.alg, enc: c.enc },
        key: publicJwk(s.jwk[c.type]),
      },
      {
        op: "sign_encrypt",
        claims: {
          iss: "https://kp.example",
          sub: "nested",
          exp: Math.floor(Date.now() / 1000) + 60,
        },
        sign_pem: s.signPem,
        kid: s.signKid,
        header: { alg: c.alg, enc: c.enc, cty: "JWT" },
        key: publicJwk(s.jwk[c.type]),
      },
    ]));
    for (const [i, c] of CASES.entries()) {
      const plain = made[2 * i].token as string;
      const nested = made[2 * i + 1].token as string;
      assert.ok(plain && nested, `${label(c)}: ${made[2 * i].error ?? made[2 * i + 1].error}`);
      const flags = ["--key", s.keyFile[c.type], "--alg", c.alg, "--enc", c.enc];
      const r = await runKeypebble(["decrypt", ...flags, plain]);
      assert.equal(r.code, 0, `${label(c)}: ${r.stderr}`);
      const out = JSON.parse(r.stdout);
      assert.equal(out.claims.sub, `from-jwcrypto ${label(c)}`);
      assert.equal(out.verified, false);
      const n = await runKeypebble(["decrypt", ...flags, "--config", s.config, nested]);
      assert.equal(n.code, 0, `${label(c)} nested: ${n.stderr}`);
      assert.equal(JSON.parse(n.stdout).valid, true);
      assert.equal(JSON.parse(n.stdout).claims.sub, "nested");
      // A changed tag (segment 4), ciphertext (3), IV (2) or header (0): exit 1. One segment
      // per case, in turn, so each is tried on three pairs (every pair and segment is tried in
      // process against npm jose: tests/integration/jwe_interop_test.ts).
      const seg = [4, 3, 2, 0][i % 4];
      const t = await runKeypebble(["decrypt", ...flags, tamper(plain, seg)]);
      assert.equal(t.code, 1, `${label(c)} segment ${seg}: ${t.stderr}`);
      assert.match(t.stderr, /^invalid token \(/);
    }
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("jwcrypto's ECDH-ES token with a changed epk is refused", async () => {
  const s = await setup();
  try {
    const [made] = await peer([{
      op: "encrypt",
      plaintext: "{}",
      header: { alg: "ECDH-ES", enc: "A256GCM" },
      key: publicJwk(s.jwk["P-256"]),
    }]);
    const [h, ...rest] = (made.token as string).split(".");
    const header = JSON.parse(atob(h.replaceAll("-", "+").replaceAll("_", "/")));
    for (const epk of [{ ...header.epk, y: header.epk.x }, { ...header.epk, crv: "P-384" }]) {
      const t = [b64u(new TextEncoder().encode(JSON.stringify({ ...header, epk }))), ...rest].join(
        ".",
      );
      const r = await runKeypebble(["decrypt", "--key", s.keyFile["P-256"], t]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /epk/);
    }
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("jwcrypto encrypts to the use: enc keys our JWKS publishes; keypebble verify reads them", async () => {
  const s = await setup();
  try {
    const enc = (s.jwks.keys as Json[]).filter((k) => k.use === "enc");
    assert.deepEqual(enc.map((k) => [k.kid, k.alg]), [["ours-p256", "ECDH-ES+A256KW"], [
      "ours-rsa",
      "RSA-OAEP-256",
    ]]);
    const claims = {
      iss: "https://kp.example",
      sub: "to-us",
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const made = await peer([
      {
        op: "sign_encrypt",
        claims,
        sign_pem: s.signPem,
        kid: s.signKid,
        header: { alg: "ECDH-ES+A256KW", enc: "A128CBC-HS256", cty: "JWT", kid: "ours-p256" },
        key: enc[0],
      },
      {
        op: "sign_encrypt",
        claims,
        sign_pem: s.signPem,
        kid: s.signKid,
        header: { alg: "RSA-OAEP-256", enc: "A256GCM", cty: "JWT", kid: "ours-rsa" },
        key: enc[1],
      },
      // The right key with the pair it is not bound to: refused
      {
        op: "sign_encrypt",
        claims,
        sign_pem: s.signPem,
        kid: s.signKid,
        header: { alg: "RSA-OAEP-256", enc: "A128CBC-HS256", cty: "JWT", kid: "ours-rsa" },
        key: enc[1],
      },
      // Not signed by us (a bare claims set): anyone can encrypt to a public key
      {
        op: "encrypt",
        plaintext: JSON.stringify(claims),
        header: { alg: "RSA-OAEP-256", enc: "A256GCM" },
        key: enc[1],
      },
    ]);
    for (const i of [0, 1]) {
      const r = await runKeypebble(["verify", "--config", s.config, made[i].token as string]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.format, "jwe");
      assert.equal(out.claims.sub, "to-us");
    }
    const pair = await runKeypebble(["verify", "--config", s.config, made[2].token as string]);
    assert.equal(pair.code, 1);
    assert.match(pair.stderr, /unknown_key/);
    const bare = await runKeypebble(["verify", "--config", s.config, made[3].token as string]);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /cty "JWT"/);
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("a server whose command kind is format jwe answers tokens jwcrypto decrypts", async () => {
  const s = await setup();
  try {
    const config = `${s.dir}/serve.yaml`;
    await Deno.writeTextFile(
      config,
      `issuer: https://kp.example
keys:
  - path: sign.pem
profiles:
  command: {format: jwe, encrypt: {to: x25519.pem, alg: ECDH-ES+A256KW, enc: A128CBC-HS256}}
`,
    );
    const server = await startServer(config);
    try {
      const res = await fetch(`${server.url}/command/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ target: "edge-1", command: "reboot" }),
      });
      assert.equal(res.status, 200);
      const { token } = await res.json();
      const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
      const [r] = await peer([{ op: "decrypt", token, key: s.jwk.X25519, jwks }]);
      assert.equal(r.error, undefined, String(r.error));
      assert.equal((r.header as Json).alg, "ECDH-ES+A256KW");
      assert.equal((r.claims as Json).command, "reboot");
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});
