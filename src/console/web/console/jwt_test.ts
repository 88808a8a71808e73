import assert from "node:assert/strict";
import { decodeJwt, durationWords, expiryWords, fromBase64Url, kindOf, verifyJwt } from "./jwt.ts";

const b64u = (b: Uint8Array): string =>
  btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const enc = (o: unknown): string => b64u(new TextEncoder().encode(JSON.stringify(o)));

async function signed(
  alg: "ES256" | "RS256" | "EdDSA",
  claims: Record<string, unknown>,
): Promise<{ token: string; jwks: { keys: JsonWebKey[] } }> {
  const gen = alg === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : alg === "RS256"
    ? {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }
    : { name: "Ed25519" };
  const pair = await crypto.subtle.generateKey(gen, true, ["sign", "verify"]) as CryptoKeyPair;
  const input = `${enc({ alg, typ: "JWT", kid: "k1" })}.${enc(claims)}`;
  const sigAlg = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : gen;
  const sig = new Uint8Array(
    await crypto.subtle.sign(sigAlg, pair.privateKey, new TextEncoder().encode(input)),
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    token: `${input}.${b64u(sig)}`,
    jwks: { keys: [{ ...jwk, kid: "k1", alg, use: "sig" } as JsonWebKey] },
  };
}

Deno.test("decodeJwt reads header and claims, and refuses what is not a JWS", () => {
  const d = decodeJwt(`${enc({ alg: "HS256" })}.${enc({ sub: "a", kp_kind: "api" })}.c2ln`);
  assert.equal(d.header.alg, "HS256");
  assert.equal(d.claims.sub, "a");
  assert.equal(kindOf(d), "api");
  assert.match(kindOf(decodeJwt(`${enc({})}.${enc({})}.`)), /not stated/);
  assert.throws(() => decodeJwt("abc"), /three parts/);
  assert.throws(() => decodeJwt("a.b.c.d.e"), /encrypted/);
  assert.throws(() => decodeJwt("!!.e30.x"), /header is not/);
  assert.throws(() => decodeJwt(`${enc([1])}.e30.x`), /not a JSON object/);
  assert.throws(() => fromBase64Url("a"), /base64url/);
});

for (const alg of ["ES256", "RS256", "EdDSA"] as const) {
  Deno.test(`verifyJwt verifies ${alg} with Web Crypto and refuses a changed payload`, async () => {
    const { token, jwks } = await signed(alg, { sub: "alice" });
    const ok = await verifyJwt(decodeJwt(token), jwks);
    assert.deepEqual(ok, { ok: true, kid: "k1", alg });
    const [h, , s] = token.split(".");
    const forged = await verifyJwt(decodeJwt(`${h}.${enc({ sub: "mallory" })}.${s}`), jwks);
    assert.equal(forged.ok, false);
  });
}

Deno.test("verifyJwt explains HS256, unknown kids, other algs and empty sets", async () => {
  const { token, jwks } = await signed("ES256", { sub: "a" });
  const hs = decodeJwt(`${enc({ alg: "HS256" })}.${enc({})}.c2ln`);
  assert.match((await verifyJwt(hs, jwks) as { reason: string }).reason, /never published/);
  const other = decodeJwt(token.replace(/^[^.]+/, enc({ alg: "ES256", kid: "zz" })));
  assert.match((await verifyJwt(other, jwks) as { reason: string }).reason, /kid "zz"/);
  const none = decodeJwt(`${enc({ alg: "none" })}.${enc({})}.`);
  assert.match((await verifyJwt(none, jwks) as { reason: string }).reason, /Unsupported/);
  assert.match((await verifyJwt(decodeJwt(token), {}) as { reason: string }).reason, /no keys/);
  const rsJwks = (await signed("RS256", {})).jwks;
  const mixed = await verifyJwt(decodeJwt(token), rsJwks);
  assert.match((mixed as { reason: string }).reason, /is for RS256/);
});

Deno.test("expiry and durations in words", () => {
  assert.equal(durationWords(0), "0 seconds");
  assert.equal(durationWords(1), "1 second");
  assert.equal(durationWords(61), "1 minute");
  assert.equal(durationWords(7200), "2 hours");
  assert.equal(durationWords(86_400 * 3), "3 days");
  assert.equal(expiryWords({ exp: 1000 }, 100), "expires in 15 minutes");
  assert.equal(expiryWords({ exp: 1000 }, 1000), "expires now");
  assert.equal(expiryWords({ exp: 1000 }, 8200), "expired 2 hours ago");
  assert.equal(expiryWords({}, 0), "never expires (no exp claim)");
});
