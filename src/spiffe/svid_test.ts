import assert from "node:assert/strict";
import { parseSpiffileBundle } from "./bundle.ts";
import { b64u, ecThumbprint, generateSvidKeyPem, importSvidPrivateKeyPem } from "./ec_keys.ts";
import { signSvid, svidClaims, SvidError, verifySvid } from "./svid.ts";
import fixtures from "./testdata/conformance_fixtures.json" with { type: "json" };

const NOW = 1_900_000_000;
const BILLING = "spiffe://example.org/billing";
const ORDERS = "spiffe://example.org/orders";
const bundle = parseSpiffileBundle(fixtures.bundle);

async function refused(p: Promise<unknown>, code: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SvidError, String(e));
    assert.equal(e.code, code);
    if (re) assert.match(e.message, re);
    return true;
  });
}

Deno.test("conformance: the pinned keys give the pinned JWKs and RFC 7638 kids", async () => {
  const orders = await importSvidPrivateKeyPem(fixtures.orders_private_key_pem);
  assert.deepEqual(orders.jwk, fixtures.orders_jwk);
  const billing = await importSvidPrivateKeyPem(fixtures.billing_private_key_pem);
  assert.deepEqual(billing.jwk, fixtures.billing_jwk);
  assert.equal(await ecThumbprint(fixtures.orders_jwk), fixtures.orders_jwk.kid);
});

Deno.test("conformance: the reference token verifies against the reference bundle", async () => {
  const v = await verifySvid(fixtures.token_orders_to_billing_exp_2035, bundle, {
    audience: BILLING,
    now: NOW,
  });
  assert.equal(v.spiffeId, ORDERS);
});

Deno.test("conformance: the multi-audience token is refused even for a listed audience", async () => {
  await refused(
    verifySvid(fixtures.token_orders_to_billing_multi_aud_exp_2035, bundle, {
      audience: BILLING,
      now: NOW,
    }),
    "invalid_token",
    /single string/,
  );
});

Deno.test("verifySvid() refuses the wrong audience and an expired token (30 s leeway)", async () => {
  const t = fixtures.token_orders_to_billing_exp_2035;
  await refused(verifySvid(t, bundle, { audience: ORDERS, now: NOW }), "invalid_token", /audience/);
  const exp = 2051222400;
  await verifySvid(t, bundle, { audience: BILLING, now: exp + 29 });
  await refused(
    verifySvid(t, bundle, { audience: BILLING, now: exp + 30 }),
    "invalid_token",
    /expired/,
  );
});

Deno.test("verifySvid() scopes keys by identity: billing's key cannot sign as orders", async () => {
  const billing = await importSvidPrivateKeyPem(fixtures.billing_private_key_pem);
  const forged = await signSvid(billing, svidClaims(ORDERS, BILLING, { now: NOW }));
  await refused(
    verifySvid(forged, bundle, { audience: BILLING, now: NOW }),
    "invalid_token",
    /signature/,
  );
});

Deno.test("verifySvid() tells an unknown identity from an invalid token", async () => {
  const stranger = await importSvidPrivateKeyPem(await generateSvidKeyPem());
  const t = await signSvid(
    stranger,
    svidClaims("spiffe://example.org/ghost", BILLING, { now: NOW }),
  );
  await refused(verifySvid(t, bundle, { audience: BILLING, now: NOW }), "unknown_identity");
  const other = await signSvid(
    stranger,
    svidClaims("spiffe://other.org/orders", BILLING, { now: NOW }),
  );
  await refused(verifySvid(other, bundle, { audience: BILLING, now: NOW }), "unknown_identity");
});

Deno.test("verifySvid() refuses another algorithm, alg none, missing claims and bad shapes", async () => {
  const orders = await importSvidPrivateKeyPem(fixtures.orders_private_key_pem);
  const good = await signSvid(orders, svidClaims(ORDERS, BILLING, { now: NOW }));
  const [, p, s] = good.split(".");
  for (const alg of ["HS256", "none", "RS256", "ES384"]) {
    const h = b64u(JSON.stringify({ alg, kid: orders.kid, typ: "JWT" }));
    await refused(
      verifySvid(`${h}.${p}.${s}`, bundle, { audience: BILLING, now: NOW }),
      "invalid_token",
    );
  }
  const sign = (claims: Record<string, unknown>) => signSvid(orders, claims);
  await refused(
    verifySvid(await sign({ sub: ORDERS, aud: BILLING }), bundle, { audience: BILLING, now: NOW }),
    "invalid_token",
    /exp/,
  );
  await refused(
    verifySvid(await sign({ aud: BILLING, exp: NOW + 60 }), bundle, {
      audience: BILLING,
      now: NOW,
    }),
    "invalid_token",
    /sub/,
  );
  await refused(
    verifySvid(await sign({ sub: ORDERS, exp: NOW + 60 }), bundle, { audience: BILLING, now: NOW }),
    "invalid_token",
    /aud/,
  );
  for (const t of ["", "a.b", "a.b.c.d", "!!.!!.!!", good.slice(0, -2)]) {
    await refused(verifySvid(t, bundle, { audience: BILLING, now: NOW }), "invalid_token");
  }
});

Deno.test("svidClaims() defaults to 60 s and caps the lifetime at 300 s", () => {
  assert.equal(svidClaims(ORDERS, BILLING, { now: 10 }).exp, 70);
  assert.equal(svidClaims(ORDERS, BILLING, { now: 10, ttlSeconds: 9999 }).exp, 310);
});
