import assert from "node:assert/strict";
import {
  certificatePublicKeySpki,
  generateKeyPem,
  importHmacSecret,
  importPrivateKeyPem,
  jwkThumbprint,
  libtrustKeyId,
  parseCertificateChainPem,
  withKid,
} from "../../src/jose/keys.ts";
import { hex, openssl, rejectsWith, throwsWith, withTempDir } from "../../src/jose/_testing.ts";

const PUBLIC_MEMBERS: Record<string, string[]> = {
  RSA: ["e", "kty", "n"],
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
};

async function readText(path: string): Promise<string> {
  return await Deno.readTextFile(path);
}

/** Generate keys of every supported shape with openssl. */
async function makeKeys(dir: string): Promise<Record<string, string>> {
  const p = (n: string) => `${dir}/${n}.pem`;
  await openssl(
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    p("rsa8"),
  );
  await openssl("genrsa", "-traditional", "-out", p("rsa1"), "2048");
  await openssl(
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    p("ec8"),
  );
  await openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", p("sec1"));
  await openssl("genpkey", "-algorithm", "ed25519", "-out", p("ed"));
  const out: Record<string, string> = {};
  for (const n of ["rsa8", "rsa1", "ec8", "sec1", "ed"]) out[n] = await readText(p(n));
  return out;
}

Deno.test("importPrivateKeyPem() imports PKCS#8, PKCS#1 and SEC1 keys with public parts", async () => {
  await withTempDir(async (dir) => {
    const keys = await makeKeys(dir);
    const expected: Record<string, string> = {
      rsa8: "RS256",
      rsa1: "RS256",
      ec8: "ES256",
      sec1: "ES256",
      ed: "EdDSA",
    };
    for (const [name, pem] of Object.entries(keys)) {
      const entry = await importPrivateKeyPem(pem);
      assert.equal(entry.alg, expected[name], name);
      assert.equal(entry.kid, undefined);
      assert.ok(entry.privateKey, name);
      assert.equal(entry.privateKey.extractable, false, `${name} private key is extractable`);
      assert.equal(entry.privateKey.type, "private");
      assert.equal(entry.verifyKey.type, "public");
      const jwk = entry.publicJwk!;
      assert.deepEqual(Object.keys(jwk).sort(), PUBLIC_MEMBERS[jwk.kty!], name);
      // The SPKI matches the one openssl derives from the same private key
      await Deno.writeTextFile(`${dir}/k.pem`, pem);
      const spki = await openssl("pkey", "-in", `${dir}/k.pem`, "-pubout", "-outform", "DER");
      assert.equal(hex(entry.spkiDer!), hex(spki), name);
      // alg given and agreeing is fine
      assert.equal((await importPrivateKeyPem(pem, { alg: entry.alg })).alg, entry.alg);
    }
  });
});

Deno.test("importPrivateKeyPem() refuses an alg that does not fit the key", async () => {
  await withTempDir(async (dir) => {
    const keys = await makeKeys(dir);
    await rejectsWith(importPrivateKeyPem(keys.rsa8, { alg: "ES256" }), "invalid_key");
    await rejectsWith(importPrivateKeyPem(keys.rsa1, { alg: "HS256" }), "invalid_key");
    await rejectsWith(importPrivateKeyPem(keys.ec8, { alg: "RS256" }), "invalid_key");
    await rejectsWith(importPrivateKeyPem(keys.ed, { alg: "ES256" }), "invalid_key");
  });
});

Deno.test("importPrivateKeyPem() refuses RSA keys under 2048 bits as weak_key", async () => {
  await withTempDir(async (dir) => {
    await openssl("genrsa", "-traditional", "-out", `${dir}/p1.pem`, "1024");
    await openssl(
      "genpkey",
      "-algorithm",
      "RSA",
      "-pkeyopt",
      "rsa_keygen_bits:1024",
      "-out",
      `${dir}/p8.pem`,
    );
    await rejectsWith(importPrivateKeyPem(await readText(`${dir}/p1.pem`)), "weak_key");
    await rejectsWith(importPrivateKeyPem(await readText(`${dir}/p8.pem`)), "weak_key");
  });
});

Deno.test("importPrivateKeyPem() refuses encrypted keys with a clear error", async () => {
  await withTempDir(async (dir) => {
    await openssl(
      "genpkey",
      "-algorithm",
      "ed25519",
      "-aes256",
      "-pass",
      "pass:secret",
      "-out",
      `${dir}/e8.pem`,
    );
    await openssl(
      "genrsa",
      "-traditional",
      "-aes128",
      "-passout",
      "pass:secret",
      "-out",
      `${dir}/e1.pem`,
      "2048",
    );
    for (const f of ["e8", "e1"]) {
      await assert.rejects(importPrivateKeyPem(await readText(`${dir}/${f}.pem`)), (e: Error) => {
        assert.equal((e as { code?: string }).code, "invalid_key");
        assert.match(e.message, /Encrypted/);
        return true;
      });
    }
  });
});

Deno.test("importPrivateKeyPem() refuses unsupported curves and garbage", async () => {
  await withTempDir(async (dir) => {
    await openssl(
      "genpkey",
      "-algorithm",
      "EC",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
      "-out",
      `${dir}/p384.pem`,
    );
    await openssl("ecparam", "-name", "secp384r1", "-genkey", "-out", `${dir}/p384s.pem`);
    await openssl("genpkey", "-algorithm", "ed448", "-out", `${dir}/ed448.pem`);
    for (const f of ["p384", "p384s", "ed448"]) {
      await rejectsWith(importPrivateKeyPem(await readText(`${dir}/${f}.pem`)), "invalid_key");
    }
  });
  await rejectsWith(importPrivateKeyPem("not a pem"), "invalid_key");
  await rejectsWith(
    importPrivateKeyPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    "invalid_key",
  );
  await rejectsWith(
    importPrivateKeyPem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
    "invalid_key",
  );
});

Deno.test("importHmacSecret() refuses secrets under 32 bytes and binds HS256", async () => {
  await rejectsWith(importHmacSecret(new TextEncoder().encode("short")), "weak_key");
  await rejectsWith(importHmacSecret(new Uint8Array(31)), "weak_key");
  const entry = await importHmacSecret(new Uint8Array(32).fill(7));
  assert.equal(entry.alg, "HS256");
  assert.equal(entry.privateKey, entry.verifyKey);
  assert.equal(entry.verifyKey.extractable, false);
  assert.equal(entry.publicJwk, undefined);
  assert.equal(entry.spkiDer, undefined);
});

Deno.test("withKid() returns a new entry with the kid set", async () => {
  const entry = await importHmacSecret(new Uint8Array(32));
  const named = withKid(entry, "abc");
  assert.equal(named.kid, "abc");
  assert.equal(entry.kid, undefined);
  assert.equal(named.verifyKey, entry.verifyKey);
});

Deno.test("jwkThumbprint() matches RFC 7638 §3.1", async () => {
  const jwk = {
    kty: "RSA",
    n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    e: "AQAB",
    alg: "RS256",
    kid: "2011-04-29",
  };
  assert.equal(await jwkThumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  await rejectsWith(jwkThumbprint({ kty: "RSA", e: "AQAB" }), "invalid_key");
});

/** RFC 4648 §6 base32 written independently of the implementation (bit string). */
function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = Array.from(bytes, (b) => b.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (let i = 0; i + 5 <= bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

Deno.test("libtrustKeyId() matches SHA-256 of openssl's SPKI DER, base32, 12 groups of 4", async () => {
  await withTempDir(async (dir) => {
    const keys = await makeKeys(dir);
    for (const [name, pem] of Object.entries(keys)) {
      await Deno.writeTextFile(`${dir}/k.pem`, pem);
      await openssl(
        "pkey",
        "-in",
        `${dir}/k.pem`,
        "-pubout",
        "-outform",
        "DER",
        "-out",
        `${dir}/pub.der`,
      );
      const digest = await openssl("dgst", "-sha256", "-binary", `${dir}/pub.der`);
      const b32 = base32(digest.subarray(0, 30));
      const expected = b32.match(/.{4}/g)!.join(":");
      const entry = await importPrivateKeyPem(pem);
      const kid = await libtrustKeyId(entry.spkiDer!);
      assert.match(kid, /^[A-Z2-7]{4}(:[A-Z2-7]{4}){11}$/, name);
      assert.equal(kid, expected, name);
    }
  });
});

Deno.test("parseCertificateChainPem() and certificatePublicKeySpki() read an openssl chain", async () => {
  await withTempDir(async (dir) => {
    for (const n of ["leaf", "ca"]) {
      await openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${dir}/${n}.key`,
        "-out",
        `${dir}/${n}.crt`,
        "-subj",
        `/CN=${n}`,
        "-days",
        "1",
      );
    }
    const chainPem = (await readText(`${dir}/leaf.crt`)) + (await readText(`${dir}/ca.crt`));
    const chain = parseCertificateChainPem(chainPem);
    assert.equal(chain.length, 2);
    const leafDer = await openssl("x509", "-in", `${dir}/leaf.crt`, "-outform", "DER");
    assert.equal(hex(chain[0]), hex(leafDer));
    const leafKey = await importPrivateKeyPem(await readText(`${dir}/leaf.key`));
    assert.equal(hex(certificatePublicKeySpki(chain[0])), hex(leafKey.spkiDer!));
    assert.notEqual(hex(certificatePublicKeySpki(chain[1])), hex(leafKey.spkiDer!));
  });
  throwsWith(() => parseCertificateChainPem("nothing here"), "invalid_key");
  throwsWith(() => certificatePublicKeySpki(new Uint8Array([0x30, 0x00])), "invalid_key");
});

Deno.test("generateKeyPem() makes PKCS#8 PEM that openssl and importPrivateKeyPem() read", async () => {
  await withTempDir(async (dir) => {
    for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
      const pem = await generateKeyPem(alg);
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.match(pem, /\n-----END PRIVATE KEY-----\n$/);
      for (const line of pem.trim().split("\n").slice(1, -1)) assert.ok(line.length <= 64);
      await Deno.writeTextFile(`${dir}/g.pem`, pem);
      await openssl("pkey", "-in", `${dir}/g.pem`, "-noout");
      assert.equal((await importPrivateKeyPem(pem)).alg, alg);
    }
  });
});
