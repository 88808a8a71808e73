/**
 * The services' module: tokens minted from provisioned files verify with an independent JWT
 * library (npm jose, test-only) and with our verifier, refusals are told apart, and a rotation
 * or revocation reaches a running Identity through hot reload.
 */

import assert from "node:assert/strict";
// npm jose is test-only: an independent JWT library to check our tokens against.
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, jwtVerify } from "npm:jose@5.9.6";
import { nodeFiles } from "../platform/node_fs.ts";
import { b64u } from "./ec_keys.ts";
import { Identity, SvidError } from "./identity.ts";
import { addService, initRoot, removeService, rotateService, serviceEnv } from "./root.ts";

const TD = "edge.example";
const ORDERS = `spiffe://${TD}/orders`;
const BILLING = `spiffe://${TD}/billing`;

async function provisioned(
  fn: (root: string, ids: { orders: Identity; billing: Identity }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_identity_" });
  const root = `${dir}/root`;
  try {
    await initRoot(root, TD, { files: nodeFiles });
    await addService(root, "orders", { files: nodeFiles });
    await addService(root, "billing", { files: nodeFiles });
    const orders = await Identity.fromEnv(await serviceEnv(root, "orders", { files: nodeFiles }), {
      reloadIntervalMs: 0,
    });
    const billing = await Identity.fromEnv({
      SPIFFILE_DIR: `${root}/services/billing`,
      SPIFFILE_BUNDLE_FILE: `${root}/bundle.json`,
    }, {
      reloadIntervalMs: 0,
    });
    await fn(root, { orders, billing });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function joseVerify(root: string, token: string, audience: string) {
  // PROFILE §4 with jose: the key set is the one bound to the token's claimed identity.
  const bundle = JSON.parse(await Deno.readTextFile(`${root}/bundle.json`));
  const sub = JSON.parse(new TextDecoder().decode(
    Uint8Array.from(
      atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
      (c) => c.charCodeAt(0),
    ),
  )).sub;
  const keys = bundle.identities[sub]?.keys;
  if (keys === undefined) throw new Error("unknown identity");
  // jose only selects keys whose `use` is absent or "sig"; SPIFFE's "jwt-svid" is dropped here.
  const jwks = createLocalJWKSet({
    keys: keys.map(({ use: _use, ...k }: Record<string, unknown>) => k),
  });
  return await jwtVerify(token, jwks, { audience, algorithms: ["ES256"] });
}

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SvidError && e.code === code);
}

Deno.test("Identity.token() makes a JWT-SVID that jose and the receiver's Identity accept", async () => {
  await provisioned(async (root, { orders, billing }) => {
    assert.equal(orders.spiffeId, ORDERS);
    const t = await orders.token(BILLING);
    const { payload, protectedHeader } = await joseVerify(root, t, BILLING);
    assert.equal(payload.sub, ORDERS);
    assert.equal(payload.aud, BILLING);
    assert.equal(payload.exp! - payload.iat!, 60);
    assert.deepEqual(Object.keys(protectedHeader).sort(), ["alg", "kid", "typ"]);
    assert.equal(protectedHeader.alg, "ES256");
    assert.equal(protectedHeader.typ, "JWT");
    assert.equal((await billing.verify(t)).spiffeId, ORDERS);
    assert.equal((await orders.token(BILLING, { ttlSeconds: 3600 })).length > 0, true);
  });
});

Deno.test("Identity.verify() refuses wrong audience, array audience, other alg, expiry, another identity's key", async () => {
  await provisioned(async (root, { orders, billing }) => {
    // wrong audience: a token for billing replayed at orders
    const t = await orders.token(BILLING);
    await refused(orders.verify(t), "invalid_token");
    await assert.rejects(joseVerify(root, t, ORDERS));
    // alg changed in the header (signature kept)
    const [, p, s] = t.split(".");
    const hs = b64u(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    await refused(billing.verify(`${hs}.${p}.${s}`), "invalid_token");
    // expired (past the 30 s leeway)
    const old = await Identity.fromFiles(orders.paths, {
      now: () => Math.floor(Date.now() / 1000) - 120,
    });
    const stale = await old.token(BILLING);
    await refused(billing.verify(stale), "invalid_token");
    await assert.rejects(joseVerify(root, stale, BILLING));
    // billing's key signing a token that claims to be orders
    const forger = await Identity.fromFiles({
      idFile: orders.paths.idFile,
      keyFile: billing.paths.keyFile,
      bundleFile: orders.paths.bundleFile,
    });
    const forged = await forger.token(BILLING);
    await refused(billing.verify(forged), "invalid_token");
    await assert.rejects(joseVerify(root, forged, BILLING));
    // array audience (jose would accept it; the profile refuses it)
    const raw = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(p.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
      ),
    );
    raw.aud = [BILLING];
    const signer = await import("./svid.ts");
    const keyPem = await Deno.readTextFile(orders.paths.keyFile);
    const { importSvidPrivateKeyPem } = await import("./ec_keys.ts");
    const arr = await signer.signSvid(await importSvidPrivateKeyPem(keyPem), raw);
    await refused(billing.verify(arr), "invalid_token");
  });
});

Deno.test("Identity hot-reloads: rotation overlap, --revoke-old, and removal reach a running verifier", async () => {
  await provisioned(async (root, { orders, billing }) => {
    const before = await orders.token(BILLING);
    await rotateService(root, "orders", { files: nodeFiles });
    const after = await orders.token(BILLING); // the running Identity picked up the new key
    assert.notEqual(
      JSON.parse(atob(after.split(".")[0])).kid,
      JSON.parse(atob(before.split(".")[0])).kid,
    );
    await billing.verify(before); // overlap: the old key is still bound
    await billing.verify(after);
    await rotateService(root, "orders", { files: nodeFiles, revokeOld: true });
    await refused(billing.verify(before), "invalid_token");
    await billing.verify(after);
    await removeService(root, "orders", { files: nodeFiles });
    await refused(billing.verify(after), "unknown_identity");
    await assert.rejects(joseVerify(root, after, BILLING), /unknown identity/);
  });
});
