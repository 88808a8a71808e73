/**
 * Attacks on sign-in (issue 24), kept as tests: open redirects (authorization and logout), PKCE
 * missing, plain or wrong, code reuse (and what it issued revoked), a code of another client,
 * a replayed nonce, expired sessions, forms without their CSRF token or from another site,
 * `prompt=none` without a session, the ID token where an access token is expected, session
 * fixation, markup in parameters, and lockout at the login page.
 */

import assert from "node:assert/strict";
import { decodeJws } from "../../src/jose/mod.ts";
import {
  apiLogin,
  authorizeQuery,
  callbackParams,
  CLIENT_SECRET,
  clientBasic,
  formOf,
  GRAFANA,
  makeSigninInstance,
  ORIGIN,
  PASSWORD,
  pkce,
  redeem,
  redeemPublic,
  signIn,
  WIKI,
  wikiCode,
  wikiTokens,
} from "../helpers/signin.ts";

function noRedirect(res: Response): void {
  assert.equal(res.headers.get("location"), null, "must not redirect");
  assert.equal(res.status, 400);
}

Deno.test("attack: redirect_uri not registered (prefix, suffix, path, case, userinfo, other client's) never redirects", async () => {
  const kp = await makeSigninInstance();
  try {
    const { challenge } = pkce();
    for (
      const bad of [
        "https://evil.example/cb",
        "https://wiki.example/cb.evil.example",
        "https://wiki.example/cb/",
        "https://wiki.example/cb/../admin",
        "https://wiki.example/cb?x=1",
        "https://WIKI.example/cb",
        "https://wiki.example@evil.example/cb",
        "https://wiki.example/cb#frag",
        "//evil.example/cb",
        "javascript:alert(1)",
        "http://127.0.0.1.evil.example/callback",
        "http://localhost/callback",
        GRAFANA.redirect,
        "",
      ]
    ) {
      const res = await kp.fetch(
        `/authorize?${authorizeQuery({ id: WIKI.id, redirect: bad }, challenge)}`,
      );
      noRedirect(res);
      const html = await res.text();
      assert.match(html, /Sign-in error/);
      assert.doesNotMatch(html, /evil\.example/, "the unverified URI is not echoed as a link");
    }
    // The loopback redirect of a native app: any port, same path (RFC 8252 §7.3).
    const loop = await kp.fetch(
      `/authorize?${
        authorizeQuery({ id: WIKI.id, redirect: "http://127.0.0.1:53123/callback" }, challenge, {
          prompt: "none",
        })
      }`,
    );
    assert.equal(loop.status, 302);
    assert.match(
      loop.headers.get("location")!,
      /^http:\/\/127\.0\.0\.1:53123\/callback\?error=login_required/,
    );
    // Unknown or repeated client_id: the error page too.
    const unknown = await kp.fetch(
      `/authorize?${authorizeQuery({ id: "nobody", redirect: WIKI.redirect }, challenge)}`,
    );
    noRedirect(unknown);
    await unknown.body?.cancel();
    const twice = await kp.fetch(
      `/authorize?${authorizeQuery(WIKI, challenge)}&client_id=grafana`,
    );
    noRedirect(twice);
    await twice.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("attack: PKCE missing or plain is refused back to the client; a wrong verifier is invalid_grant", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const { challenge, verifier } = pkce();
    const q = new URLSearchParams(authorizeQuery(WIKI, challenge));
    q.delete("code_challenge");
    q.delete("code_challenge_method");
    const missing = await kp.fetch(`/authorize?${q}`);
    assert.equal(missing.status, 302);
    assert.equal(callbackParams(missing).get("error"), "invalid_request");
    assert.equal(callbackParams(missing).get("state"), "st-1");
    const plain = await kp.fetch(
      `/authorize?${authorizeQuery(WIKI, verifier, { code_challenge_method: "plain" })}`,
    );
    assert.equal(callbackParams(plain).get("error"), "invalid_request");
    const implicit = await kp.fetch(
      `/authorize?${authorizeQuery(WIKI, challenge, { response_type: "token" })}`,
    );
    assert.equal(callbackParams(implicit).get("error"), "unsupported_response_type");

    const b = kp.browser();
    const got = await wikiCode(b);
    const wrong = await redeemPublic(kp, { code: got.code, verifier: pkce().verifier });
    assert.equal(wrong.status, 400);
    const body = await wrong.json();
    assert.equal(body.error, "invalid_grant");
    assert.equal(body.error_description, "code_verifier does not match the code_challenge");
    // The code is spent by the failed attempt: the right verifier comes too late.
    const late = await redeemPublic(kp, got);
    assert.equal(late.status, 400);
    await late.body?.cancel();
    // No verifier at all.
    const g2 = await wikiCode(b);
    const none = await redeem(kp, {
      code: g2.code,
      redirect_uri: WIKI.redirect,
      client_id: WIKI.id,
    });
    assert.equal((await none.json()).error, "invalid_grant");
  } finally {
    await kp.close();
  }
});

Deno.test("attack: a reused code is refused and what it issued is revoked (access, refresh, ID)", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const got = await wikiCode(b);
    const first = await redeemPublic(kp, got);
    assert.equal(first.status, 200);
    const tokens = await first.json();
    const me = () =>
      kp.fetch("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await me()).status, 200);
    const replay = await redeemPublic(kp, got);
    assert.equal(replay.status, 400);
    const rb = await replay.json();
    assert.equal(rb.error, "invalid_grant");
    assert.match(rb.error_description, /already used/);
    // The access token is revoked (its jti in the one revocation list) …
    const after = await me();
    assert.equal(after.status, 401);
    assert.match(after.headers.get("www-authenticate") ?? "", /invalid_token/);
    // … introspection says inactive …
    const intro = await kp.fetch("/oauth2/introspect", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...clientBasic("ci", CLIENT_SECRET),
      },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    assert.equal((await intro.json()).active, false);
    // … the refresh family is revoked …
    const refresh = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        client_id: WIKI.id,
      }).toString(),
    });
    assert.equal(refresh.status, 400);
    assert.match((await refresh.json()).error_description, /revoked/);
    // … and the revocation is in the store, for every instance (both jtis).
    const idJti = decodeJws(tokens.id_token).payload.jti as string;
    const atJti = decodeJws(tokens.access_token).payload.jti as string;
    assert.ok(await kp.store.revocations.isRevoked(atJti));
    assert.ok(await kp.store.revocations.isRevoked(idJti));
    assert.ok(kp.logLines.some((l) => l.includes('"authorization_code_reuse"')));
  } finally {
    await kp.close();
  }
});

Deno.test("attack: a code of one client redeemed by another is refused (and spent)", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const { code, verifier } = await wikiCode(b);
    // grafana (authenticated) presents wiki's code with wiki's redirect URI and verifier.
    const stolen = await redeem(kp, {
      code,
      redirect_uri: WIKI.redirect,
      code_verifier: verifier,
    }, clientBasic(GRAFANA.id, CLIENT_SECRET));
    assert.equal(stolen.status, 400);
    assert.equal(
      (await stolen.json()).error_description,
      "The authorization code was issued to another client",
    );
    const owner = await redeemPublic(kp, { code, verifier });
    assert.equal(owner.status, 400, "a code is spent by any presentation");
    await owner.body?.cancel();
    // A public client cannot name a confidential one to skip its secret.
    const g = await wikiCode(b);
    const posing = await redeemPublic(kp, g, { id: GRAFANA.id, redirect: WIKI.redirect });
    assert.equal(posing.status, 401);
    assert.equal((await posing.json()).error, "invalid_client");
    // Another redirect URI than the request's.
    const g3 = await wikiCode(b);
    const other = await redeemPublic(kp, g3, {
      id: WIKI.id,
      redirect: "http://127.0.0.1/callback",
    });
    assert.equal((await other.json()).error, "invalid_grant");
    // Expired: 60 s.
    const g4 = await wikiCode(b);
    kp.advance(61);
    const expired = await redeemPublic(kp, g4);
    assert.equal((await expired.json()).error_description, "The authorization code has expired");
  } finally {
    await kp.close();
  }
});

Deno.test("attack: a nonce used for one of the client's codes is refused the second time", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const got = await wikiCode(b, { nonce: "fixed-nonce-1" });
    assert.ok(got.code);
    const again = await b.get(
      `/authorize?${authorizeQuery(WIKI, pkce().challenge, { nonce: "fixed-nonce-1" })}`,
    );
    assert.equal(again.status, 302);
    assert.equal(callbackParams(again).get("error"), "invalid_request");
    assert.match(callbackParams(again).get("error_description")!, /nonce was already used/);
    // Another client may use the same value (the binding is per client).
    const g = await b.get(
      `/authorize?${authorizeQuery(GRAFANA, pkce().challenge, { nonce: "fixed-nonce-1" })}`,
    );
    assert.equal(g.status, 200);
    await g.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("attack: an expired or ended session signs nobody in; prompt=none says login_required", async () => {
  const kp = await makeSigninInstance({ accounts: { sessionTtlSeconds: 600 } });
  try {
    await kp.user("alice@example.com");
    const none = await kp.fetch(
      `/authorize?${authorizeQuery(WIKI, pkce().challenge, { prompt: "none" })}`,
    );
    assert.equal(none.status, 302);
    assert.equal(callbackParams(none).get("error"), "login_required");
    assert.equal(callbackParams(none).get("state"), "st-1");
    const b = kp.browser();
    await wikiCode(b);
    const cookie = [...b.jar.entries()].find(([k]) => k.endsWith("kp_session"))!;
    kp.advance(601);
    const expired = await b.get(
      `/authorize?${authorizeQuery(WIKI, pkce().challenge, { prompt: "none" })}`,
    );
    assert.equal(callbackParams(expired).get("error"), "login_required");
    // A forged or stale cookie value is none at all.
    b.jar.set(cookie[0], "A".repeat(43));
    const forged = await b.get(`/authorize?${authorizeQuery(WIKI, pkce().challenge)}`);
    assert.equal(forged.status, 200);
    assert.match(await forged.text(), /name="password"/);
  } finally {
    await kp.close();
  }
});

Deno.test("attack: a form without its CSRF token, with another form's, or from another site does nothing", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const query = authorizeQuery(WIKI, pkce().challenge);
    const html = await (await b.get(`/authorize?${query}`)).text();
    const form = formOf(html);
    // No token.
    const noToken = await b.post(form.action, {
      username: "alice@example.com",
      password: "correct-horse-9",
    });
    assert.equal(noToken.status, 400);
    assert.equal(noToken.headers.get("location"), null);
    assert.ok(![...b.jar.keys()].some((k) => k.endsWith("kp_session")), "no session");
    assert.match(await noToken.text(), /expired, or your browser did not send its cookie/);
    // The token of another browser (another login cookie).
    const other = kp.browser("203.0.113.9");
    const theirs = formOf(await (await other.get(`/authorize?${query}`)).text());
    const crossed = await b.post(form.action, {
      ...theirs.fields,
      username: "alice@example.com",
      password: "correct-horse-9",
    });
    assert.equal(crossed.status, 400);
    await crossed.body?.cancel();
    // A cross-site post (the victim's browser sends its cookies on a top-level POST only with
    // SameSite=None; the Origin check refuses it anyway).
    const cross = await b.post(form.action, {
      ...form.fields,
      username: "alice@example.com",
      password: "correct-horse-9",
    }, { origin: "https://evil.example" });
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.get("location"), null);
    await cross.body?.cancel();
    const nullOrigin = await b.post(form.action, {
      ...form.fields,
      username: "alice@example.com",
      password: "correct-horse-9",
    }, { origin: "null" });
    assert.equal(nullOrigin.status, 403);
    await nullOrigin.body?.cancel();
    // The consent token does not work for the login form (purposes differ), and the other way.
    const ok = await b.post(form.action, {
      ...form.fields,
      username: "alice@example.com",
      password: "correct-horse-9",
    }, { origin: ORIGIN });
    assert.equal(ok.status, 303);
    // Consent without its token (grafana, signed in now).
    const g = await b.get(`/authorize?${authorizeQuery(GRAFANA, pkce().challenge)}`);
    const gf = formOf(await g.text());
    const forged = await b.post(gf.action, { consent: "allow" });
    assert.equal(forged.status, 400);
    assert.equal(forged.headers.get("location"), null);
    await forged.body?.cancel();
    const withLoginToken = await b.post(gf.action, {
      consent: "allow",
      csrf_token: form.fields.csrf_token,
    });
    assert.equal(withLoginToken.status, 400);
    await withLoginToken.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("attack: a form-encoded authorization request is sent on as a GET to ourselves only", async () => {
  const kp = await makeSigninInstance();
  try {
    const body = new URLSearchParams(authorizeQuery(WIKI, pkce().challenge));
    const res = await kp.fetch("/authorize", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://wiki.example",
      },
      body: body.toString(),
    });
    assert.equal(res.status, 303);
    const loc = res.headers.get("location")!;
    assert.ok(loc.startsWith("/authorize?"), loc);
    assert.equal(new URLSearchParams(loc.slice(loc.indexOf("?") + 1)).get("client_id"), WIKI.id);
  } finally {
    await kp.close();
  }
});

Deno.test("attack: logout redirects only to a registered post-logout URI, asks without a hint", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const tokens = await wikiTokens(kp, b);
    for (
      const bad of [
        "https://evil.example/",
        "https://wiki.example/bye/../evil",
        "https://wiki.example/bye?next=https://evil.example",
        "https://grafana.example/",
      ]
    ) {
      const res = await b.get(`/end_session?${new URLSearchParams({
        id_token_hint: tokens.id_token,
        post_logout_redirect_uri: bad,
        state: "s",
      })}`);
      noRedirect(res);
      await res.body?.cancel();
    }
    // Without a client to check it against: the error page.
    const noClient = await b.get(
      `/end_session?post_logout_redirect_uri=https%3A%2F%2Fwiki.example%2Fbye`,
    );
    noRedirect(noClient);
    await noClient.body?.cancel();
    // A forged hint (another key): the error page.
    const [h, p] = tokens.id_token.split(".");
    const forged = await b.get(`/end_session?id_token_hint=${h}.${p}.${"A".repeat(86)}`);
    noRedirect(forged);
    await forged.body?.cancel();
    // A link without a hint (a third-party page): asked first, still signed in.
    const link = await b.get(
      `/end_session?client_id=wiki&post_logout_redirect_uri=https%3A%2F%2Fwiki.example%2Fbye`,
    );
    assert.equal(link.status, 200);
    const confirm = await link.text();
    assert.match(confirm, /Sign out\?/);
    assert.match(
      link.headers.get("content-security-policy")!,
      /form-action 'self' https:\/\/wiki\.example/,
    );
    assert.ok([...b.jar.keys()].some((k) => k.endsWith("kp_session")));
    // The confirmation cannot be forged (no token).
    const forgedYes = await b.post(formOf(confirm).action, { logout: "yes" });
    assert.equal(forgedYes.status, 400);
    await forgedYes.body?.cancel();
    // The real one: signed out, sent to the registered URI.
    const yes = await b.submit(confirm, { logout: "yes" });
    assert.equal(yes.status, 303);
    assert.equal(yes.headers.get("location"), "https://wiki.example/bye");
    assert.ok(![...b.jar.keys()].some((k) => k.endsWith("kp_session")), "cookie deleted");
  } finally {
    await kp.close();
  }
});

Deno.test("logout: a hint naming the session signs out at once (an expired hint too), with state", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const first = await wikiCode(b);
    const pending = await wikiCode(b);
    const tokens = await (await redeemPublic(kp, first)).json();
    kp.advance(3600); // the ID token (5 minutes) has expired; the session (8 h) has not
    const res = await b.get(`/end_session?${new URLSearchParams({
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: "https://wiki.example/bye",
      state: "bye-1",
    })}`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "https://wiki.example/bye?state=bye-1");
    assert.match(res.headers.get("set-cookie") ?? "", /kp_session=; .*Max-Age=0/);
    // The session has ended: a code issued in it is void, prompt=none needs a login.
    kp.advance(-3600 + 10);
    const void_ = await redeemPublic(kp, pending);
    assert.equal(
      (await void_.json()).error_description,
      "The sign-in session of this code has ended",
    );
    // The ID token is no access token anywhere.
    for (
      const [path, init] of [
        ["/userinfo", {}],
        ["/api/v1/auth/me", {}],
      ] as const
    ) {
      const r = await kp.fetch(path, {
        ...init,
        headers: { authorization: `Bearer ${tokens.id_token}` },
      });
      assert.equal(r.status, 401, path);
      await r.body?.cancel();
    }
  } finally {
    await kp.close();
  }
});

Deno.test("attack: session fixation: a planted cookie is replaced at sign-in", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    b.jar.set("__Host-kp_session", "B".repeat(43));
    await wikiCode(b);
    assert.notEqual(b.jar.get("__Host-kp_session"), "B".repeat(43));
  } finally {
    await kp.close();
  }
});

Deno.test("attack: markup in state, login_hint and client names is escaped; pages carry no script", async () => {
  const kp = await makeSigninInstance();
  try {
    const b = kp.browser();
    const res = await b.get(`/authorize?${
      authorizeQuery(WIKI, pkce().challenge, {
        login_hint: '"><script>alert(1)</script>',
        state: "<img src=x onerror=alert(1)>",
      })
    }`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /&quot;&gt;&lt;script&gt;/);
    const csp = res.headers.get("content-security-policy")!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const login = res.headers.getSetCookie().find((c) => c.startsWith("__Host-kp_login="))!;
    assert.match(login, /; Path=\/; HttpOnly; SameSite=Lax; Secure/);
    // A bad request's error page too.
    const err = await b.get(`/authorize?client_id=%3Cscript%3E&redirect_uri=x`);
    assert.doesNotMatch(await err.text(), /<script/i);
  } finally {
    await kp.close();
  }
});

Deno.test("attack: password guessing at the login page locks out like the API login", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com");
    const b = kp.browser();
    const query = authorizeQuery(WIKI, pkce().challenge);
    let last: Response | undefined;
    for (let i = 0; i < 20; i++) {
      last = await signIn(b, query, "alice@example.com", `wrong-${i}-password`);
      assert.equal(last.status, 401);
      assert.match(await last.text(), /Wrong e-mail, username or password/);
    }
    const locked = await signIn(b, query, "alice@example.com", "correct-horse-9");
    assert.equal(locked.status, 429);
    assert.match(await locked.text(), /Too many failed attempts/);
    assert.ok(Number(locked.headers.get("retry-after")) > 0);
    // The API login of the same account is locked too (one count per account).
    const api = await apiLogin(
      kp,
      { email: "alice@example.com", password: PASSWORD },
      "192.0.2.44",
    );
    assert.equal(api.status, 429);
    await api.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("page errors are HTML pages (the html wire style): a JSON body, sign-in switched off", async () => {
  const kp = await makeSigninInstance({ extraYaml: "" });
  try {
    const res = await kp.fetch(`/authorize?${authorizeQuery(WIKI, pkce().challenge)}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: ORIGIN },
      body: "{}",
    });
    assert.equal(res.status, 415);
    assert.match(res.headers.get("content-type")!, /^text\/html/);
    assert.equal(res.headers.get("x-error-code"), "unsupported_media_type");
    assert.match(res.headers.get("content-security-policy")!, /default-src 'none'/);
    const html = await res.text();
    assert.match(html, /Error code: <code>unsupported_media_type<\/code>/);
    assert.doesNotMatch(html, /<script|<link|style=/);
  } finally {
    await kp.close();
  }
  const off = await makeSigninInstance({ extraYaml: "profiles:\n  id: {enabled: false}\n" });
  try {
    for (const path of ["/authorize", "/end_session", "/assets/login.css"]) {
      const r = await off.fetch(path);
      assert.equal(r.status, 404, path);
      assert.match(r.headers.get("content-type")!, /^text\/html/);
      await r.body?.cancel();
    }
    const doc = await (await off.fetch("/.well-known/openid-configuration")).json();
    assert.equal(doc.authorization_endpoint, undefined);
    assert.ok(!doc.grant_types_supported.includes("authorization_code"));
  } finally {
    await off.close();
  }
});
