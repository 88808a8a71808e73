/**
 * End to end: the real distribution registry (`docker-registry` 2.8) trusting Keypebble's tokens,
 * driven by `skopeo` with Basic credentials, and the OAuth2 token flow (password and
 * refresh_token grants) used against the registry's HTTP API.
 *
 * Two ways the registry can find the signing key are covered: an `x5c` chain in the JWS header
 * checked against `rootcertbundle`, and a libtrust `kid` with no chain, looked up among the
 * bundle's keys by their libtrust key id.
 */

import assert from "node:assert/strict";
import { type RunningServer, startServer } from "../helpers/process.ts";
import {
  b64url,
  buildOciImage,
  Cleanup,
  decodeJwt,
  hashPassword,
  ISSUER,
  layoutDigest,
  makeKeyAndCert,
  type Registry,
  SERVICE,
  Skopeo,
  startRegistry,
} from "./registry_helpers.ts";

const PASSWORDS = { bob: "bob-e2e-pass", alice: "alice-e2e-pass", eve: "eve-e2e-pass" };

let hashes: Promise<Record<string, string>> | undefined;
function passwordHashes(): Promise<Record<string, string>> {
  hashes ??= (async () => {
    const entries = await Promise.all(
      Object.entries(PASSWORDS).map(async ([u, p]) => [u, await hashPassword(p)] as const),
    );
    return Object.fromEntries(entries);
  })();
  return hashes;
}

interface Setup {
  readonly kp: RunningServer;
  readonly reg: Registry;
  readonly skopeo: Skopeo;
  readonly layout: string;
  readonly digest: string;
  readonly dir: string;
}

async function withBasicSetup(
  mode: "x5c" | "libtrust",
  fn: (s: Setup, cleanup: Cleanup) => Promise<void>,
): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const dir = await cleanup.dir(`basic-${mode}`);
    const [{ cert }, h] = await Promise.all([makeKeyAndCert(dir), passwordHashes()]);
    await Deno.writeTextFile(
      `${dir}/policy.yaml`,
      [
        "users:",
        "  bob:",
        `    password_hash: "${h.bob}"`,
        '    repos: ["bob-space/*", "shared/*"]',
        '    actions: ["pull", "push"]',
        "  alice:",
        `    password_hash: "${h.alice}"`,
        '    repos: ["shared/*"]',
        '    actions: ["pull"]',
        "  eve:",
        `    password_hash: "${h.eve}"`,
        '    repos: ["eve-space/*"]',
        '    actions: ["pull", "push"]',
        "",
      ].join("\n"),
    );
    const kpConfig = [
      `issuer: ${ISSUER}`,
      `audience: ${SERVICE}`,
      "rs256_private_key_path: k.pem",
      ...(mode === "x5c" ? ["x5c_chain_path: cert.pem"] : ["kid: libtrust"]),
      "policy_path: policy.yaml",
      "default_ttl_seconds: 300",
      "log_level: warn",
      "",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/keypebble.yaml`, kpConfig);
    const kp = cleanup.daemon(await startServer(`${dir}/keypebble.yaml`, { cwd: dir }));
    const reg = cleanup.daemon(
      await startRegistry(dir, { realm: `${kp.url}/v2/token`, rootcertbundle: cert }),
    );
    const skopeo = await Skopeo.create(dir);
    const layout = `${dir}/image`;
    const digest = await buildOciImage(layout, `hello from ${mode}\n`);
    await fn({ kp, reg, skopeo, layout, digest, dir }, cleanup);
  } catch (e) {
    // The registry's log says why it refused a token; keep it with the failure.
    throw new Error(
      `${e instanceof Error ? e.message : e}\n--- process output ---\n${cleanup.output()}`,
      {
        cause: e,
      },
    );
  } finally {
    await cleanup.run();
  }
}

/**
 * A refusal, and the expected one: `"registry"` when a token was issued but grants too little
 * (the registry answers "denied"), `"token"` when Keypebble refuses the credentials.
 */
function assertDenied(
  r: { code: number; stderr: string },
  by: "registry" | "token",
  what: string,
): void {
  assert.notEqual(r.code, 0, `${what} should fail`);
  const expected = by === "registry"
    ? /denied: requested access to the resource is denied/
    : /unable to retrieve auth token: invalid username\/password/;
  assert.match(r.stderr, expected, `${what} failed for another reason: ${r.stderr}`);
}

function assertOk(r: { code: number; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
}

async function skopeoScenario(s: Setup): Promise<void> {
  const { skopeo, reg, layout, digest, dir } = s;
  const bob = `bob:${PASSWORDS.bob}`;
  const alice = `alice:${PASSWORDS.alice}`;
  const eve = `eve:${PASSWORDS.eve}`;

  // bob may push and pull his own repositories.
  assertOk(await skopeo.push(layout, `${reg.host}/bob-space/app:latest`, bob), "bob push");
  assertOk(
    await skopeo.pull(`${reg.host}/bob-space/app:latest`, `${dir}/out-bob`, bob),
    "bob pull",
  );
  assert.equal(await layoutDigest(`${dir}/out-bob`), digest);

  // alice only pulls shared/*: bob publishes there, she pulls, her pushes are refused.
  assertOk(await skopeo.push(layout, `${reg.host}/shared/base:latest`, bob), "bob push shared");
  assertOk(
    await skopeo.pull(`${reg.host}/shared/base:latest`, `${dir}/out-alice`, alice),
    "alice pull shared",
  );
  assert.equal(await layoutDigest(`${dir}/out-alice`), digest);
  assertDenied(
    await skopeo.push(layout, `${reg.host}/shared/base:latest`, alice),
    "registry",
    "alice push",
  );
  assertDenied(
    await skopeo.push(layout, `${reg.host}/shared/new:latest`, alice),
    "registry",
    "alice push new",
  );

  // eve has no grant on bob-space.
  assertDenied(
    await skopeo.pull(`${reg.host}/bob-space/app:latest`, `${dir}/out-eve`, eve),
    "registry",
    "eve pull bob-space",
  );
  assertDenied(
    await skopeo.push(layout, `${reg.host}/bob-space/app:latest`, eve),
    "registry",
    "eve push",
  );

  // Wrong password, unknown user, no credentials.
  assertDenied(
    await skopeo.pull(`${reg.host}/bob-space/app:latest`, `${dir}/out-x1`, "bob:wrong-password"),
    "token",
    "wrong password",
  );
  assertDenied(
    await skopeo.pull(`${reg.host}/bob-space/app:latest`, `${dir}/out-x2`, "mallory:whatever"),
    "token",
    "unknown user",
  );
  assertDenied(
    await skopeo.pull(`${reg.host}/bob-space/app:latest`, `${dir}/out-x3`),
    "token",
    "anonymous pull",
  );
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

async function registryGet(reg: Registry, path: string, bearer: string): Promise<Response> {
  return await fetch(`${reg.url}${path}`, {
    headers: { authorization: `Bearer ${bearer}`, accept: OCI_MANIFEST },
  });
}

async function tokenPost(kp: RunningServer, form: Record<string, string>): Promise<Response> {
  return await fetch(`${kp.url}/v2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
}

/** Flip one character in the middle of a base64url segment to another valid one. */
function flip(segment: string): string {
  const i = Math.floor(segment.length / 2);
  const c = segment[i] === "A" ? "B" : "A";
  return segment.slice(0, i) + c + segment.slice(i + 1);
}

async function oauthScenario(s: Setup): Promise<void> {
  const { kp, reg, skopeo, layout } = s;
  // Something to fetch: bob pushes bob-space/oauth.
  assertOk(
    await skopeo.push(layout, `${reg.host}/bob-space/oauth:latest`, `bob:${PASSWORDS.bob}`),
    "bob push oauth",
  );
  const scope = "repository:bob-space/oauth:pull";
  const manifestPath = "/v2/bob-space/oauth/manifests/latest";

  let r = await tokenPost(kp, {
    grant_type: "password",
    username: "bob",
    password: PASSWORDS.bob,
    service: SERVICE,
    client_id: "e2e",
    access_type: "offline",
    scope,
  });
  assert.equal(r.status, 200, await r.clone().text());
  const first = await r.json();
  assert.equal(typeof first.access_token, "string");
  assert.equal(typeof first.refresh_token, "string");
  assert.equal(first.scope, scope);

  r = await registryGet(reg, manifestPath, first.access_token);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(r.headers.get("content-type"), OCI_MANIFEST);
  await r.body?.cancel();

  // A bare GET without a token is challenged towards Keypebble.
  r = await fetch(`${reg.url}${manifestPath}`, { headers: { accept: OCI_MANIFEST } });
  assert.equal(r.status, 401);
  const challenge = r.headers.get("www-authenticate") ?? "";
  assert.match(challenge, new RegExp(`^Bearer realm="${kp.url}/v2/token"`));
  assert.match(challenge, /service="registry\.local"/);
  assert.match(challenge, /scope="repository:bob-space\/oauth:pull"/);
  await r.body?.cancel();

  // The refresh_token grant yields a fresh access token the registry accepts.
  r = await tokenPost(kp, {
    grant_type: "refresh_token",
    refresh_token: first.refresh_token,
    service: SERVICE,
    client_id: "e2e",
    scope,
  });
  assert.equal(r.status, 200, await r.clone().text());
  const second = await r.json();
  assert.notEqual(second.access_token, first.access_token);
  r = await registryGet(reg, manifestPath, second.access_token);
  assert.equal(r.status, 200, await r.clone().text());
  await r.body?.cancel();

  // Forged refresh tokens: a flipped signature character, and an altered payload.
  const [h, p, sig] = first.refresh_token.split(".");
  const payload = decodeJwt(first.refresh_token).payload;
  const forgeries = {
    "flipped signature": `${h}.${p}.${flip(sig)}`,
    "altered payload": `${h}.${b64url(JSON.stringify({ ...payload, sub: "alice" }))}.${sig}`,
    "access token as refresh token": first.access_token,
  };
  for (const [what, token] of Object.entries(forgeries)) {
    r = await tokenPost(kp, {
      grant_type: "refresh_token",
      refresh_token: token,
      service: SERVICE,
      client_id: "e2e",
      scope,
    });
    assert.equal(r.status, 400, `${what}: ${await r.clone().text()}`);
    assert.equal((await r.json()).error, "invalid_grant", what);
  }

  // The registry really checks signatures: an access token with an edited payload is refused.
  {
    const [ah, , asig] = first.access_token.split(".");
    const claims = decodeJwt(first.access_token).payload;
    const edited = `${ah}.${b64url(JSON.stringify({ ...claims, sub: "someone-else" }))}.${asig}`;
    r = await registryGet(reg, manifestPath, edited);
    assert.equal(r.status, 401, await r.clone().text());
    await r.body?.cancel();
  }

  // A refresh token is not an access token: the registry refuses it.
  r = await registryGet(reg, manifestPath, first.refresh_token);
  assert.equal(r.status, 401, await r.clone().text());
  await r.body?.cancel();

  // A wrong password in the password grant is invalid_grant too.
  r = await tokenPost(kp, {
    grant_type: "password",
    username: "bob",
    password: "not-bobs",
    service: SERVICE,
    client_id: "e2e",
    scope,
  });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, "invalid_grant");

  // alice's token for the same scope carries no access: the registry denies it.
  r = await tokenPost(kp, {
    grant_type: "password",
    username: "alice",
    password: PASSWORDS.alice,
    service: SERVICE,
    client_id: "e2e",
    scope,
  });
  assert.equal(r.status, 200);
  const aliceTok = await r.json();
  assert.equal(aliceTok.scope, "");
  r = await registryGet(reg, manifestPath, aliceTok.access_token);
  assert.equal(r.status, 401);
  await r.body?.cancel();
}

async function tokenHeader(kp: RunningServer): Promise<Record<string, unknown>> {
  const r = await fetch(
    `${kp.url}/v2/token?service=${SERVICE}&scope=repository:bob-space/app:pull`,
    { headers: { authorization: `Basic ${btoa(`bob:${PASSWORDS.bob}`)}` } },
  );
  assert.equal(r.status, 200, await r.clone().text());
  const body = await r.json();
  const { header, payload } = decodeJwt(body.token);
  assert.equal(payload.iss, ISSUER);
  assert.equal(payload.aud, SERVICE);
  assert.equal(payload.sub, "bob");
  assert.deepEqual(payload.access, [
    { type: "repository", name: "bob-space/app", actions: ["pull"] },
  ]);
  return header;
}

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "registry 2.8 accepts tokens carrying an x5c chain (skopeo push and pull, Basic auth)",
  ...opts,
  fn: () =>
    withBasicSetup("x5c", async (s) => {
      const header = await tokenHeader(s.kp);
      assert.equal(header.alg, "RS256");
      assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, "x5c header present");
      await skopeoScenario(s);
    }),
});

Deno.test({
  name: "registry 2.8 accepts tokens with a libtrust kid and no x5c (skopeo push and pull)",
  ...opts,
  fn: () =>
    withBasicSetup("libtrust", async (s) => {
      const header = await tokenHeader(s.kp);
      assert.equal(header.alg, "RS256");
      assert.equal(header.x5c, undefined);
      // libtrust key ids: 12 groups of 4 base32 characters joined by colons.
      assert.match(String(header.kid), /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
      await skopeoScenario(s);
    }),
});

Deno.test({
  name: "registry 2.8 accepts OAuth2 access and refreshed tokens and refuses forged refresh tokens",
  ...opts,
  fn: () => withBasicSetup("x5c", (s) => oauthScenario(s)),
});
