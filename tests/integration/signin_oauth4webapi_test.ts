/**
 * A standard OpenID Connect relying-party library completes sign-in unchanged (issue 24):
 * `oauth4webapi` (npm, by the author of `jose`) reads our discovery document, builds the
 * authorization request with PKCE S256, a state and a nonce, checks the callback (its `iss`,
 * RFC 9207), redeems the code with client authentication `none` (public) and
 * `client_secret_basic` (confidential), validates the ID token's claims (issuer, audience,
 * lifetime, nonce, azp, auth_time), calls UserInfo (checking `sub`) and refreshes. The ID
 * token's signature is verified with npm `jose` against our published JWKS. The provider runs in
 * process; the library's requests reach it through its `customFetch` hook, unchanged.
 */

import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import * as oauth from "npm:oauth4webapi@3.8.9";
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, jwtVerify } from "npm:jose@5.9.6";
import {
  CLIENT_SECRET,
  GRAFANA,
  ISSUER,
  makeSigninInstance,
  PASSWORD,
  type SigninInstance,
  WIKI,
} from "../helpers/signin.ts";

/** oauth4webapi's request options whose fetch is answered by the in-process provider. */
function through(kp: SigninInstance) {
  return {
    [oauth.customFetch]: (
      url: string,
      init: { method?: string; headers?: HeadersInit; body?: BodyInit | null },
    ) => {
      const u = new URL(url);
      assert.equal(u.origin, ISSUER, "the library only talks to the issuer's endpoints");
      return kp.fetch(`${u.pathname}${u.search}`, {
        method: init.method ?? "GET",
        headers: init.headers,
        ...(init.body === undefined || init.body === null ? {} : { body: init.body }),
      });
    },
  };
}

async function discover(kp: SigninInstance): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(ISSUER);
  const res = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...through(kp) });
  return await oauth.processDiscoveryResponse(issuer, res);
}

/** The browser's part: the authorization URL oauth4webapi built, our pages, the callback URL. */
async function browse(
  kp: SigninInstance,
  authorizationUrl: URL,
  answer: (html: string) => Record<string, string> | null,
): Promise<URL> {
  const b = kp.browser();
  let res = await b.get(`${authorizationUrl.pathname}${authorizationUrl.search}`);
  for (let i = 0; i < 5 && res.status === 200; i++) {
    const html = await res.text();
    const fields = answer(html);
    assert.ok(fields !== null, `unexpected page:\n${html}`);
    res = await b.submit(html, fields);
  }
  assert.ok(res.status === 302 || res.status === 303, `status ${res.status}`);
  return new URL(res.headers.get("location")!);
}

function login(html: string): Record<string, string> | null {
  if (/name="consent" value="allow"/.test(html)) return { consent: "allow" };
  if (/name="password"/.test(html)) return { username: "alice", password: PASSWORD };
  return null;
}

Deno.test("oauth4webapi: a public client (PKCE, none) signs in, validates the ID token, calls userinfo, refreshes", async () => {
  const kp = await makeSigninInstance({ realClock: true });
  try {
    const sub = await kp.user("alice@example.com", { username: "alice" });
    const as = await discover(kp);
    assert.equal(as.issuer, ISSUER);
    const client: oauth.Client = { client_id: WIKI.id };
    const auth = oauth.None();
    const verifier = oauth.generateRandomCodeVerifier();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);
    const nonce = oauth.generateRandomNonce();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set("client_id", client.client_id);
    url.searchParams.set("redirect_uri", WIKI.redirect);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", "openid profile email");
    url.searchParams.set("code_challenge", challenge);
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("nonce", nonce);
    url.searchParams.set("state", state);
    const callback = await browse(kp, url, login);
    assert.ok(callback.href.startsWith(WIKI.redirect));
    const params = oauth.validateAuthResponse(as, client, callback, state);
    // A callback whose iss is not ours is refused by the library (RFC 9207 mix-up defence).
    const forged = new URL(callback);
    forged.searchParams.set("iss", "https://evil.example");
    assert.throws(() => oauth.validateAuthResponse(as, client, forged, state));
    const redeem = () =>
      oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        params,
        WIKI.redirect,
        verifier,
        through(kp),
      );
    const res = await redeem();
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, {
      expectedNonce: nonce,
      requireIdToken: true,
    });
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, WIKI.id);
    assert.equal(claims.sub, sub);
    assert.equal(claims.nonce, nonce);
    assert.deepEqual(claims.amr, ["pwd"]);
    // The signature, with another library and our published keys.
    const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
    const verified = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: WIKI.id,
      algorithms: as.id_token_signing_alg_values_supported,
    });
    assert.equal(verified.protectedHeader.alg, "ES256");

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      claims.sub,
      await oauth.userInfoRequest(as, client, tokens.access_token, through(kp)),
    );
    assert.equal(info.sub, sub);
    assert.equal(info.email, "alice@example.com");
    assert.equal(info.preferred_username, "alice");

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, through(kp)),
    );
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

    // The same code again: the library sees invalid_grant.
    const again = await redeem();
    await assert.rejects(
      oauth.processAuthorizationCodeResponse(as, client, again, { expectedNonce: nonce }),
      (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === "invalid_grant",
    );
  } finally {
    await kp.close();
  }
});

Deno.test("oauth4webapi: a confidential client (client_secret_basic) with consent; a wrong nonce is caught", async () => {
  const kp = await makeSigninInstance({ realClock: true });
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const as = await discover(kp);
    const client: oauth.Client = { client_id: GRAFANA.id };
    const auth = oauth.ClientSecretBasic(CLIENT_SECRET);
    const verifier = oauth.generateRandomCodeVerifier();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(as.authorization_endpoint!);
    for (
      const [k, v] of Object.entries({
        client_id: client.client_id,
        redirect_uri: GRAFANA.redirect,
        response_type: "code",
        scope: "openid email",
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        nonce,
      })
    ) url.searchParams.set(k, v);
    const callback = await browse(kp, url, login);
    const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      GRAFANA.redirect,
      verifier,
      through(kp),
    );
    // The library compares the nonce: another expected one fails its check.
    await assert.rejects(
      oauth.processAuthorizationCodeResponse(as, client, res.clone(), {
        expectedNonce: "not-the-nonce",
      }),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, {
      expectedNonce: nonce,
    });
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)!.aud, GRAFANA.id);
    assert.equal(tokens.scope, "openid email");
  } finally {
    await kp.close();
  }
});
