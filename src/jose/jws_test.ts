import assert from "node:assert/strict";
import { decodeJws, JwsSigner, signInput, verifyJws } from "./jws.ts";
import { b64uDecode, b64uEncode } from "./base64url.ts";
import { importHmacSecret, importPrivateKeyPem, type KeyEntry, withKid } from "./keys.ts";
import { openssl, rejectsWith, throwsWith, verifyOnlyKey, withTempDir } from "./_testing.ts";

const enc = new TextEncoder();
const NOW = 1_700_000_000;

// RFC 7515 Appendix A.1 (HS256)
const A1_KEY =
  "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const A1_HEADER = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
const A_PAYLOAD =
  "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A1_SIGNATURE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// RFC 7515 Appendix A.2 (RS256)
const A2_JWK = {
  kty: "RSA",
  n: "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
  e: "AQAB",
  d: "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
  p: "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
  q: "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
  dp:
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
  dq:
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
  qi:
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
};
const A2_HEADER = "eyJhbGciOiJSUzI1NiJ9";
const A2_SIGNATURE =
  "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 Appendix A.3 (ES256), public part only: ECDSA is not deterministic
const A3_JWK = {
  kty: "EC",
  crv: "P-256",
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
};
const A3_HEADER = "eyJhbGciOiJFUzI1NiJ9";
const A3_SIGNATURE =
  "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

const RFC_NOW = 1300819379; // one second before the examples' exp

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

Deno.test("signInput() reproduces the RFC 7515 A.1 HS256 signature", async () => {
  // The A.1 header has a CRLF and a space, so the test works at the signing-input level
  assert.equal(utf8(b64uDecode(A1_HEADER)), '{"typ":"JWT",\r\n "alg":"HS256"}');
  assert.equal(
    utf8(b64uDecode(A_PAYLOAD)),
    '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
  );
  const key = await importHmacSecret(b64uDecode(A1_KEY));
  const sig = await signInput(key, enc.encode(`${A1_HEADER}.${A_PAYLOAD}`));
  assert.equal(b64uEncode(sig), A1_SIGNATURE);
});

Deno.test("verifyJws() accepts the RFC 7515 A.1 token before its exp", async () => {
  const key = await importHmacSecret(b64uDecode(A1_KEY));
  const token = `${A1_HEADER}.${A_PAYLOAD}.${A1_SIGNATURE}`;
  const { header, payload } = await verifyJws(token, [key], {
    now: RFC_NOW,
    leeway: 0,
    issuer: "joe",
  });
  assert.equal(header.alg, "HS256");
  assert.equal(payload["http://example.com/is_root"], true);
  await rejectsWith(verifyJws(token, [key], { now: 1300819380, leeway: 0 }), "token_expired");
});

async function a2Key(): Promise<KeyEntry> {
  const params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const privateKey = await crypto.subtle.importKey("jwk", A2_JWK, params, false, ["sign"]);
  const pub = await verifyOnlyKey("RS256", { jwk: { kty: "RSA", n: A2_JWK.n, e: A2_JWK.e } });
  return { ...pub, privateKey };
}

Deno.test("signInput() reproduces the RFC 7515 A.2 RS256 signature", async () => {
  const key = await a2Key();
  const sig = await signInput(key, enc.encode(`${A2_HEADER}.${A_PAYLOAD}`));
  assert.equal(b64uEncode(sig), A2_SIGNATURE);
  const token = `${A2_HEADER}.${A_PAYLOAD}.${A2_SIGNATURE}`;
  const { payload } = await verifyJws(token, [key], { now: RFC_NOW });
  assert.equal(payload.iss, "joe");
});

Deno.test("verifyJws() accepts the RFC 7515 A.3 ES256 token with its public JWK", async () => {
  const key = await verifyOnlyKey("ES256", { jwk: A3_JWK });
  const token = `${A3_HEADER}.${A_PAYLOAD}.${A3_SIGNATURE}`;
  const { payload } = await verifyJws(token, [key], { now: RFC_NOW });
  assert.equal(payload.iss, "joe");
});

// ---------------------------------------------------------------------------------------------
// Signer

Deno.test("JwsSigner encodes alg, typ, kid and x5c in the header once", async () => {
  const key = withKid(await importHmacSecret(new Uint8Array(32).fill(1)), "k1");
  const signer = await JwsSigner.create(key, { x5c: ["AAAA"] });
  assert.equal(signer.alg, "HS256");
  assert.equal(signer.kid, "k1");
  const token = await signer.sign({ iss: "me", exp: NOW + 60 });
  const { header, payload } = decodeJws(token);
  assert.deepEqual(header, { alg: "HS256", typ: "JWT", kid: "k1", x5c: ["AAAA"] });
  assert.deepEqual(payload, { iss: "me", exp: NOW + 60 });
  const again = await signer.signBytes('{"exp":1}');
  assert.equal(again.split(".")[0], token.split(".")[0]);
  await verifyJws(token, [key], { now: NOW, issuer: "me" });
  const custom = await JwsSigner.create(key, { typ: "at+jwt" });
  const t2 = await custom.sign({ exp: NOW + 60 });
  assert.equal(decodeJws(t2).header.typ, "at+jwt");
  await verifyJws(t2, [key], { now: NOW, typ: "application/at+jwt" });
});

Deno.test("JwsSigner.create() refuses a verify-only key", async () => {
  const key = await verifyOnlyKey("ES256", { jwk: A3_JWK });
  await rejectsWith(JwsSigner.create(key), "invalid_key");
});

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Rejections

/** Build a token with any header, signed by `key` (or with the given signature bytes). */
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

async function hmacKey(kid?: string): Promise<KeyEntry> {
  const entry = await importHmacSecret(enc.encode("0123456789abcdef0123456789abcdef"));
  return kid === undefined ? entry : withKid(entry, kid);
}

const GOOD = { iss: "me", aud: "you", exp: NOW + 300, iat: NOW, nbf: NOW };

Deno.test("verifyJws() rejects alg none", async () => {
  const key = await hmacKey();
  for (const alg of ["none", "None", "NONE"]) {
    const token = await craft(undefined, { alg, typ: "JWT" }, GOOD, new Uint8Array());
    await rejectsWith(verifyJws(token, [key], { now: NOW }), "unsupported_algorithm");
  }
});

Deno.test("verifyJws() rejects unknown and missing algorithms", async () => {
  const key = await hmacKey();
  for (const header of [{ alg: "HS384" }, { alg: "hs256" }, { alg: "RS512" }, { alg: 1 }, {}]) {
    const token = await craft(key, header, GOOD);
    await rejectsWith(verifyJws(token, [key], { now: NOW }), "unsupported_algorithm");
  }
});

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

Deno.test("verifyJws() rejects crit", async () => {
  const key = await hmacKey();
  const token = await craft(key, { alg: "HS256", crit: ["exp"], exp: 1 }, GOOD);
  await rejectsWith(verifyJws(token, [key], { now: NOW }), "invalid_token");
});

Deno.test("verifyJws() rejects malformed compact serializations", async () => {
  const key = await hmacKey();
  const token = await craft(key, { alg: "HS256" }, GOOD);
  const [h, p, s] = token.split(".");
  const bad = [
    `${h}.${p}`,
    `${h}.${p}.${s}.${s}`,
    `${h}.${p}.${s}.`,
    `${h}=.${p}.${s}`,
    `${h}.${p}.${s}=`,
    `${h}.${p}==.${s}`,
    `${h}.${p.replace(/.$/, "+")}.${s}`,
    `${h}.${p}.${s.slice(0, 10)}/${s.slice(11)}`,
    `${h}.${p}.A`,
    `${h} .${p}.${s}`,
    "",
    "..",
    `${b64uEncode("[1]")}.${p}.${s}`,
    `${h}.${b64uEncode('"str"')}.${s}`,
    `${h}.${b64uEncode("{bad json")}.${s}`,
    `${h}.${b64uEncode(new Uint8Array([0x7b, 0xff, 0x7d]))}.${s}`,
    `${h}.${p}.${s}${"A".repeat(16 * 1024)}`,
  ];
  for (const [i, t] of bad.entries()) {
    await rejectsWith(verifyJws(t, [key], { now: NOW }), "invalid_token").catch((e) => {
      throw new Error(`case ${i}: ${e.message}`);
    });
  }
  throwsWith(() => decodeJws(`${h}.${p}`), "invalid_token");
});

Deno.test("verifyJws() rejects a tampered payload and a wrong key", async () => {
  const key = await hmacKey();
  const token = await craft(key, { alg: "HS256" }, GOOD);
  const [h, , s] = token.split(".");
  const tampered = `${h}.${b64uEncode(JSON.stringify({ ...GOOD, sub: "admin" }))}.${s}`;
  await rejectsWith(verifyJws(tampered, [key], { now: NOW }), "invalid_signature");
  const other = await importHmacSecret(new Uint8Array(32).fill(9));
  await rejectsWith(verifyJws(token, [other], { now: NOW }), "invalid_signature");
  // Any of several same-alg keys may match when there is no kid
  const { key: used } = await verifyJws(token, [other, key], { now: NOW });
  assert.equal(used, key);
});

Deno.test("verifyJws() checks exp, nbf and iat with leeway", async () => {
  const key = await hmacKey();
  const t = (claims: Record<string, unknown>) => craft(key, { alg: "HS256" }, claims);
  await rejectsWith(verifyJws(await t({ exp: NOW - 61 }), [key], { now: NOW }), "token_expired");
  await verifyJws(await t({ exp: NOW - 59 }), [key], { now: NOW });
  await rejectsWith(
    verifyJws(await t({ exp: NOW - 1 }), [key], { now: NOW, leeway: 0 }),
    "token_expired",
  );
  await rejectsWith(
    verifyJws(await t({ exp: NOW + 300, nbf: NOW + 120 }), [key], { now: NOW }),
    "token_not_yet_valid",
  );
  await verifyJws(await t({ exp: NOW + 300, nbf: NOW + 30 }), [key], { now: NOW });
  await rejectsWith(
    verifyJws(await t({ exp: NOW + 300, iat: NOW + 120 }), [key], { now: NOW }),
    "token_not_yet_valid",
  );
  await rejectsWith(verifyJws(await t({ sub: "x" }), [key], { now: NOW }), "invalid_token");
  await verifyJws(await t({ sub: "x" }), [key], { now: NOW, requireExp: false });
  for (
    const claims of [{ exp: "9999999999" }, { exp: NOW + 300, nbf: "0" }, {
      exp: NOW + 300,
      iat: null,
    }]
  ) {
    await rejectsWith(verifyJws(await t(claims), [key], { now: NOW }), "invalid_token");
  }
});

Deno.test("verifyJws() checks iss and aud", async () => {
  const key = await hmacKey();
  const token = await craft(key, { alg: "HS256" }, GOOD);
  await verifyJws(token, [key], { now: NOW, issuer: "me", audience: "you" });
  await rejectsWith(verifyJws(token, [key], { now: NOW, issuer: "them" }), "invalid_issuer");
  await rejectsWith(verifyJws(token, [key], { now: NOW, audience: "them" }), "invalid_audience");
  const arr = await craft(key, { alg: "HS256" }, { ...GOOD, aud: ["a", "you"] });
  await verifyJws(arr, [key], { now: NOW, audience: "you" });
  await rejectsWith(verifyJws(arr, [key], { now: NOW, audience: "b" }), "invalid_audience");
  const none = await craft(key, { alg: "HS256" }, { exp: NOW + 300 });
  await rejectsWith(verifyJws(none, [key], { now: NOW, issuer: "me" }), "invalid_issuer");
  await rejectsWith(verifyJws(none, [key], { now: NOW, audience: "you" }), "invalid_audience");
});

Deno.test("verifyJws() checks typ", async () => {
  const key = await hmacKey();
  const jwt = await craft(key, { alg: "HS256", typ: "jwt" }, GOOD);
  await verifyJws(jwt, [key], { now: NOW });
  const at = await craft(key, { alg: "HS256", typ: "at+jwt" }, GOOD);
  await rejectsWith(verifyJws(at, [key], { now: NOW }), "invalid_token_type");
  await verifyJws(at, [key], { now: NOW, typ: "at+JWT" });
  await rejectsWith(verifyJws(jwt, [key], { now: NOW, typ: "at+jwt" }), "invalid_token_type");
  const untyped = await craft(key, { alg: "HS256" }, GOOD);
  await rejectsWith(verifyJws(untyped, [key], { now: NOW, typ: "at+jwt" }), "invalid_token_type");
});

Deno.test("verifyJws() uses kid only as an exact lookup key", async () => {
  const a = await hmacKey("a");
  const b = withKid(await importHmacSecret(new Uint8Array(32).fill(3)), "b");
  const token = await craft(a, { alg: "HS256", kid: "a" }, GOOD);
  assert.equal((await verifyJws(token, [b, a], { now: NOW })).key, a);
  // kid names key b, but a signed it: b is the only candidate
  const wrong = await craft(a, { alg: "HS256", kid: "b" }, GOOD);
  await rejectsWith(verifyJws(wrong, [a, b], { now: NOW }), "invalid_signature");
  for (const kid of ["c", "A", "../../etc/passwd", "a\u0000"]) {
    const t = await craft(a, { alg: "HS256", kid }, GOOD);
    await rejectsWith(verifyJws(t, [a, b], { now: NOW }), "unknown_key");
  }
  for (const kid of ["k".repeat(10_000), "", 5, ["a"]]) {
    const t = await craft(a, { alg: "HS256", kid }, GOOD);
    await rejectsWith(verifyJws(t, [a, b], { now: NOW }), "invalid_token");
  }
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
