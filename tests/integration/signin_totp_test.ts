/**
 * The second factor of sign-in (issue 24), in process: enrolment through the API and at the
 * login page (required by role or by account), sign-in with a TOTP or a recovery code, replays,
 * lockout, the password grant's and pico-auth login's `otp`, an administrator's reset, the forced
 * password change of a fresh administrator, and the browser sessions that a password change,
 * a suspension and a reset end.
 */

import assert from "node:assert/strict";
import { decodeJws } from "../../src/jose/mod.ts";
import { base32Decode, totp } from "../../src/oidc/mod.ts";
import {
  accessToken,
  apiLogin,
  authorizeQuery,
  type Browser,
  callApi,
  callbackParams,
  formOf,
  makeSigninInstance,
  PASSWORD,
  pkce,
  redeemPublic,
  signIn,
  type SigninInstance,
  WIKI,
  wikiCode,
} from "../helpers/signin.ts";

function nowSec(kp: SigninInstance): number {
  return Math.floor(kp.clock.t / 1000);
}

/** Enrol alice through the API; resolves to her TOTP secret and recovery codes. */
async function enrolByApi(kp: SigninInstance): Promise<{ secret: Uint8Array; codes: string[] }> {
  const token = await accessToken(kp, "alice@example.com");
  const wrongPw = await callApi(kp, "POST", "/api/v1/auth/me/totp", token, {
    password: "nope-nope-1",
  });
  assert.equal(wrongPw.status, 403);
  await wrongPw.body?.cancel();
  const begin = await callApi(kp, "POST", "/api/v1/auth/me/totp", token, { password: PASSWORD });
  assert.equal(begin.status, 201);
  const e = await begin.json();
  assert.match(e.otpauth_uri, /^otpauth:\/\/totp\/kp\.test:alice\?secret=/);
  assert.match(e.qr_svg, /^<svg /);
  assert.equal(e.recovery_codes.length, 10);
  const secret = base32Decode(e.secret);
  const bad = await callApi(kp, "POST", "/api/v1/auth/me/totp/confirm", token, { code: "000000" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  const ok = await callApi(kp, "POST", "/api/v1/auth/me/totp/confirm", token, {
    code: await totp(secret, nowSec(kp)),
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), {
    enrolled: true,
    required: true,
    required_by_account: false,
    pending: false,
    recovery_codes_left: 10,
  });
  return { secret, codes: e.recovery_codes };
}

/** The second-factor page after the password (a fresh request each time: nonces are single use). */
async function codePage(
  b: Browser,
  query = authorizeQuery(WIKI, pkce().challenge),
): Promise<string> {
  const res = await signIn(b, query, "alice");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /name="otp"/);
  assert.match(html, /name="mfa_ticket"/);
  return html;
}

Deno.test("totp: an enrolled account signs in with a code; wrong, replayed and late codes fail", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const { secret, codes } = await enrolByApi(kp);
    kp.advance(30); // the enrolment's step is spent
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const query = authorizeQuery(WIKI, challenge);
    const html = await codePage(b, query);
    // The password alone made no session.
    assert.ok(![...b.jar.keys()].some((k) => k.endsWith("kp_session")));
    const wrong = await b.submit(html, { otp: "123456" });
    assert.equal(wrong.status, 401);
    const again = await wrong.text();
    assert.match(again, /That code is not right/);
    const code = await totp(secret, nowSec(kp));
    const ok = await b.submit(again, { otp: code });
    assert.equal(ok.status, 303, await ok.clone().text());
    const tokens =
      await (await redeemPublic(kp, { code: callbackParams(ok).get("code")!, verifier }))
        .json();
    assert.deepEqual(decodeJws(tokens.id_token).payload.amr, ["pwd", "otp"]);
    // The same code again (another browser, same step): refused.
    const other = kp.browser("203.0.113.50");
    const replay = await other.submit(await codePage(other), { otp: code });
    assert.equal(replay.status, 401);
    await replay.body?.cancel();
    // A recovery code works once.
    const rec = await other.submit(await codePage(other), { otp: codes[0] });
    assert.equal(rec.status, 303);
    const third = kp.browser("203.0.113.51");
    const reused = await third.submit(await codePage(third), { otp: codes[0] });
    assert.equal(reused.status, 401);
    await reused.body?.cancel();
    // A ticket of another browser is worthless (bound to its login cookie).
    const ticketPage = await codePage(third);
    const f = formOf(ticketPage);
    const fourth = kp.browser("203.0.113.52");
    await fourth.get(`/authorize?${query}`);
    const stolen = await fourth.post(f.action, {
      ...f.fields,
      otp: await totp(secret, nowSec(kp) + 30),
    });
    assert.equal(stolen.status, 400);
    await stolen.body?.cancel();
    // A ticket older than five minutes: sign in again.
    kp.advance(301);
    const late = await third.submit(ticketPage, { otp: await totp(secret, nowSec(kp)) });
    assert.equal(late.status, 400);
    assert.match(await late.text(), /took too long/);
  } finally {
    await kp.close();
  }
});

Deno.test("totp: wrong codes count toward the lockout; a right password does not reset it", async () => {
  const kp = await makeSigninInstance({ extraYaml: "lockout:\n  max_failures: 3\n" });
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const { secret } = await enrolByApi(kp);
    kp.advance(30);
    const query = authorizeQuery(WIKI, pkce().challenge);
    // Each attempt from a new address, password right, code wrong: the account locks.
    for (let i = 0; i < 3; i++) {
      const b = kp.browser(`198.18.0.${i + 1}`);
      const res = await b.submit(await codePage(b), { otp: "000000" });
      assert.equal(res.status, 401, `attempt ${i}`);
      await res.body?.cancel();
    }
    const b = kp.browser("198.18.0.9");
    const locked = await signIn(b, query, "alice");
    assert.equal(locked.status, 429);
    await locked.body?.cancel();
    const api = await apiLogin(kp, {
      email: "alice@example.com",
      password: PASSWORD,
      otp: await totp(secret, nowSec(kp)),
    });
    assert.equal(api.status, 429);
    await api.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("totp: the password grant and pico-auth's login ask for otp", async () => {
  const kp = await makeSigninInstance();
  try {
    await kp.user("alice@example.com", { username: "alice" });
    const { secret } = await enrolByApi(kp);
    kp.advance(30);
    const grant = (fields: Record<string, string>) =>
      kp.fetch("/oauth2/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "password",
          username: "alice",
          password: PASSWORD,
          ...fields,
        }).toString(),
      });
    const none = await grant({});
    assert.equal(none.status, 400);
    const nb = await none.json();
    assert.equal(nb.error, "invalid_grant");
    assert.match(nb.error_description, /second factor is required/);
    const wrong = await grant({ otp: "111111" });
    assert.equal((await wrong.json()).error_description, "The second-factor code is not valid");
    const ok = await grant({ otp: await totp(secret, nowSec(kp)) });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // A wrong password never reveals that a second factor exists.
    const badPw = await grant({ password: "wrong-password-1" });
    assert.doesNotMatch((await badPw.json()).error_description, /second factor/);
    kp.advance(30);
    const pico = await apiLogin(kp, { username: "alice", password: PASSWORD });
    assert.equal(pico.status, 401);
    assert.match((await pico.json()).detail, /second factor is required/);
    const picoOk = await apiLogin(kp, {
      username: "alice",
      password: PASSWORD,
      otp: await totp(secret, nowSec(kp)),
    });
    assert.equal(picoOk.status, 200);
    await picoOk.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("totp: a role that requires it enrols at the login page (QR, recovery codes, confirm)", async () => {
  const kp = await makeSigninInstance({ accounts: { totpRequiredRoles: ["operator"] } });
  try {
    await kp.user("alice@example.com", { username: "alice", role: "operator" });
    // The API refuses an account that must set one up (as Keycloak's direct grant does).
    const api = await apiLogin(kp, { username: "alice", password: PASSWORD });
    assert.equal(api.status, 403);
    assert.match((await api.json()).detail, /must set up a second factor/);
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const query = authorizeQuery(WIKI, challenge);
    const enrol = await signIn(b, query, "alice");
    assert.equal(enrol.status, 200);
    const html = await enrol.text();
    assert.match(html, /Set up two-factor authentication/);
    assert.match(html, /<div class="qr"><svg /);
    const secretText = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1];
    const recovery = [
      ...html.matchAll(/<li>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})<\/li>/g),
    ]
      .map((m) => m[1]);
    assert.equal(recovery.length, 10);
    const secret = base32Decode(secretText.replaceAll(" ", ""));
    // prompt=none with this session must not skip enrolment.
    const silent = await b.get(`/authorize?${authorizeQuery(WIKI, challenge, { prompt: "none" })}`);
    assert.equal(callbackParams(silent).get("error"), "interaction_required");
    // A wrong code: the same secret again, new recovery codes.
    const wrong = await b.submit(html, { otp: "000000" });
    assert.equal(wrong.status, 400);
    const wrongHtml = await wrong.text();
    assert.equal(/<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(wrongHtml)![1], secretText);
    const ok = await b.submit(wrongHtml, { otp: await totp(secret, nowSec(kp)) });
    assert.equal(ok.status, 303, await ok.clone().text());
    const tokens =
      await (await redeemPublic(kp, { code: callbackParams(ok).get("code")!, verifier }))
        .json();
    assert.deepEqual(decodeJws(tokens.id_token).payload.amr, ["pwd", "otp"]);
    // The first page's recovery codes were replaced by the second page's.
    kp.advance(30);
    const other = kp.browser("203.0.113.60");
    const old = await other.submit(await codePage(other), { otp: recovery[0] });
    assert.equal(old.status, 401);
    await old.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("totp: an administrator requires it of an account, and resets it (sessions end)", async () => {
  const kp = await makeSigninInstance();
  try {
    const alice = await kp.user("alice@example.com", { username: "alice" });
    const admin = await accessToken(kp, "admin@example.test", "admin-password-1");
    const req = await callApi(kp, "PUT", `/api/v1/auth/users/${alice}/totp`, admin, {
      required: true,
    });
    assert.equal(req.status, 200);
    assert.equal((await req.json()).required_by_account, true);
    const b = kp.browser();
    const enrol = await signIn(b, authorizeQuery(WIKI, pkce().challenge), "alice");
    const html = await enrol.text();
    assert.match(html, /Set up two-factor authentication/);
    const secret = base32Decode(
      /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1].replaceAll(" ", ""),
    );
    const ok = await b.submit(html, { otp: await totp(secret, nowSec(kp)) });
    assert.equal(ok.status, 303);
    const status = await callApi(kp, "GET", `/api/v1/auth/users/${alice}/totp`, admin);
    assert.equal((await status.json()).enrolled, true);
    // A viewer cannot reset anyone's.
    const viewer = await kp.user("bob@example.com");
    assert.ok(viewer);
    const bob = await accessToken(kp, "bob@example.com");
    const denied = await callApi(kp, "DELETE", `/api/v1/auth/users/${alice}/totp`, bob);
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const reset = await callApi(kp, "DELETE", `/api/v1/auth/users/${alice}/totp`, admin);
    assert.equal(reset.status, 200);
    assert.deepEqual(await reset.json(), {
      enrolled: false,
      required: true,
      required_by_account: true,
      pending: false,
      recovery_codes_left: 0,
    });
    // The browser's session ended with the reset.
    const silent = await b.get(
      `/authorize?${authorizeQuery(WIKI, pkce().challenge, { prompt: "none" })}`,
    );
    assert.equal(callbackParams(silent).get("error"), "login_required");
  } finally {
    await kp.close();
  }
});

Deno.test("forced password change at the login page: a fresh administrator's printed password", async () => {
  const kp = await makeSigninInstance();
  try {
    const id = await kp.user("root@example.com", {
      username: "root",
      role: "superadmin",
      password: "printed-once-1",
      mustChange: true,
    });
    const b = kp.browser();
    const { verifier, challenge } = pkce();
    const page = await signIn(b, authorizeQuery(WIKI, challenge), "root", "printed-once-1");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Choose a new password/);
    const sessionBefore = b.jar.get("__Host-kp_session");
    const same = await b.submit(html, {
      new_password: "printed-once-1",
      new_password_confirm: "printed-once-1",
    });
    assert.equal(same.status, 400);
    assert.match(await same.text(), /must differ/);
    const mismatch = await b.submit(html, {
      new_password: "a-new-password-1",
      new_password_confirm: "a-new-password-2",
    });
    assert.equal(mismatch.status, 400);
    await mismatch.body?.cancel();
    const ok = await b.submit(html, {
      new_password: "a-new-password-1",
      new_password_confirm: "a-new-password-1",
    });
    assert.equal(ok.status, 303, await ok.clone().text());
    // The password change ended the old session; this browser has a new one.
    assert.notEqual(b.jar.get("__Host-kp_session"), sessionBefore);
    const user = (await kp.store.users.byId(id))!;
    assert.equal(user.mustChangePassword, false);
    const tokens = await redeemPublic(kp, { code: callbackParams(ok).get("code")!, verifier });
    assert.equal(tokens.status, 200);
    await tokens.body?.cancel();
    const old = await apiLogin(kp, { username: "root", password: "printed-once-1" });
    assert.equal(old.status, 401);
    await old.body?.cancel();
  } finally {
    await kp.close();
  }
});

Deno.test("sessions end with a password change through the API and with a suspension", async () => {
  const kp = await makeSigninInstance();
  try {
    const alice = await kp.user("alice@example.com", { username: "alice" });
    const b = kp.browser();
    await wikiCode(b);
    const silent = () =>
      b.get(`/authorize?${authorizeQuery(WIKI, pkce().challenge, { prompt: "none" })}`);
    assert.ok(callbackParams(await silent()).get("code"));
    const token = await accessToken(kp, "alice@example.com");
    const change = await callApi(kp, "POST", "/api/v1/auth/me/password", token, {
      old_password: PASSWORD,
      new_password: "another-pass-2",
    });
    assert.equal(change.status, 200);
    await change.body?.cancel();
    assert.equal(callbackParams(await silent()).get("error"), "login_required");

    // Sign in again (new password), then an administrator suspends the account.
    const ok = await signIn(b, authorizeQuery(WIKI, pkce().challenge), "alice", "another-pass-2");
    assert.equal(ok.status, 303);
    const admin = await accessToken(kp, "admin@example.test", "admin-password-1");
    const sus = await callApi(kp, "PUT", `/api/v1/auth/users/${alice}/status`, admin, {
      status: "suspended",
    });
    assert.equal(sus.status, 200);
    await sus.body?.cancel();
    assert.equal(callbackParams(await silent()).get("error"), "login_required");
    // Signing in again is refused while suspended.
    const refused = await signIn(
      b,
      authorizeQuery(WIKI, pkce().challenge),
      "alice",
      "another-pass-2",
    );
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /suspended/);
  } finally {
    await kp.close();
  }
});
