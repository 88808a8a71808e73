/**
 * The /spiffe/v1/* endpoints at handler level over a real spiffile root on disk: central
 * issuance for policy-listed IDs only (default deny), the issuer's own ES256 key even when the
 * server key is RSA, the issuer key bound in the spiffile bundle before the first SVID, two
 * bundle views never mixed, and PROFILE §4 verification with distinct codes. Attack attempts are
 * kept as tests.
 */

import assert from "node:assert/strict";
// npm jose is test-only: an independent JWT library to check our tokens against.
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "npm:jose@5.9.6";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { nodeFiles } from "../../src/platform/node_fs.ts";
import { addService, initRoot, readRootBundle } from "../../src/spiffe/root.ts";
import { Identity } from "../../src/spiffe/identity.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const TD = "edge.example";
const SENSOR = `spiffe://${TD}/sensors/t-1`;
const ORDERS = `spiffe://${TD}/orders`;
const BILLING = `spiffe://${TD}/billing`;
const RSA = await generateKeyPem("RS256");

async function withServer(
  fn: (kp: TestHandler, root: string) => Promise<void>,
  extra = "",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_http_" });
  const root = `${dir}/root`;
  try {
    await initRoot(root, TD, { files: nodeFiles });
    await addService(root, "orders", { files: nodeFiles });
    await addService(root, "billing", { files: nodeFiles });
    const kp = await makeTestHandler({
      configYaml: `issuer: https://kp.test
rs256_private_key_path: key.pem
policy_path: policy.yaml
rate_limit: {per_address: false, per_principal: false}
spiffe:
  trust_domain: ${TD}
  root: ${root}
  refresh_hint_seconds: 120
${extra}`,
      files: {
        "key.pem": RSA,
        "policy.yaml": `users:
  gateway:
    password_hash: "${await cheapHash("gw-pw")}"
    spiffe_ids: ["spiffe://${TD}/sensors/*"]
  nobody:
    password_hash: "${await cheapHash("nb-pw")}"
`,
      },
    });
    await fn(kp, root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function post(body: unknown, auth?: string): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(auth ? { authorization: auth } : {}),
    },
    body: JSON.stringify(body),
  };
}

const GW = basicAuth("gateway", "gw-pw");

async function svid(kp: TestHandler, body: unknown, auth = GW): Promise<Response> {
  return await kp.fetch("/spiffe/v1/svid", post(body, auth));
}

async function errorOf(res: Response): Promise<[number, string]> {
  const b = await res.json();
  return [res.status, b.error];
}

Deno.test("POST /spiffe/v1/svid issues an ES256 JWT-SVID with its own P-256 key although the server key is RSA", async () => {
  await withServer(async (kp, root) => {
    const res = await svid(kp, { spiffe_id: SENSOR, audience: ORDERS });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    const h = decodeProtectedHeader(body.svid);
    assert.deepEqual(Object.keys(h).sort(), ["alg", "kid", "typ"]);
    assert.equal(h.alg, "ES256");
    assert.equal(h.typ, "JWT");
    // The SPIFFE bundle view verifies it with jose (its `use` member dropped for jose)
    const spiffe = await (await kp.fetch("/spiffe/v1/bundle")).json();
    const { payload } = await jwtVerify(
      body.svid,
      createLocalJWKSet({
        keys: spiffe.keys.map(({ use: _u, ...k }: Record<string, unknown>) => k),
      }),
      { audience: ORDERS, algorithms: ["ES256"] },
    );
    assert.equal(payload.sub, SENSOR);
    assert.equal(typeof payload.aud, "string");
    assert.equal(payload.exp! - payload.iat!, 60);
    // PROFILE §2.1: the issuer key is bound to the ID in the spiffile document, on disk too
    const onDisk = await readRootBundle(root, nodeFiles);
    assert.deepEqual(onDisk.identities.get(SENSOR)!.map((k) => k.kid), [h.kid]);
    // …so spiffile verifiers (our Identity, with billing's files) accept the central SVID
    const orders = await Identity.fromFiles({
      idFile: `${root}/services/orders/id`,
      keyFile: `${root}/services/orders/key.pem`,
      bundleFile: `${root}/bundle.json`,
    });
    assert.equal((await orders.verify(body.svid)).spiffeId, SENSOR);
    // Lifetime: capped at 300 s
    const long = await (await svid(kp, { spiffe_id: SENSOR, audience: ORDERS, ttl_seconds: 86400 }))
      .json();
    assert.equal(long.expires_in, 300);
  });
});

Deno.test("GET /spiffe/v1/bundle holds only the central issuer's keys, with sequence, hint and matching cache headers", async () => {
  await withServer(async (kp, root) => {
    const res = await kp.fetch("/spiffe/v1/bundle");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "public, max-age=120");
    const b = await res.json();
    assert.equal(b.spiffe_refresh_hint, 120);
    assert.equal(typeof b.spiffe_sequence, "number");
    assert.equal(b.keys.length, 1);
    for (const k of b.keys) {
      assert.equal(k.use, "jwt-svid");
      assert.equal(typeof k.kid, "string");
      assert.equal(k.d, undefined);
    }
    const services = await readRootBundle(root, nodeFiles);
    const serviceKids = [...services.identities.values()].flat().map((k) => k.kid);
    assert.ok(!b.keys.some((k: { kid: string }) => serviceKids.includes(k.kid)));
    // The spiffile view: per identity, the services' keys
    const sf = await kp.fetch("/spiffe/v1/spiffile-bundle");
    assert.equal(sf.headers.get("cache-control"), "public, max-age=120");
    const doc = await sf.json();
    assert.equal(doc.trust_domain, TD);
    assert.equal(doc.spiffile_version, 1);
    assert.deepEqual(Object.keys(doc.identities).sort(), [BILLING, ORDERS]);
  });
});

Deno.test("attack: anonymous, unlisted and other-user callers get no SVID; callers cannot shape the token", async () => {
  await withServer(async (kp) => {
    assert.deepEqual(await errorOf(await svid(kp, { spiffe_id: SENSOR, audience: ORDERS }, "")), [
      401,
      "unauthorized",
    ]);
    // default deny: a user without spiffe_ids
    assert.deepEqual(
      await errorOf(
        await svid(kp, { spiffe_id: SENSOR, audience: ORDERS }, basicAuth("nobody", "nb-pw")),
      ),
      [403, "forbidden"],
    );
    // an ID outside the caller's patterns (a service's own identity)
    assert.deepEqual(await errorOf(await svid(kp, { spiffe_id: ORDERS, audience: BILLING })), [
      403,
      "forbidden",
    ]);
    // `*` stays in one segment
    assert.deepEqual(
      await errorOf(await svid(kp, { spiffe_id: `${SENSOR}/x`, audience: ORDERS })),
      [403, "forbidden"],
    );
    // array audience, foreign trust domain, invalid IDs, extra claims
    assert.deepEqual(await errorOf(await svid(kp, { spiffe_id: SENSOR, audience: [ORDERS] })), [
      400,
      "invalid_request",
    ]);
    assert.deepEqual(
      await errorOf(
        await svid(kp, { spiffe_id: SENSOR, audience: "spiffe://evil.example/orders" }),
      ),
      [400, "invalid_spiffe_id"],
    );
    assert.deepEqual(
      await errorOf(
        await svid(kp, { spiffe_id: `spiffe://${TD}/sensors/../orders`, audience: ORDERS }),
      ),
      [400, "invalid_spiffe_id"],
    );
    for (const extra of ["sub", "exp", "iss", "aud", "kid", "alg"]) {
      assert.deepEqual(
        await errorOf(await svid(kp, { spiffe_id: SENSOR, audience: ORDERS, [extra]: "x" })),
        [400, "invalid_request"],
      );
    }
    assert.deepEqual(
      await errorOf(await svid(kp, { spiffe_id: SENSOR, audience: ORDERS, ttl_seconds: -5 })),
      [
        400,
        "invalid_request",
      ],
    );
    assert.deepEqual(await errorOf(await kp.fetch("/spiffe/v1/svid", { method: "GET" })), [
      405,
      "method_not_allowed",
    ]);
  });
});

Deno.test("POST /spiffe/v1/verify tells unknown_identity from invalid_token", async () => {
  await withServer(async (kp, root) => {
    const orders = await Identity.fromFiles({
      idFile: `${root}/services/orders/id`,
      keyFile: `${root}/services/orders/key.pem`,
      bundleFile: `${root}/bundle.json`,
    });
    const t = await orders.token(BILLING);
    const ok = await kp.fetch("/spiffe/v1/verify", post({ token: t, audience: BILLING }));
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).spiffe_id, ORDERS);
    assert.deepEqual(
      await errorOf(await kp.fetch("/spiffe/v1/verify", post({ token: t, audience: ORDERS }))),
      [401, "invalid_token"],
    );
    const central =
      (await (await svid(kp, { spiffe_id: `spiffe://${TD}/sensors/t-9`, audience: BILLING }))
        .json()).svid;
    assert.equal(
      (await kp.fetch("/spiffe/v1/verify", post({ token: central, audience: BILLING }))).status,
      200,
    );
    // A token for an identity the bundle does not have
    const ghost = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${ghost}/id`, `spiffe://${TD}/ghost\n`);
      await Deno.writeTextFile(`${ghost}/key.pem`, await generateKeyPem("ES256"));
      const g = await Identity.fromFiles({
        idFile: `${ghost}/id`,
        keyFile: `${ghost}/key.pem`,
        bundleFile: `${root}/bundle.json`,
      });
      assert.deepEqual(
        await errorOf(
          await kp.fetch(
            "/spiffe/v1/verify",
            post({ token: await g.token(BILLING), audience: BILLING }),
          ),
        ),
        [401, "unknown_identity"],
      );
    } finally {
      await Deno.remove(ghost, { recursive: true });
    }
    assert.deepEqual(
      await errorOf(await kp.fetch("/spiffe/v1/verify", post({ audience: BILLING }))),
      [400, "invalid_request"],
    );
  });
});

Deno.test("the /spiffe/v1 endpoints answer 404 not_found without a spiffe section", async () => {
  const kp = await makeTestHandler({
    configYaml: "issuer: kp\nhs256_secret_path: s\n",
    files: { s: "k".repeat(40) },
  });
  for (const p of ["/spiffe/v1/bundle", "/spiffe/v1/spiffile-bundle"]) {
    assert.deepEqual(await errorOf(await kp.fetch(p)), [404, "not_found"]);
  }
});

Deno.test("a spiffe root of another trust domain, or no root at all, is a config error naming the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await initRoot(`${dir}/r`, "other.example", { files: nodeFiles });
    await assert.rejects(
      makeTestHandler({
        configYaml:
          `issuer: kp\nhs256_secret_path: s\nspiffe: {trust_domain: ${TD}, root: ${dir}/r}\n`,
        files: { s: "k".repeat(40) },
      }),
      /config\.yaml: spiffe\.root: .*other\.example/,
    );
    await assert.rejects(
      makeTestHandler({
        configYaml:
          `issuer: kp\nhs256_secret_path: s\nspiffe: {trust_domain: ${TD}, root: ${dir}/none}\n`,
        files: { s: "k".repeat(40) },
      }),
      /spiffe\.root: .*not a spiffile root/,
    );
    await assert.rejects(
      makeTestHandler({
        configYaml: `issuer: kp\nhs256_secret_path: s\nspiffe: {trust_domain: Bad}\n`,
        files: { s: "k".repeat(40) },
      }),
      /spiffe\.trust_domain/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
