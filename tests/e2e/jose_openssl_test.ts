/**
 * JWS interop with openssl (needs the openssl program, so it runs in the e2e suite): our
 * signatures verify with openssl, openssl's verify with us, the RSA/HMAC key confusion, and
 * ES256 signatures of the wrong length.
 */

import assert from "node:assert/strict";
import { JwsSigner, signInput, verifyJws } from "../../src/jose/jws.ts";
import { b64uDecode, b64uEncode } from "../../src/jose/base64url.ts";
import {
  importHmacSecret,
  importPrivateKeyPem,
  type KeyEntry,
  withKid,
} from "../../src/jose/keys.ts";
import { openssl, rejectsWith, verifyOnlyKey, withTempDir } from "../../src/jose/_testing.ts";

const enc = new TextEncoder();
const NOW = 1_700_000_000;

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

async function craft(
  key: KeyEntry | undefined,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature?: Uint8Array,
): Promise<string> {
  const input = `${b64uEncode(JSON.stringify(header))}.${b64uEncode(JSON.stringify(payload))}`;
  const sig = signature ?? await signInput(key!, enc.encode(input));
  return `${input}.${b64uEncode(sig)}`;
}

const GOOD = { iss: "me", aud: "you", exp: NOW + 300, iat: NOW, nbf: NOW };

// Interop with openssl

/** ECDSA-Sig-Value (RFC 3279 §2.2.3) from raw r||s. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array): number[] => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = Array.from(b.subarray(i));
    if (v[0] & 0x80) v.unshift(0);
    return [0x02, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, 32)), ...int(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

/** Raw r||s from an ECDSA-Sig-Value. */
function derToRaw(der: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  let p = 2;
  for (let i = 0; i < 2; i++) {
    assert.equal(der[p], 0x02);
    const len = der[p + 1];
    const v = der.subarray(p + 2, p + 2 + len);
    const trimmed = v[0] === 0 ? v.subarray(1) : v;
    out.set(trimmed, i * 32 + 32 - trimmed.length);
    p += 2 + len;
  }
  return out;
}

const GENPKEY: Record<"RS256" | "ES256" | "EdDSA", string[]> = {
  RS256: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  ES256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  EdDSA: ["-algorithm", "ed25519"],
};

for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
  Deno.test(`JwsSigner ${alg} signatures verify with openssl`, async () => {
    await withTempDir(async (dir) => {
      await openssl("genpkey", ...GENPKEY[alg], "-out", `${dir}/key.pem`);
      await openssl("pkey", "-in", `${dir}/key.pem`, "-pubout", "-out", `${dir}/pub.pem`);
      const key = await importPrivateKeyPem(await Deno.readTextFile(`${dir}/key.pem`));
      const signer = await JwsSigner.create(key);
      const token = await signer.sign({ sub: "alice", exp: NOW + 300 });
      const [h, p, s] = token.split(".");
      await Deno.writeFile(`${dir}/input`, enc.encode(`${h}.${p}`));
      const raw = b64uDecode(s);
      if (alg === "EdDSA") {
        await Deno.writeFile(`${dir}/sig`, raw);
        const out = await openssl(
          "pkeyutl",
          "-verify",
          "-pubin",
          "-inkey",
          `${dir}/pub.pem`,
          "-rawin",
          "-in",
          `${dir}/input`,
          "-sigfile",
          `${dir}/sig`,
        );
        assert.match(utf8(out), /Signature Verified Successfully/);
      } else {
        if (alg === "ES256") assert.equal(raw.length, 64);
        await Deno.writeFile(`${dir}/sig`, alg === "ES256" ? rawToDer(raw) : raw);
        const out = await openssl(
          "dgst",
          "-sha256",
          "-verify",
          `${dir}/pub.pem`,
          "-signature",
          `${dir}/sig`,
          `${dir}/input`,
        );
        assert.match(utf8(out), /Verified OK/);
      }
      // And we verify our own token with the public key alone
      const pub = await verifyOnlyKey(alg, {
        spkiPem: await Deno.readTextFile(`${dir}/pub.pem`),
      });
      const { payload } = await verifyJws(token, [pub], { now: NOW });
      assert.equal(payload.sub, "alice");
    });
  });
}

for (const alg of ["RS256", "ES256"] as const) {
  Deno.test(`verifyJws() accepts ${alg} tokens signed by openssl`, async () => {
    await withTempDir(async (dir) => {
      await openssl("genpkey", ...GENPKEY[alg], "-out", `${dir}/key.pem`);
      await openssl("pkey", "-in", `${dir}/key.pem`, "-pubout", "-out", `${dir}/pub.pem`);
      const input = `${b64uEncode(JSON.stringify({ alg, typ: "JWT" }))}.${
        b64uEncode(JSON.stringify({ sub: "bob", exp: NOW + 300 }))
      }`;
      await Deno.writeFile(`${dir}/input`, enc.encode(input));
      await openssl(
        "dgst",
        "-sha256",
        "-sign",
        `${dir}/key.pem`,
        "-out",
        `${dir}/sig`,
        `${dir}/input`,
      );
      let sig: Uint8Array = await Deno.readFile(`${dir}/sig`);
      if (alg === "ES256") sig = derToRaw(sig);
      const pub = await verifyOnlyKey(alg, {
        spkiPem: await Deno.readTextFile(`${dir}/pub.pem`),
      });
      const { payload } = await verifyJws(`${input}.${b64uEncode(sig)}`, [pub], { now: NOW });
      assert.equal(payload.sub, "bob");
    });
  });
}

Deno.test("verifyJws() rejects HS256 signed with the RSA public key when only RS256 is configured", async () => {
  await withTempDir(async (dir) => {
    await openssl("genpkey", ...GENPKEY.RS256, "-out", `${dir}/key.pem`);
    await openssl("pkey", "-in", `${dir}/key.pem`, "-pubout", "-out", `${dir}/pub.pem`);
    const pubPem = await Deno.readFile(`${dir}/pub.pem`);
    const rsa = await verifyOnlyKey("RS256", { spkiPem: utf8(pubPem) });
    // The classic key-confusion attack: the public key's PEM bytes used as an HMAC secret
    const confused = await importHmacSecret(pubPem);
    const token = await craft(confused, { alg: "HS256", typ: "JWT" }, GOOD);
    await rejectsWith(verifyJws(token, [rsa], { now: NOW }), "unknown_key");
    const withKidToken = await craft(confused, { alg: "HS256", kid: "rsa" }, GOOD);
    await rejectsWith(
      verifyJws(withKidToken, [withKid(rsa, "rsa")], { now: NOW }),
      "unknown_key",
    );
  });
});

Deno.test("verifyJws() rejects ES256 signatures of the wrong length", async () => {
  await withTempDir(async (dir) => {
    await openssl("genpkey", ...GENPKEY.ES256, "-out", `${dir}/key.pem`);
    const key = await importPrivateKeyPem(await Deno.readTextFile(`${dir}/key.pem`));
    const token = await (await JwsSigner.create(key)).sign({ exp: NOW + 300 });
    await verifyJws(token, [key], { now: NOW });
    const [h, p, s] = token.split(".");
    const raw = b64uDecode(s);
    const variants = [
      rawToDer(raw), // DER instead of R || S
      raw.subarray(0, 63),
      new Uint8Array([...raw, 0]),
      new Uint8Array([0, ...raw]),
      new Uint8Array(),
    ];
    for (const sig of variants) {
      await rejectsWith(
        verifyJws(`${h}.${p}.${b64uEncode(sig)}`, [key], { now: NOW }),
        "invalid_signature",
      );
    }
  });
});
