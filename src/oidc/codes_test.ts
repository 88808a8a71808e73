import assert from "node:assert/strict";
import { CHALLENGE, testClient, testRequest, testStore, VERIFIER } from "./_testing.ts";
import {
  authorizationCodeHash,
  CODE_RETENTION_SECONDS,
  CODE_TTL_SECONDS,
  issueAuthorizationCode,
  nonceWindowStart,
  purgeSignin,
  redeemAuthorizationCode,
} from "./codes.ts";
import { startSession } from "./sessions.ts";

async function fixture() {
  const { store } = await testStore();
  const { session } = await startSession(store, { userId: "u1", amr: ["pwd", "otp"], now: 100 });
  const code = await issueAuthorizationCode(store, { request: testRequest(), session, now: 100 });
  const redeem = (over: Partial<Parameters<typeof redeemAuthorizationCode>[1]> = {}) =>
    redeemAuthorizationCode(store, {
      code,
      clientId: "app",
      redirectUri: "https://app.example/cb",
      codeVerifier: VERIFIER,
      now: 110,
      ...over,
    });
  return { store, session, code, redeem };
}

Deno.test("a code is stored by hash only, bound to client, redirect URI, PKCE, nonce and session", async () => {
  const { store, session, code } = await fixture();
  try {
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    const rec = await store.authCodes.byHash(authorizationCodeHash(code));
    assert.ok(rec !== undefined);
    assert.ok(!JSON.stringify(rec).includes(code));
    assert.deepEqual(
      [rec.clientId, rec.redirectUri, rec.codeChallenge, rec.nonce, rec.scope, rec.sessionId],
      ["app", "https://app.example/cb", CHALLENGE, "n-0S6_WzA2Mj", "openid email", session.id],
    );
    assert.deepEqual([rec.authTime, rec.amr, rec.expiresAt], [
      100,
      ["pwd", "otp"],
      100 + CODE_TTL_SECONDS,
    ]);
    assert.ok(await store.authCodes.nonceSeen("app", "n-0S6_WzA2Mj", nonceWindowStart(110)));
  } finally {
    await store.close();
  }
});

Deno.test("the right client, redirect URI and verifier redeem it once; a reuse reports what to revoke", async () => {
  const { store, code, redeem } = await fixture();
  try {
    const first = await redeem();
    assert.equal(first.ok, true);
    await store.authCodes.recordIssued(authorizationCodeHash(code), {
      jtis: ["at-1", "id-1"],
      familyId: "fam-1",
      expiresAt: 1000,
    });
    const again = await redeem({ now: 111 });
    assert.deepEqual(again, {
      ok: false,
      error: "invalid_grant",
      reason: "reused",
      revoke: { jtis: ["at-1", "id-1"], familyId: "fam-1", expiresAt: 1000 },
    });
  } finally {
    await store.close();
  }
});

Deno.test("wrong verifier, missing verifier, wrong redirect URI, expiry: invalid_grant, and the code is spent", async () => {
  const cases: [Partial<Parameters<typeof redeemAuthorizationCode>[1]>, string][] = [
    [{ codeVerifier: VERIFIER.slice(0, -1) + "x" }, "wrong_verifier"],
    [{ codeVerifier: null }, "wrong_verifier"],
    [{ codeVerifier: CHALLENGE }, "wrong_verifier"],
    [{ redirectUri: "https://app.example/cb/" }, "wrong_redirect_uri"],
    [{ redirectUri: null }, "wrong_redirect_uri"],
    [{ now: 100 + CODE_TTL_SECONDS }, "expired"],
  ];
  for (const [over, reason] of cases) {
    const { store, redeem } = await fixture();
    try {
      const r = await redeem(over);
      assert.equal(r.ok === false && r.reason, reason, JSON.stringify(over));
      const retry = await redeem();
      assert.equal(retry.ok === false && retry.reason, "reused", "a failed attempt spends it");
    } finally {
      await store.close();
    }
  }
});

Deno.test("a code from another client is refused (and spent)", async () => {
  const { store, session, redeem } = await fixture();
  try {
    const other = testRequest({ client: testClient({ id: "other" }) });
    const theirs = await issueAuthorizationCode(store, { request: other, session, now: 100 });
    const r = await redeem({ code: theirs });
    assert.equal(r.ok === false && r.reason, "wrong_client");
    const r2 = await redeem({ code: theirs, clientId: "other" });
    assert.equal(r2.ok === false && r2.reason, "reused");
  } finally {
    await store.close();
  }
});

Deno.test("unknown and malformed codes, and a code whose session ended", async () => {
  const { store, session, redeem } = await fixture();
  try {
    assert.equal((await redeem({ code: "A".repeat(43) })).ok === false, true);
    const u = await redeem({ code: "A".repeat(43) });
    assert.equal(u.ok === false && u.reason, "unknown");
    const m = await redeem({ code: "short" });
    assert.equal(m.ok === false && m.reason, "malformed");
    const m2 = await redeem({ code: null });
    assert.equal(m2.ok === false && m2.reason, "malformed");
    await store.oidcSessions.end(session.id, 105, "sign_out");
    const e = await redeem();
    assert.equal(e.ok === false && e.reason, "session_ended");
  } finally {
    await store.close();
  }
});

Deno.test("purgeSignin() keeps codes and sessions for the replay window, then deletes them", async () => {
  const { store, session, code } = await fixture();
  try {
    // The session (8 h) and the code (60 s) are still within the window a day after.
    assert.equal(await purgeSignin(store, 100 + CODE_TTL_SECONDS + CODE_RETENTION_SECONDS - 1), 0);
    assert.ok(await store.authCodes.byHash(authorizationCodeHash(code)));
    assert.ok(await store.oidcSessions.byId(session.id));
    const late = session.expiresAt + CODE_RETENTION_SECONDS + 1;
    assert.equal(await purgeSignin(store, late), 2);
    assert.equal(await store.authCodes.byHash(authorizationCodeHash(code)), undefined);
    assert.equal(await store.oidcSessions.byId(session.id), undefined);
  } finally {
    await store.close();
  }
});
