/**
 * The JWT-SVID as a token kind of the profile table (`svid`): minted only through `mint()` on
 * `POST /spiffe/v1/svid`, never through another kind's endpoint, never carrying another kind's
 * claims, capped by its own profile, and still what spiffile and independent verifiers accept.
 * Attack attempts are kept as tests.
 */

import assert from "node:assert/strict";
// npm jose is test-only: an independent JWT library to check our tokens against.
// deno-lint-ignore no-import-prefix
import * as jose from "npm:jose@5.9.6";
import { KeypebbleError } from "../../src/errors.ts";
import { ROUTE_TABLE } from "../../src/app/mod.ts";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { nodeFiles } from "../../src/platform/node_fs.ts";
import { mint } from "../../src/profiles/mod.ts";
import { addService, initRoot } from "../../src/spiffe/root.ts";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";
import { runKeypebble } from "../helpers/process.ts";

const TD = "edge.example";
const SENSOR = `spiffe://${TD}/sensors/t-1`;
const ORDERS = `spiffe://${TD}/orders`;
const BILLING = `spiffe://${TD}/billing`;
const RSA = await generateKeyPem("RS256");
const GW = basicAuth("gateway", "gw-pw");
const ADMIN = basicAuth("admin", "ad-pw");

async function withServer(
  fn: (kp: TestHandler, root: string) => Promise<void>,
  extra = "",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_svid_kind_" });
  const root = `${dir}/root`;
  try {
    await initRoot(root, TD, { files: nodeFiles });
    await addService(root, "orders", { files: nodeFiles });
    const kp = await makeTestHandler({
      configYaml: `issuer: https://kp.test
rs256_private_key_path: key.pem
policy_path: policy.yaml
rate_limit: {per_address: false, per_principal: false}
spiffe: {trust_domain: ${TD}, root: ${root}}
${extra}`,
      files: {
        "key.pem": RSA,
        "policy.yaml": `users:
  gateway:
    password_hash: "${await cheapHash("gw-pw")}"
    spiffe_ids: ["spiffe://${TD}/sensors/*"]
  admin:
    password_hash: "${await cheapHash("ad-pw")}"
    subjects: ["*"]
`,
      },
    });
    await fn(kp, root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function post(kp: TestHandler, path: string, body: unknown, auth?: string): Promise<Response> {
  return kp.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<[number, string]> {
  return [res.status, (await res.json()).error];
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KeypebbleError, String(e));
    return e.code;
  }
  assert.fail("expected a refusal");
}

Deno.test("POST /spiffe/v1/svid is declared in the route table: svid profile, caller per profile, JSON body", () => {
  const decl = ROUTE_TABLE.find((d) => d.template === "/spiffe/v1/svid" && d.method === "POST");
  assert.ok(decl !== undefined);
  assert.equal(decl.profile, "svid");
  assert.equal(decl.caller.anonymous, "per_kind");
  assert.equal(decl.body, "json");
  // No other route mints svid tokens.
  const minting = ROUTE_TABLE.filter((d) => d.profile === "svid");
  assert.deepEqual(minting.map((d) => d.template), ["/spiffe/v1/svid"]);
});

Deno.test("attack: an SVID cannot be minted through /auth or /command/token (spiffe:// subjects refused)", async () => {
  await withServer(async (kp) => {
    // anonymous /auth naming a SPIFFE ID as sub
    assert.deepEqual(await errorOf(await post(kp, "/auth", { sub: SENSOR, aud: ORDERS })), [
      403,
      "forbidden",
    ]);
    // an authenticated caller who may name any subject still may not name a SPIFFE ID
    assert.deepEqual(await errorOf(await post(kp, "/auth", { sub: SENSOR }, ADMIN)), [
      403,
      "forbidden",
    ]);
    // /command/token: user becomes sub
    assert.deepEqual(
      await errorOf(
        await post(kp, "/command/token", { user: SENSOR, target: "runner", command: "ls" }),
      ),
      [403, "forbidden"],
    );
    assert.deepEqual(
      await errorOf(
        await post(kp, "/command/token", { user: SENSOR, target: "runner", command: "ls" }, ADMIN),
      ),
      [403, "forbidden"],
    );
    // The SVID route itself is closed to anonymous callers.
    assert.deepEqual(
      await errorOf(await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS })),
      [401, "unauthorized"],
    );
  });
  // A claim mapping cannot smuggle a SPIFFE ID into sub either (checked on the signed sub).
  await withServer(async (kp) => {
    assert.deepEqual(
      await errorOf(await post(kp, "/auth", { who: SENSOR })),
      [403, "forbidden"],
    );
  }, `profiles: {auth: {claims: {sub: "$.body.who"}}}`);
  // ... nor static_claims, refused at start.
  await assert.rejects(
    withServer(() => Promise.resolve(), `static_claims: {sub: "${SENSOR}"}`),
    /static_claims\.sub: subjects starting with "spiffe:\/\/" belong to another kind/,
  );
});

Deno.test("attack: POST /spiffe/v1/svid cannot produce another kind's claims, header or subject", async () => {
  await withServer(async (kp) => {
    for (
      const extra of [
        { access: [{ type: "repository", name: "x", actions: ["push"] }] },
        { "kubernetes.io": { namespace: "kube-system" } },
        { command: "rm -rf /" },
        { scope: "repository:x:push" },
        { sub: "alice" },
        { typ: "kp-registry+jwt" },
        { x5c: ["MII"] },
      ]
    ) {
      assert.deepEqual(
        await errorOf(
          await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS, ...extra }, GW),
        ),
        [400, "invalid_request"],
        JSON.stringify(extra),
      );
    }
    // a registry service or a plain name is not an audience of an SVID
    assert.deepEqual(
      await errorOf(await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: "kp" }, GW)),
      [400, "invalid_spiffe_id"],
    );
    const res = await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS }, GW);
    assert.equal(res.status, 200);
    const { svid } = await res.json();
    assert.deepEqual(Object.keys(jose.decodeProtectedHeader(svid)).sort(), ["alg", "kid", "typ"]);
    assert.deepEqual(
      Object.keys(jose.decodeJwt(svid)).sort(),
      ["aud", "exp", "iat", "iss", "jti", "nbf", "sub"],
    );

    // mint() itself, with the svid profile, refuses what the route never sends.
    const profile = kp.runtime.profiles.svid!;
    // Nothing is minted here (each call is refused), so nothing is recorded.
    const record = () => {};
    const base = { now: 1_800_000_000, subject: SENSOR, audience: ORDERS, record };
    assert.equal(
      await codeOf(mint(profile, { ...base, claims: { access: [] } })),
      "invalid_claims",
    );
    assert.equal(
      await codeOf(mint(profile, { ...base, claims: { "kubernetes.io": {} } })),
      "invalid_claims",
    );
    assert.equal(await codeOf(mint(profile, { ...base, subject: "alice" })), "invalid_spiffe_id");
    assert.equal(
      await codeOf(mint(profile, { ...base, subject: "spiffe://evil.example/x" })),
      "invalid_spiffe_id",
    );
    assert.equal(
      await codeOf(mint(profile, { now: base.now, audience: ORDERS, record })),
      "invalid_claims",
    );
    assert.equal(
      await codeOf(mint(profile, { ...base, audience: [ORDERS] })),
      "invalid_claims",
    );
    assert.equal(
      await codeOf(mint(profile, { ...base, audience: `spiffe://evil.example/orders` })),
      "invalid_spiffe_id",
    );
    // and another kind's profile refuses a SPIFFE subject
    assert.equal(
      await codeOf(mint(kp.runtime.profiles.auth, { ...base, audience: undefined })),
      "forbidden",
    );
  });
});

Deno.test("a central SVID verifies with npm jose (kid = RFC 7638 thumbprint, ES256, typ JWT) and with keypebble spiffe verify", async () => {
  await withServer(async (kp, root) => {
    const res = await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS }, GW);
    assert.equal(res.status, 200);
    const { svid } = await res.json();
    const header = jose.decodeProtectedHeader(svid);
    assert.equal(header.alg, "ES256");
    assert.equal(header.typ, "JWT");
    assert.equal(header.x5c, undefined);
    const bundle = await (await kp.fetch("/spiffe/v1/bundle")).json();
    assert.equal(bundle.keys.length, 1);
    const { use: _use, ...jwk } = bundle.keys[0];
    assert.equal(jwk.crv, "P-256");
    assert.equal(header.kid, await jose.calculateJwkThumbprint(jwk, "sha256"));
    const { payload } = await jose.jwtVerify(svid, await jose.importJWK(jwk, "ES256"), {
      algorithms: ["ES256"],
      audience: ORDERS,
      issuer: "https://kp.test",
      typ: "JWT",
    });
    assert.equal(payload.sub, SENSOR);
    assert.equal(payload.aud, ORDERS);
    // spiffile verification (PROFILE §4) from the command line against the root's bundle
    const ok = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      `${root}/bundle.json`,
      "--audience",
      ORDERS,
      svid,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).spiffe_id, SENSOR);
    const wrong = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      `${root}/bundle.json`,
      "--audience",
      BILLING,
      svid,
    ]);
    assert.equal(wrong.code, 1);
  });
});

Deno.test("the svid profile's caps apply: ttl_seconds 1000 gives 300, default 60, profiles.svid.max_ttl_seconds lowers the cap", async () => {
  await withServer(async (kp) => {
    const long = await (await post(
      kp,
      "/spiffe/v1/svid",
      { spiffe_id: SENSOR, audience: ORDERS, ttl_seconds: 1000 },
      GW,
    )).json();
    assert.equal(long.expires_in, 300);
    const claims = jose.decodeJwt(long.svid);
    assert.equal(claims.exp! - claims.iat!, 300);
    const short =
      await (await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS }, GW))
        .json();
    assert.equal(short.expires_in, 60);
    assert.equal(kp.runtime.profiles.svid!.maxTtl, 300);
  });
  await withServer(async (kp) => {
    const r = await (await post(
      kp,
      "/spiffe/v1/svid",
      { spiffe_id: SENSOR, audience: ORDERS, ttl_seconds: 1000 },
      GW,
    )).json();
    assert.equal(r.expires_in, 120);
  }, "profiles: {svid: {max_ttl_seconds: 120}}");
});

Deno.test("profiles.svid: a cap over 300 s, a key, a typ or audiences are config errors naming the field", async () => {
  for (
    const [extra, field] of [
      ["{max_ttl_seconds: 301}", /profiles\.svid\.max_ttl_seconds: must be at most 300/],
      ['{key: "k1"}', /profiles\.svid\.key: cannot be set for JWT-SVIDs/],
      ['{typ: "kp-svid+jwt"}', /profiles\.svid\.typ: cannot be set for JWT-SVIDs/],
      ['{audiences: ["x"]}', /profiles\.svid\.audiences: cannot be set for JWT-SVIDs/],
    ] as const
  ) {
    await assert.rejects(
      withServer(() => Promise.resolve(), `profiles: {svid: ${extra}}`),
      field,
      extra,
    );
  }
  // Without a spiffe section there is no svid kind to configure.
  await assert.rejects(
    makeTestHandler({
      configYaml: "issuer: kp\nhs256_secret_path: s\nprofiles: {svid: {max_ttl_seconds: 60}}\n",
      files: { s: "k".repeat(40) },
    }),
    /profiles\.svid: needs a "spiffe" section/,
  );
});

Deno.test("POST /spiffe/v1/svid answers 404 not_found without a spiffe section", async () => {
  const kp = await makeTestHandler({
    configYaml: "issuer: kp\nhs256_secret_path: s\npolicy_path: p.yaml\n",
    files: {
      s: "k".repeat(40),
      "p.yaml": `users:\n  gateway:\n    password_hash: "${await cheapHash("gw-pw")}"\n`,
    },
  });
  assert.equal(kp.runtime.profiles.svid, undefined);
  assert.deepEqual(
    await errorOf(await post(kp, "/spiffe/v1/svid", { spiffe_id: SENSOR, audience: ORDERS }, GW)),
    [404, "not_found"],
  );
});
