/**
 * A second relying-party library, from another ecosystem, signs people in at a real Keypebble
 * unchanged (issue 24): Python's Authlib (Debian python3-authlib, `/usr/bin/python3`) runs
 * `signin_authlib_rp.py` against `keypebble serve`: discovery, PKCE S256, the code with
 * client_secret_basic (a confidential third-party client, through the consent page) and with
 * none (a public first-party client), the ID token verified with the JWKS and validated by
 * Authlib's CodeIDToken (iss, aud, exp, iat, nonce, azp, at_hash), UserInfo, refresh, logout.
 */

import assert from "node:assert/strict";
import { CLIENT_SECRET, type Provider, startProvider, USER_PASSWORD } from "./signin_helpers.ts";

const RP = new URL("./signin_authlib_rp.py", import.meta.url).pathname;

async function authlib(p: Provider, client: { id: string; secret: string | null }, port: number) {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      RP,
      JSON.stringify({
        issuer: p.issuer,
        client_id: client.id,
        client_secret: client.secret,
        redirect_uri: `http://127.0.0.1:${port}/callback`,
        username: "alice",
        password: USER_PASSWORD,
        post_logout_redirect_uri: `http://127.0.0.1:${port}/bye`,
      }),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `authlib relying party failed:\n${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "authlib (Python) signs a person in: confidential client with consent, public client",
  sanitizeResources: false,
  async fn() {
    const p = await startProvider();
    try {
      const alice = await p.user("alice@example.com", "alice");
      const dash = await authlib(p, { id: "dash", secret: CLIENT_SECRET }, 41234);
      assert.deepEqual(dash.pages, ["login", "consent"]);
      assert.equal(dash.state_ok, true);
      assert.equal(dash.id_token.iss, p.issuer);
      assert.equal(dash.id_token.aud, "dash");
      assert.equal(dash.id_token.sub, alice);
      assert.deepEqual(dash.id_token.amr, ["pwd"]);
      assert.equal(dash.id_token_alg, "ES256");
      assert.equal(typeof dash.id_token.at_hash, "string");
      assert.equal(dash.userinfo.email, "alice@example.com");
      assert.equal(dash.userinfo.preferred_username, "alice");
      assert.equal(dash.scope, "openid profile email");
      assert.equal(dash.refreshed, true);
      assert.equal(dash.logout_status, 302);
      assert.match(dash.logout_location, /^http:\/\/127\.0\.0\.1:41234\/bye\?state=bye-/);

      const wiki = await authlib(p, { id: "wiki", secret: null }, 52345);
      assert.deepEqual(wiki.pages, ["login"], "a first-party client has no consent page");
      assert.equal(wiki.id_token.aud, "wiki");
      assert.equal(wiki.refreshed, true);
    } finally {
      await p.stop();
    }
  },
});
