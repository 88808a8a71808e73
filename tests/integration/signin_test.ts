/**
 * Sign in with Keypebble (issue 24), in process: the browser's pages (login, second factor,
 * consent, forced password change, TOTP enrolment), the authorization_code grant, the ID token,
 * UserInfo, RP-initiated logout and discovery, with the attacks on each kept as tests.
 */

import assert from "node:assert/strict";
import { decodeJws, verifyJws } from "../../src/jose/mod.ts";
import { atHash } from "../../src/oidc/mod.ts";
import { cheapHash } from "../helpers/handler.ts";
import {
  authorizeQuery,
  callbackParams,
  CLIENT_SECRET,
  clientBasic,
  GRAFANA,
  ISSUER,
  makeSigninInstance,
  pkce,
  redeem,
  redeemPublic,
  signIn,
  WIKI,
  wikiCode,
  wikiTokens,
} from "../helpers/signin.ts";

Deno.test("signin: a first-party public client signs a person in: code, tokens, ID token, userinfo", async () => {
  const kp = await makeSigninInstance();
  try {
    const id = await kp.user("alice@example.com", { username: "alice" });
    const b = kp.browser();
    const got = await wikiCode(b);
    const { code, params, nonce } = got;
    assert.equal(params.get("state"), "st-1");
    assert.equal(params.get("iss"), ISSUER);
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    // The session cookie: HttpOnly, SameSite=Lax, Secure under an https issuer, __Host- prefix.
    assert.ok(b.jar.has("__Host-kp_session"));

    const res = await redeemPublic(kp, got);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get("cache-control"), "no-store");
    const body = await res.json();
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.scope, "openid profile email");
    assert.match(body.refresh_token, /^kprt_/);
    // The ID token: ES256 with the keyring's asymmetric key, typ JWT, aud the client.
    const { header, payload } = decodeJws(body.id_token);
    assert.equal(header.alg, "ES256");
    assert.equal(header.typ, "JWT");
    assert.equal(header.kid, "sig-1");
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.aud, WIKI.id);
    assert.equal(payload.azp, WIKI.id);
    assert.equal(payload.sub, id);
    assert.equal(payload.nonce, nonce);
    assert.deepEqual(payload.amr, ["pwd"]);
    assert.equal(typeof payload.auth_time, "number");
    assert.equal(typeof payload.sid, "string");
    assert.equal(payload.at_hash, await atHash(body.access_token, "ES256"));
    assert.equal(payload.kp_kind, undefined, "an ID token carries no kind claim");
    assert.ok((payload.exp as number) - (payload.iat as number) <= 300);
    await verifyJws(body.id_token, kp.runtime.keyring.keys, {
      now: Math.floor(kp.clock.t / 1000),
      issuer: ISSUER,
      audience: WIKI.id,
    });

    const info = await kp.fetch("/userinfo", {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(info.status, 200);
    assert.deepEqual(await info.json(), {
      sub: id,
      name: "alice",
      preferred_username: "alice",
      updated_at: (await kp.store.users.byId(id))!.updatedAt,
      email: "alice@example.com",
      email_verified: false,
    });
    const post = await kp.fetch("/userinfo", {
      method: "POST",
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(post.status, 200);
    await post.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("signin: a third-party confidential client gets the consent page; allow, deny", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const query = authorizeQuery(GRAFANA, challenge, { scope: "openid email dashboards" });
    const consent = await signIn(b, query, "alice");
    assert.equal(consent.status, 200);
    const html = await consent.text();
    // Contract: a button named consent with value allow; the scopes listed; who is signed in.
    assert.match(html, /<button type="submit" name="consent" value="allow">/);
    assert.match(html, /Allow Grafana\?/);
    assert.match(html, /Your e-mail address/);
    assert.match(html, /dashboards/);
    assert.match(html, /Signed in as alice/);
    const csp = consent.headers.get("content-security-policy") ?? "";
    assert.match(csp, /form-action 'self' https:\/\/grafana\.example/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(html, /<script/i);
    const allowed = await b.submit(html, { consent: "allow" });
    assert.equal(allowed.status, 303);
    const code = callbackParams(allowed).get("code")!;
    // A confidential client must authenticate: client_id alone is invalid_client.
    const anon = await redeem(kp, {
      code,
      redirect_uri: GRAFANA.redirect,
      client_id: GRAFANA.id,
      code_verifier: verifier,
    });
    assert.equal(anon.status, 401);
    assert.equal((await anon.json()).error, "invalid_client");
    // That attempt did not spend the code (client authentication comes first) … it did not
    // reach redemption; with the secret (HTTP Basic) the code works.
    const ok = await redeem(kp, {
      code,
      redirect_uri: GRAFANA.redirect,
      code_verifier: verifier,
    }, clientBasic(GRAFANA.id, CLIENT_SECRET));
    assert.equal(ok.status, 200, await ok.clone().text());
    const body = await ok.json();
    assert.equal(body.scope, "openid email dashboards");
    assert.equal(decodeJws(body.id_token).payload.aud, GRAFANA.id);
    // client_secret_post works too, for a fresh code; and consent is asked again (not stored).
    const again = await b.get(`/authorize?${authorizeQuery(GRAFANA, challenge)}`);
    assert.equal(again.status, 200);
    const denied = await b.submit(await again.text(), { consent: "deny" });
    assert.equal(denied.status, 303);
    const p = callbackParams(denied);
    assert.equal(p.get("error"), "access_denied");
    assert.equal(p.get("state"), "st-1");
    assert.equal(p.get("iss"), ISSUER);
    assert.equal(p.get("code"), null);
  } finally {
    await kp.close();
  }
});

Deno.test("signin: a session signs in again without the form; prompt=none gets a code", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    await wikiCode(b);
    const { challenge } = pkce();
    const silent = await b.get(`/authorize?${authorizeQuery(WIKI, challenge, { prompt: "none" })}`);
    assert.equal(silent.status, 302);
    assert.match(callbackParams(silent).get("code") ?? "", /^[A-Za-z0-9_-]{43}$/);
    // prompt=login shows the login page even so.
    const login = await b.get(`/authorize?${authorizeQuery(WIKI, challenge, { prompt: "login" })}`);
    assert.equal(login.status, 200);
    assert.match(await login.text(), /name="password"/);
    // max_age: a session older than it asks again; auth_time is the sign-in's.
    kp.advance(120);
    const old = await b.get(`/authorize?${authorizeQuery(WIKI, challenge, { max_age: "60" })}`);
    assert.equal(old.status, 200);
    assert.match(await old.text(), /name="password"/);
  } finally {
    await kp.close();
  }
});

Deno.test("signin: the refresh token rotates, keeps the scope, and is bound to the public client", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const tokens = await wikiTokens(kp, kp.browser());
    const refresh = (fields: Record<string, string>) =>
      kp.fetch("/oauth2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", ...fields }).toString(),
      });
    // Without naming the client it was issued to, the family is not refreshed.
    const anon = await refresh({ refresh_token: tokens.refresh_token });
    assert.equal(anon.status, 400);
    assert.equal((await anon.json()).error, "invalid_grant");
    // The refused attempt did not use it up; the public client names itself.
    const next = await refresh({ refresh_token: tokens.refresh_token, client_id: WIKI.id });
    assert.equal(next.status, 200, await next.clone().text());
    const nb = await next.json();
    assert.equal(nb.scope, "openid profile email");
    assert.notEqual(nb.refresh_token, tokens.refresh_token);
    const info = await kp.fetch("/userinfo", {
      headers: { authorization: `Bearer ${nb.access_token}` },
    });
    assert.equal(info.status, 200);
    await info.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("signin: discovery advertises exactly the provider that exists", async () => {
  const kp = await makeSigninInstance();
  try {
    const doc = await (await kp.fetch("/.well-known/openid-configuration")).json();
    assert.equal(doc.issuer, ISSUER);
    assert.equal(doc.authorization_endpoint, `${ISSUER}/authorize`);
    assert.equal(doc.token_endpoint, `${ISSUER}/oauth2/token`);
    assert.equal(doc.userinfo_endpoint, `${ISSUER}/userinfo`);
    assert.equal(doc.end_session_endpoint, `${ISSUER}/end_session`);
    assert.equal(doc.jwks_uri, `${ISSUER}/.well-known/jwks.json`);
    assert.deepEqual(doc.response_types_supported, ["code"]);
    assert.deepEqual(doc.response_modes_supported, ["query"]);
    assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ["ES256"]);
    assert.ok(doc.grant_types_supported.includes("authorization_code"));
    assert.ok(doc.grant_types_supported.includes("refresh_token"));
    assert.ok(doc.token_endpoint_auth_methods_supported.includes("none"));
    assert.ok(doc.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
    assert.equal(doc.authorization_response_iss_parameter_supported, true);
    for (const c of ["sub", "nonce", "auth_time", "amr", "at_hash", "sid", "email", "name"]) {
      assert.ok(doc.claims_supported.includes(c), c);
    }
    assert.equal(new Set(doc.claims_supported).size, doc.claims_supported.length);
    // Every advertised endpoint answers.
    const css = await kp.fetch("/assets/login.css");
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    await css.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("signin: without sign-in clients nothing of it is advertised or served", async () => {
  const kp = await makeSigninInstance({
    clients: `oauth:\n  clients:\n    - id: ci\n      secret_hash: "${await cheapHash(
      "x".repeat(32),
    )}"\n`,
  });
  try {
    const doc = await (await kp.fetch("/.well-known/openid-configuration")).json();
    assert.equal(doc.authorization_endpoint, undefined);
    assert.equal(doc.userinfo_endpoint, undefined);
    assert.equal(doc.end_session_endpoint, undefined);
    assert.deepEqual(doc.response_types_supported, []);
    // The grant exists (a stored client could be added), but no client can use it.
    const page = await kp.fetch(`/authorize?${authorizeQuery(WIKI, pkce().challenge)}`);
    assert.equal(page.status, 400);
    assert.equal(page.headers.get("location"), null);
    assert.match(await page.text(), /The client is unknown/);
  } finally {
    await kp.close();
  }
});
