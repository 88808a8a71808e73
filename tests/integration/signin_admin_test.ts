/**
 * Sign-in clients through the admin API (issue 24): root principals only, config clients
 * read-only, secrets shown once and hashed, redirect URIs checked like the config's; a stored
 * client signs people in (public with PKCE, confidential with its secret) and is gone when
 * removed. A stored client is a sign-in client only: no client credentials, no introspection.
 */

import assert from "node:assert/strict";
import { decodeJws } from "../../src/jose/mod.ts";
import {
  accessToken,
  authorizeQuery,
  callApi,
  callbackParams,
  clientBasic,
  makeSigninInstance,
  pkce,
  redeem,
  redeemPublic,
  signIn,
} from "../helpers/signin.ts";

Deno.test("admin clients: root principals only; config clients listed read-only", async () => {
  const kp = await makeSigninInstance();
  try {
    const root = await accessToken(kp, "admin@example.test", "admin-password-1");
    await kp.user("olga@example.com", { role: "org_admin" });
    const orgAdmin = await accessToken(kp, "olga@example.com", "correct-horse-9");
    const denied = await callApi(kp, "GET", "/admin/clients", orgAdmin);
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const anon = await kp.fetch("/admin/clients");
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    const list = await (await callApi(kp, "GET", "/admin/clients", root)).json();
    // Every client of the config (sign-in and client-credentials ones), then stored ones.
    assert.deepEqual(list.clients.map((c: { id: string }) => c.id), ["wiki", "grafana", "ci"]);
    assert.equal(list.clients[0].source, "config");
    assert.equal(list.clients[0].public, true);
    assert.equal(list.clients[1].public, false);
    assert.ok(!JSON.stringify(list).includes("pbkdf2"), "no hash shown");
    for (const [method, body] of [["PUT", { name: "x" }], ["DELETE", undefined]] as const) {
      const r = await callApi(kp, method, "/admin/clients/wiki", root, body);
      // The admin API answers as keyguard's (a conflict is 400 there).
      assert.equal(r.status, 400, method);
      assert.match((await r.json()).message, /declared in the config file/);
    }
    const taken = await callApi(kp, "POST", "/admin/clients", root, {
      id: "grafana",
      redirect_uris: ["https://x.example/cb"],
    });
    assert.equal(taken.status, 400);
    await taken.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("admin clients: bad ids and redirect URIs are refused with the field named", async () => {
  const kp = await makeSigninInstance();
  try {
    const root = await accessToken(kp, "admin@example.test", "admin-password-1");
    for (
      const [body, re] of [
        [{ id: "a b", redirect_uris: ["https://a.example/cb"] }, /"id" must be/],
        [{ id: "keypebble:x", redirect_uris: ["https://a.example/cb"] }, /"id" must be/],
        [{ id: crypto.randomUUID(), redirect_uris: ["https://a.example/cb"] }, /not a UUID/],
        [{ id: "app" }, /"redirect_uris" must list at least one URI/],
        [{ id: "app", redirect_uris: ["http://a.example/cb"] }, /"redirect_uris"\[0\] must be/],
        [{ id: "app", redirect_uris: ["https://*.example/cb"] }, /wildcard/],
        [{ id: "app", redirect_uris: ["https://a.example/cb#f"] }, /fragment/],
        [{ id: "app", redirect_uris: ["https://a.example/cb"], public: "yes" }, /"public"/],
        [
          { id: "app", redirect_uris: ["https://a.example/cb"], post_logout_redirect_uris: [1] },
          /"post_logout_redirect_uris"\[0\] must be a string/,
        ],
      ] as const
    ) {
      const r = await callApi(kp, "POST", "/admin/clients", root, body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.match((await r.json()).message, re);
    }
  } finally {
    await kp.close();
  }
});

Deno.test("admin clients: a stored confidential client signs people in with its shown-once secret", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const root = await accessToken(kp, "admin@example.test", "admin-password-1");
    const created = await callApi(kp, "POST", "/admin/clients", root, {
      id: "notes",
      name: "Notes <app>",
      redirect_uris: ["https://notes.example/cb"],
      post_logout_redirect_uris: ["https://notes.example/"],
      first_party: true,
    });
    assert.equal(created.status, 201);
    const c = await created.json();
    assert.equal(c.source, "store");
    assert.equal(c.public, false);
    assert.match(c.client_secret, /^[A-Za-z0-9_-]{43}$/);
    const stored = (await kp.store.oidcClients.byId("notes"))!;
    assert.match(stored.secretHash!, /^\$pbkdf2-sha256\$/);
    assert.ok(
      !JSON.stringify(await (await callApi(kp, "GET", "/admin/clients/notes", root)).json())
        .includes(c.client_secret),
    );
    // Discovery sees a sign-in client now (it already did: the config has some).
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const client = { id: "notes", redirect: "https://notes.example/cb" };
    const res = await signIn(b, authorizeQuery(client, challenge), "alice");
    assert.equal(res.status, 303, await res.clone().text());
    const code = callbackParams(res).get("code")!;
    const wrong = await redeem(kp, {
      code,
      redirect_uri: client.redirect,
      code_verifier: verifier,
    }, clientBasic("notes", "not-the-secret"));
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await redeem(kp, {
      code,
      redirect_uri: client.redirect,
      code_verifier: verifier,
    }, clientBasic("notes", c.client_secret));
    // The failed authentication did not reach the code: it is still good.
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(decodeJws((await ok.json()).id_token).payload.aud, "notes");
    // A stored client has no client credentials grant and cannot introspect.
    const cc = await kp.fetch("/oauth2/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...clientBasic("notes", c.client_secret),
      },
      body: "grant_type=client_credentials",
    });
    assert.equal(cc.status, 400);
    assert.equal((await cc.json()).error, "unauthorized_client");
    const intro = await kp.fetch("/oauth2/introspect", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...clientBasic("notes", c.client_secret),
      },
      body: "token=x",
    });
    assert.equal(intro.status, 403);
    await intro.body?.cancel();
    // Rotating the secret: the old one stops working.
    const rotated = await (await callApi(kp, "PUT", "/admin/clients/notes", root, {
      rotate_secret: true,
      name: "Notes",
    })).json();
    assert.notEqual(rotated.client_secret, c.client_secret);
    assert.equal(rotated.name, "Notes");
    // Removed: it cannot start a sign-in.
    const del = await callApi(kp, "DELETE", "/admin/clients/notes", root);
    assert.equal(del.status, 204);
    const gone = await b.get(`/authorize?${authorizeQuery(client, challenge)}`);
    assert.equal(gone.status, 400);
    assert.equal(gone.headers.get("location"), null);
    await gone.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("admin clients: a stored public client uses PKCE alone; its name is escaped", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const root = await accessToken(kp, "admin@example.test", "admin-password-1");
    const created = await callApi(kp, "POST", "/admin/clients", root, {
      id: "cli-app",
      name: "<b>CLI</b>",
      public: true,
      redirect_uris: ["http://127.0.0.1/cb"],
    });
    assert.equal(created.status, 201);
    assert.equal((await created.json()).client_secret, undefined);
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const client = { id: "cli-app", redirect: "http://127.0.0.1:49152/cb" };
    const consent = await signIn(b, authorizeQuery(client, challenge), "alice");
    const html = await consent.text();
    assert.match(html, /Allow &lt;b&gt;CLI&lt;\/b&gt;\?/);
    const allowed = await b.submit(html, { consent: "allow" });
    assert.equal(allowed.status, 303);
    assert.match(allowed.headers.get("location")!, /^http:\/\/127\.0\.0\.1:49152\/cb\?code=/);
    const ok = await redeemPublic(
      kp,
      { code: callbackParams(allowed).get("code")!, verifier },
      client,
    );
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await kp.close();
  }
});
