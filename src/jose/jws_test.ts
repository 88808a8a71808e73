import assert from "node:assert/strict";
import { decodeJws, JwsSigner, signInput, verifyJws } from "./jws.ts";
import { b64uDecode, b64uEncode } from "./base64url.ts";
import { importHmacSecret, type KeyEntry, withKid } from "./keys.ts";
import { rejectsWith, throwsWith, verifyOnlyKey } from "./_testing.ts";

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

Deno.test("verifyJws() with ignoreExpiry accepts an expired token, still checks everything else", async () => {
  const key = await hmacKey();
  const t = (claims: Record<string, unknown>) => craft(key, { alg: "HS256" }, claims);
  const old = await t({ exp: NOW - 86_400, iss: "https://id.example" });
  await rejectsWith(verifyJws(old, [key], { now: NOW }), "token_expired");
  await verifyJws(old, [key], { now: NOW, ignoreExpiry: true, issuer: "https://id.example" });
  await rejectsWith(
    verifyJws(old, [key], { now: NOW, ignoreExpiry: true, issuer: "https://other.example" }),
    "invalid_issuer",
  );
  await rejectsWith(
    verifyJws(await t({ sub: "x" }), [key], { now: NOW, ignoreExpiry: true }),
    "invalid_token",
  );
  const [h, p] = old.split(".");
  await rejectsWith(
    verifyJws(`${h}.${p}.${b64uEncode(new Uint8Array(32))}`, [key], {
      now: NOW,
      ignoreExpiry: true,
    }),
    "invalid_signature",
  );
});
