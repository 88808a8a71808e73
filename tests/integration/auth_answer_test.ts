/**
 * The /auth answer is serialised once (src/profiles/auth.ts): its `claims` are the very JSON the
 * token signs. These tests hold the bytes to what `JSON.stringify` of the answer object gives and
 * the claim order to what object spread gave before (aud, request claims, static claims, sub,
 * then the registered claims), including a request claim the config's static claims overwrite.
 */

import assert from "node:assert/strict";
import { b64uDecode } from "../../src/jose/mod.ts";
import { makeTestHandler } from "../helpers/handler.ts";

const NOW_MS = 1_800_000_000_000;

async function handler() {
  return await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
audience: default-aud
hs256_secret_path: secret
kid: h1
allowed_custom_claims: [sub, role, edge_id, scope, __proto__]
static_claims:
  scope: "fixed:scope"
  tier: gold
`,
    files: { secret: "auth-answer-hmac-secret-0123456789abcdef" },
    now: () => NOW_MS,
  });
}

Deno.test("POST /auth answers JSON.stringify({token, claims, expires_in}) with claims exactly as signed", async () => {
  const kp = await handler();
  const res = await kp.fetch("/auth", {
    method: "POST",
    body: JSON.stringify({ role: "ops", sub: "edge-1", scope: "mine", edge_id: "e1" }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  const text = await res.text();
  const body = JSON.parse(text);
  assert.equal(text, JSON.stringify({ token: body.token, claims: body.claims, expires_in: 3600 }));
  const payload = new TextDecoder().decode(b64uDecode(body.token.split(".")[1]));
  assert.equal(text, `{"token":"${body.token}","claims":${payload},"expires_in":3600}`);
  // Spread order: aud, request claims (scope keeps its place, static value wins), static, sub,
  // registered.
  assert.deepEqual(Object.keys(body.claims), [
    "aud",
    "role",
    "scope",
    "edge_id",
    "tier",
    "sub",
    "iss",
    "iat",
    "nbf",
    "exp",
    "jti",
  ]);
  assert.equal(body.claims.scope, "fixed:scope");
});

Deno.test("attack: a __proto__ claim in the body is never the claims' prototype", async () => {
  const kp = await handler();
  const res = await kp.fetch("/auth", {
    method: "POST",
    body: '{"__proto__": {"admin": true}, "role": "ops"}',
  });
  assert.equal(res.status, 200);
  const { claims } = await res.json();
  assert.equal(claims.admin, undefined);
  assert.equal(claims.role, "ops");
});
