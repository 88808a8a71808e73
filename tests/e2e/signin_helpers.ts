/**
 * A real Keypebble OpenID Provider for the sign-in end-to-end tests (issue 24): `keypebble serve`
 * on a SQLite store in a temporary directory, an ES256 key for ID tokens, the issuer on
 * `http://127.0.0.1:<port>` (a loopback browser keeps the cookies without TLS), the bootstrap
 * admin from `KEYPEBBLE_ADMIN_PASSWORD`, two sign-in clients (a public first-party one and a
 * confidential third-party one, both redirecting to loopback URIs of any port) and accounts made
 * through the admin API.
 */

import assert from "node:assert/strict";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { cheapHash } from "../helpers/handler.ts";
import { freePort, type RunningServer, startServer } from "../helpers/process.ts";

export const ADMIN_PASSWORD = "e2e-admin-password-1";
export const CLIENT_SECRET = "e2e-dash-client-secret-0123456789";
export const USER_PASSWORD = "e2e-user-password-1";

/** A running provider. */
export interface Provider {
  readonly issuer: string;
  readonly server: RunningServer;
  readonly dir: string;
  /** An account made through the admin API; resolves to its id. */
  user(email: string, username: string, role?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start the provider. */
export async function startProvider(): Promise<Provider> {
  const dir = await Deno.makeTempDir({ prefix: "kp-signin-" });
  const port = freePort();
  const issuer = `http://127.0.0.1:${port}`;
  await Deno.writeTextFile(`${dir}/ec.pem`, await generateKeyPem("ES256"), { mode: 0o600 });
  await Deno.writeTextFile(
    `${dir}/kp.yaml`,
    `issuer: "${issuer}"
service: { host: 127.0.0.1 }
log_level: warn
keys:
  - path: ec.pem
    kid: e2e-sig
store:
  url: "sqlite:${dir}/kp.db"
  pepper_path: kp.pepper
accounts:
  admin_email: admin@example.test
  totp_required_roles: [operator]
  totp_issuer: Keypebble E2E
oauth:
  clients:
    - id: wiki
      name: Team wiki
      public: true
      first_party: true
      redirect_uris: ["http://127.0.0.1/callback"]
      post_logout_redirect_uris: ["http://127.0.0.1/bye"]
    - id: dash
      name: Dashboards
      secret_hash: "${await cheapHash(CLIENT_SECRET)}"
      redirect_uris: ["http://127.0.0.1/callback"]
      post_logout_redirect_uris: ["http://127.0.0.1/bye"]
`,
  );
  const server = await startServer(`${dir}/kp.yaml`, {
    port,
    args: ["--workers", "1"],
    env: { KEYPEBBLE_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  const login = await fetch(`${issuer}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const admin = (await login.json()).access_token as string;
  return {
    issuer,
    server,
    dir,
    async user(email, username, role = "viewer") {
      const res = await fetch(`${issuer}/api/v1/auth/users`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ email, username, password: USER_PASSWORD, role }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()).id;
    },
    async stop() {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
