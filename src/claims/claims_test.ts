import assert from "node:assert/strict";
import { buildClaims, clampTtl, filterCustomClaims, randomJti, registeredClaims } from "./mod.ts";

Deno.test("registeredClaims() sets iss, iat, nbf and exp from the given clock", () => {
  assert.deepEqual(registeredClaims({ issuer: "kp", now: 1000.7, ttlSeconds: 60, jti: "j" }), {
    iss: "kp",
    iat: 1000,
    nbf: 1000,
    exp: 1060,
    jti: "j",
  });
});

Deno.test("filterCustomClaims() never lets a request set registered claims", () => {
  const body = { iss: "evil", exp: 1, iat: 2, nbf: 3, jti: "x", sub: "a", role: "r" };
  const open = filterCustomClaims(body, undefined);
  assert.deepEqual(open.accepted, { sub: "a", role: "r" });
  assert.deepEqual([...open.dropped].sort(), ["exp", "iat", "iss", "jti", "nbf"]);
  const allow = filterCustomClaims(body, ["sub", "exp"]);
  assert.deepEqual(allow.accepted, { sub: "a" });
});

Deno.test("clampTtl() uses the default and caps at the maximum", () => {
  assert.equal(clampTtl(undefined, { defaultTtl: 300, maxTtl: 600 }), 300);
  assert.equal(clampTtl(10_000, { defaultTtl: 300, maxTtl: 600 }), 600);
  assert.equal(clampTtl(5, { defaultTtl: 300, maxTtl: 600, minTtl: 60 }), 60);
});

Deno.test("buildClaims() classifies query, body, literal and function sources in order", () => {
  const claims = buildClaims({
    sub: "$.query.account",
    edge: "$.body.edge_id",
    missing: "$.body.nope",
    service: "registry",
    n: 3,
    count: (ctx) => ctx.query.getAll("scope").length,
  }, {
    query: new URLSearchParams("account=alice&scope=a&scope=b"),
    body: { edge_id: "e-7" },
  });
  assert.deepEqual(claims, { sub: "alice", edge: "e-7", service: "registry", n: 3, count: 2 });
});

Deno.test("buildClaims() does not read inherited body properties", () => {
  const claims = buildClaims({ p: "$.body.toString" }, { query: new URLSearchParams(), body: {} });
  assert.deepEqual(claims, {});
});

Deno.test("randomJti() is 128 random bits in hex", () => {
  const a = randomJti();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, randomJti());
});
