/**
 * Accounts and the OAuth2 server against a real Keypebble on a real PostgreSQL (issue 13):
 *
 * - an independent OAuth2 client library (npm `oauth4webapi`, test-only) discovers the server and
 *   runs client_credentials, password, refresh with rotation, token exchange (with a trusted
 *   issuer whose JWKS the server fetches over HTTP), introspection and revocation; tokens are
 *   verified through discovery by it (`validateJwtAccessToken`) and by npm `jose`;
 * - pico-auth's quick start and admin operations with its exact request shapes;
 * - reuse of a rotated refresh token revokes the family, on Postgres;
 * - the account queries' suite on Postgres;
 * - `keypebble verify` refuses a revoked token;
 * - a bootstrap admin with a printed password on an empty SQLite store.
 */

import assert from "node:assert/strict";
// Test-only imports, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import * as oauth from "npm:oauth4webapi@3.8.8";
// deno-lint-ignore no-import-prefix
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "npm:jose@5.9.6";
import { hashPassword } from "../../src/identity/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { accountsSuite } from "../../src/store/accounts_suite.ts";
import { collectLines, freePort, keypebbleCommand, runKeypebble } from "../helpers/process.ts";
import { startPostgres } from "../helpers/postgres.ts";

const CLIENT_SECRET = "e2e-client-secret-0123456789";
const ADMIN_PASSWORD = "e2e-admin-password";

interface Server {
  url: string;
  lines: string[];
  stop(): Promise<number>;
}

/** Serve `config` on `port` (the issuer names the port, so it is chosen first). */
async function serveAt(
  config: string,
  port: number,
  env: Record<string, string> = {},
): Promise<Server> {
  const { cmd, prefix } = keypebbleCommand();
  const child = new Deno.Command(cmd, {
    args: [...prefix, "serve", "--config", config, "--port", String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const { lines, done } = collectLines(child);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  for (let i = 0;; i++) {
    if (exited || i > 400) throw new Error(`not healthy:\n${lines.join("\n")}`);
    try {
      const r = await fetch(`${url}/healthz`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    lines,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const s = await status;
      await done;
      return s.code;
    },
  };
}

const json = (url: string, body: unknown, headers: Record<string, string> = {}, method = "POST") =>
  fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test({
  name:
    "e2e (postgres): oauth4webapi runs every grant, introspection and revocation; pico-auth flows",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const pg = await startPostgres();
  const dir = await Deno.makeTempDir({ prefix: "kp-acct-" });
  // A stand-in for a cluster's service-account issuer: a real HTTP server publishing its JWKS.
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "sa-1", alg: "ES256", use: "sig" };
  const issuerServer = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ keys: [jwk] }),
  );
  const saIssuer = `http://127.0.0.1:${issuerServer.addr.port}`;
  let server: Server | undefined;
  try {
    const port = freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const hash = await hashPassword(CLIENT_SECRET, { iterations: 1000 });
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `issuer: "${issuer}"
audience: kp-e2e
keys:
  - path: signing.key
    alg: ES256
generate_missing_key: true
store:
  url: "${pg.url}"
  pepper_path: kp.pepper
accounts:
  registration: open
  admin_email: root@example.test
  audience: kp-accounts
oauth:
  clients:
    - id: ci
      secret_hash: "${hash}"
      audiences: [deploy-api]
      scopes: [deploy, read]
  trusted_issuers:
    - issuer: "${saIssuer}"
      jwks_uri: "${saIssuer}/jwks"
      audiences: [keypebble]
      scopes: [deploy]
      subject_prefix: "ci:"
  exchange_audiences: [deploy-api]
  token_exchange: true
`,
    );
    server = await serveAt(`${dir}/config.yaml`, port, {
      KEYPEBBLE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    });
    const base = server.url;
    assert.ok(
      !server.lines.join("\n").includes(ADMIN_PASSWORD),
      "a given admin password is never printed",
    );

    // ---- discovery with the independent client -------------------------------------------
    const insecure = { [oauth.allowInsecureRequests]: true };
    const as = await oauth.processDiscoveryResponse(
      new URL(issuer),
      await oauth.discoveryRequest(new URL(issuer), { ...insecure, algorithm: "oidc" }),
    );
    assert.equal(as.token_endpoint, `${issuer}/oauth2/token`);
    assert.equal(as.introspection_endpoint, `${issuer}/oauth2/introspect`);
    assert.equal(as.revocation_endpoint, `${issuer}/oauth2/revoke`);
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
    const client: oauth.Client = { client_id: "ci" };
    const basicAuth = oauth.ClientSecretBasic(CLIENT_SECRET);
    const publicClient: oauth.Client = { client_id: "anyone" };

    // ---- client_credentials -----------------------------------------------------------------
    const cc = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        basicAuth,
        new URLSearchParams({ scope: "deploy" }),
        insecure,
      ),
    );
    const ccv = await jwtVerify(cc.access_token, jwks, { issuer, audience: "deploy-api" });
    assert.equal(ccv.payload.client_id, "ci");
    assert.equal(ccv.payload.scope, "deploy");

    // ---- pico-auth quick start ------------------------------------------------------------
    const api = `${base}/api/v1/auth`;
    const reg = await json(`${api}/register`, {
      email: "alice@example.com",
      password: "secret123",
      display_name: "Alice",
    });
    assert.equal(reg.status, 201);
    const alice = await reg.json();
    assert.deepEqual(Object.keys(alice).sort(), ["email", "id", "role", "status"]);
    const dup = await json(`${api}/register`, {
      email: "Alice@Example.com",
      password: "secret123",
    });
    assert.equal(dup.status, 409);
    await dup.body?.cancel();
    const login = await (await json(`${api}/login`, {
      email: "alice@example.com",
      password: "secret123",
    })).json();
    assert.equal(login.token_type, "Bearer", JSON.stringify(login));
    const me = await (await fetch(`${api}/me`, {
      headers: { authorization: `Bearer ${login.access_token}` },
    })).json();
    assert.equal(me.email, "alice@example.com");
    assert.equal(me.org_id, "default");
    const rot = await (await json(`${api}/refresh`, login.refresh_token)).json();
    assert.ok(rot.access_token && rot.refresh_token !== login.refresh_token);
    // A retry of the used token within accounts.refresh_reuse_seconds (a lost answer) gets the
    // same successor; once that successor is used, the old token is reuse: the family is
    // revoked, the newest token too.
    const retry = await (await json(`${api}/refresh`, login.refresh_token)).json();
    assert.equal(retry.refresh_token, rot.refresh_token);
    const next = await (await json(`${api}/refresh`, { refresh_token: rot.refresh_token })).json();
    assert.ok(next.refresh_token);
    const reuse = await json(`${api}/refresh`, login.refresh_token);
    assert.equal(reuse.status, 401);
    await reuse.body?.cancel();
    const fresh = await json(`${api}/refresh`, { refresh_token: next.refresh_token });
    assert.equal(fresh.status, 401);
    await fresh.body?.cancel();

    // ---- admin operations (bootstrap admin from KEYPEBBLE_ADMIN_PASSWORD) -------------------
    const adm = await (await json(`${api}/login`, {
      username: "admin",
      password: ADMIN_PASSWORD,
    })).json();
    assert.ok(adm.access_token, JSON.stringify(adm));
    const ah = { authorization: `Bearer ${adm.access_token}` };
    const users = await (await fetch(`${api}/users`, { headers: ah })).json();
    assert.equal(users.total, 2);
    const role = await json(`${api}/users/${alice.id}/role`, "operator", ah, "PUT");
    assert.equal((await role.json()).role, "operator");
    const sw = await json(`${api}/users/registration`, { enabled: false }, ah, "PUT");
    assert.deepEqual(await sw.json(), { registration_enabled: false });
    const closed = await json(`${api}/register`, {
      email: "late@example.com",
      password: "secret123",
    });
    assert.equal(closed.status, 403);
    await closed.body?.cancel();
    const made = await json(`${api}/users`, {
      email: "viewer@example.com",
      password: "secret123",
      role: "viewer",
    }, ah);
    assert.equal(made.status, 201);
    const viewer = await made.json();
    const reset = await json(
      `${api}/users/${viewer.id}/password`,
      { new_password: "reset-pw-99" },
      ah,
      "PUT",
    );
    assert.equal(reset.status, 200);
    await reset.body?.cancel();
    const vt = await (await json(`${api}/login`, {
      email: "viewer@example.com",
      password: "reset-pw-99",
    })).json();
    const refused = await fetch(`${api}/users`, {
      headers: { authorization: `Bearer ${vt.access_token}` },
    });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();

    // ---- password grant and refresh rotation with the independent client ---------------------
    const pw = await oauth.processGenericTokenEndpointResponse(
      as,
      publicClient,
      await oauth.genericTokenEndpointRequest(
        as,
        publicClient,
        oauth.None(),
        "password",
        new URLSearchParams({ username: "alice@example.com", password: "secret123" }),
        insecure,
      ),
    );
    // An account token is an RFC 9068 JWT access token: validated by the library itself.
    const validated = await oauth.validateJwtAccessToken(
      as,
      new Request(`${issuer}/anything`, {
        headers: { authorization: `Bearer ${pw.access_token}` },
      }),
      "kp-accounts",
      insecure,
    );
    assert.equal(validated.sub, alice.id);
    assert.equal(validated.role, "operator");
    const ref1 = await oauth.processRefreshTokenResponse(
      as,
      publicClient,
      await oauth.refreshTokenGrantRequest(
        as,
        publicClient,
        oauth.None(),
        pw.refresh_token!,
        insecure,
      ),
    );
    assert.notEqual(ref1.refresh_token, pw.refresh_token);
    const refresh = async (token: string) =>
      await oauth.processRefreshTokenResponse(
        as,
        publicClient,
        await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), token, insecure),
      );
    // A retry within accounts.refresh_reuse_seconds gets the same successor ...
    assert.equal((await refresh(pw.refresh_token!)).refresh_token, ref1.refresh_token);
    // ... until that successor is used: then the old token is reuse, and the family is revoked.
    const ref2 = await refresh(ref1.refresh_token!);
    await assert.rejects(() => refresh(pw.refresh_token!));
    await assert.rejects(() => refresh(ref2.refresh_token!), "the family is revoked");

    // ---- token exchange: a trusted issuer's JWT, its JWKS fetched over HTTP -----------------
    const now = Math.floor(Date.now() / 1000);
    const sa = await new SignJWT({ sub: "system:serviceaccount:ci:runner", aud: ["keypebble"] })
      .setProtectedHeader({ alg: "ES256", kid: "sa-1" })
      .setIssuer(saIssuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const ex = await oauth.processGenericTokenEndpointResponse(
      as,
      client,
      await oauth.genericTokenEndpointRequest(
        as,
        client,
        basicAuth,
        "urn:ietf:params:oauth:grant-type:token-exchange",
        new URLSearchParams({
          subject_token: sa,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          audience: "deploy-api",
        }),
        insecure,
      ),
    );
    const exv = await jwtVerify(ex.access_token, jwks, { issuer, audience: "deploy-api" });
    assert.equal(exv.payload.sub, "ci:system:serviceaccount:ci:runner");
    assert.equal(exv.payload.scope, "deploy");

    // ---- introspection and revocation ---------------------------------------------------
    const intro = async (token: string) =>
      await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, basicAuth, token, insecure),
      );
    const active = await intro(ref1.access_token);
    assert.equal(active.active, true);
    assert.equal(active.sub, alice.id);
    assert.equal((await intro(ex.access_token)).active, true);
    const rev = await oauth.revocationRequest(as, client, basicAuth, ref1.access_token, insecure);
    await oauth.processRevocationResponse(rev);
    assert.equal((await intro(ref1.access_token)).active, false);
    const meRevoked = await fetch(`${api}/me`, {
      headers: { authorization: `Bearer ${ref1.access_token}` },
    });
    assert.equal(meRevoked.status, 401);
    await meRevoked.body?.cancel();

    // `keypebble verify` consults the revoked ids in the store.
    const okVerify = await runKeypebble([
      "verify",
      "--config",
      `${dir}/config.yaml`,
      ex.access_token,
    ]);
    assert.equal(okVerify.code, 0, okVerify.stderr);
    const badVerify = await runKeypebble([
      "verify",
      "--config",
      `${dir}/config.yaml`,
      ref1.access_token,
    ]);
    assert.equal(badVerify.code, 1);
    assert.match(badVerify.stderr, /revoked/);

    // Unknown grant types and wrong content types.
    const unk = await fetch(as.token_endpoint!, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=implicit",
    });
    assert.equal((await unk.json()).error, "unsupported_grant_type");
    const ct = await json(as.token_endpoint!, { grant_type: "password" });
    assert.equal(ct.status, 415);
    await ct.body?.cancel();
    const logText = server.lines.join("\n");
    assert.ok(logText.includes("refresh_token_reuse"), "reuse is logged");
    for (const secret of [CLIENT_SECRET, "secret123", pw.refresh_token!, pw.access_token]) {
      assert.ok(!logText.includes(secret), "no secret or token in the logs");
    }
  } finally {
    if (server !== undefined) assert.equal(await server.stop(), 0);
    await issuerServer.shutdown();
    await pg.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "e2e: on an empty store the first admin gets a random password, printed once, to change at first login",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-boot-" });
  let server: Server | undefined;
  try {
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `issuer: https://boot.test\nhs256_secret: "${
        "b".repeat(40)
      }"\nstore:\n  url: "sqlite:kp.db"\naccounts: {}\n`,
    );
    server = await serveAt(`${dir}/config.yaml`, freePort());
    const text = server.lines.join("\n");
    const m = /one-time password is: ([0-9a-f]{32})/.exec(text);
    assert.ok(m, text);
    const login = await (await json(`${server.url}/api/v1/auth/login`, {
      username: "admin",
      password: m[1],
    })).json();
    assert.equal(login.password_change_required, true);
    const h = { authorization: `Bearer ${login.access_token}` };
    const blocked = await fetch(`${server.url}/api/v1/auth/users`, { headers: h });
    assert.equal(blocked.status, 403);
    await blocked.body?.cancel();
    const ch = await json(`${server.url}/api/v1/auth/me/password`, {
      old_password: m[1],
      new_password: "my-own-password",
    }, h);
    assert.equal(ch.status, 200);
    await ch.body?.cancel();
    assert.equal(await server.stop(), 0);
    // A restart does not print again.
    server = await serveAt(`${dir}/config.yaml`, freePort());
    assert.ok(!server.lines.join("\n").includes("one-time password"));
    const again = await json(`${server.url}/api/v1/auth/login`, {
      email: "admin@localhost",
      password: "my-own-password",
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();
  } finally {
    if (server !== undefined) await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

// The account queries on a real PostgreSQL (the same suite runs on SQLite in `deno task test`).
const pgForSuite = await startPostgres().catch(() => undefined);
if (pgForSuite !== undefined) {
  let n = 0;
  accountsSuite("postgres", async () => {
    const db = `kp_suite_${++n}`;
    // A fresh database per test.
    const out = await new Deno.Command("runuser", {
      args: [
        "-u",
        "postgres",
        "--",
        "/usr/lib/postgresql/15/bin/createdb",
        "-h",
        "127.0.0.1",
        "-p",
        new URL(pgForSuite.url).port,
        db,
      ],
    }).output();
    if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
    return await openStore(pgForSuite.url.replace(/\/postgres$/, `/${db}`), { now: 1 });
  });
  Deno.test({
    name: "e2e (postgres): stop the suite's server",
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    await pgForSuite.stop();
  });
} else {
  Deno.test("e2e (postgres): PostgreSQL 15 must be installed for the account suite", () => {
    throw new Error("startPostgres failed: install postgresql (see .ci/run)");
  });
}
