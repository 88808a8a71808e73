import assert from "node:assert/strict";
import { b64uEncode } from "../jose/base64url.ts";
import type { AuthCodeRecord } from "../store/mod.ts";
import { CHALLENGE } from "./_testing.ts";
import { atHash, idTokenClaims, wantsIdToken } from "./id_token.ts";

const CODE: AuthCodeRecord = {
  hash: "h",
  clientId: "app",
  redirectUri: "https://app.example/cb",
  codeChallenge: CHALLENGE,
  nonce: "n-0S6_WzA2Mj",
  scope: "openid email",
  sessionId: "sid-1",
  userId: "u1",
  authTime: 1000,
  amr: ["pwd", "otp"],
  createdAt: 1000,
  expiresAt: 1060,
  usedAt: 1010,
  issued: null,
};

async function leftHalf(hash: "SHA-256" | "SHA-512", s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(s)));
  return b64uEncode(d.slice(0, d.length / 2));
}

Deno.test("atHash(): left half of SHA-256 for RS256/ES256/HS256, of SHA-512 for EdDSA", async () => {
  const at = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln";
  for (const alg of ["RS256", "ES256", "HS256"] as const) {
    assert.equal(await atHash(at, alg), await leftHalf("SHA-256", at));
  }
  assert.equal(await atHash(at, "EdDSA"), await leftHalf("SHA-512", at));
  assert.equal((await atHash(at, "RS256")).length, 22);
  assert.equal((await atHash(at, "EdDSA")).length, 43);
});

Deno.test("idTokenClaims(): aud and azp the client, nonce, auth_time, amr, sid, at_hash", async () => {
  const claims = await idTokenClaims(CODE, { accessToken: "tok", alg: "ES256" });
  assert.deepEqual(claims, {
    sub: "u1",
    aud: "app",
    azp: "app",
    auth_time: 1000,
    amr: ["pwd", "otp"],
    sid: "sid-1",
    nonce: "n-0S6_WzA2Mj",
    at_hash: await leftHalf("SHA-256", "tok"),
  });
  const noNonce = await idTokenClaims({ ...CODE, nonce: null, amr: ["pwd"] }, { alg: "RS256" });
  assert.equal("nonce" in noNonce, false);
  assert.equal("at_hash" in noNonce, false);
  assert.deepEqual(noNonce.amr, ["pwd"]);
  for (const k of ["iss", "iat", "exp", "jti"]) {
    assert.equal(k in claims, false, `${k} is the mint's`);
  }
});

Deno.test("wantsIdToken(): only with the openid scope", () => {
  assert.ok(wantsIdToken("openid email"));
  assert.equal(wantsIdToken("email deploy"), false);
  assert.equal(wantsIdToken("openidx"), false);
});
