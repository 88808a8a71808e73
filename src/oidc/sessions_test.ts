import assert from "node:assert/strict";
import { testStore } from "./_testing.ts";
import {
  currentSession,
  DEFAULT_SESSION_TTL_SECONDS,
  endAccountSessions,
  endSession,
  sessionTokenHash,
  startSession,
} from "./sessions.ts";

Deno.test("startSession(): a random cookie, stored only as its hash, with a separate sid", async () => {
  const { store } = await testStore();
  try {
    const { cookie, session } = await startSession(store, { userId: "u1", amr: ["pwd"], now: 100 });
    assert.match(cookie, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.tokenHash, sessionTokenHash(cookie));
    assert.notEqual(session.id, cookie);
    assert.equal(session.expiresAt, 100 + DEFAULT_SESSION_TTL_SECONDS);
    const stored = await store.oidcSessions.byId(session.id);
    assert.ok(stored !== undefined && !JSON.stringify(stored).includes(cookie));
    const cur = await currentSession(store, cookie, 200);
    assert.equal(cur.status, "active");
    assert.equal(cur.user?.id, "u1");
  } finally {
    await store.close();
  }
});

Deno.test("currentSession(): none, expired, ended by sign-out, replaced at the next sign-in", async () => {
  const { store } = await testStore();
  try {
    assert.equal((await currentSession(store, null, 1)).status, "none");
    assert.equal((await currentSession(store, "x".repeat(43), 1)).status, "none");
    const a = await startSession(store, { userId: "u1", amr: ["pwd"], now: 100, ttlSeconds: 300 });
    assert.equal((await currentSession(store, a.cookie, 399)).status, "active");
    assert.equal((await currentSession(store, a.cookie, 400)).status, "expired");
    const b = await startSession(store, { userId: "u1", amr: ["pwd"], now: 500 });
    assert.ok(await endSession(store, b.session.id, 600));
    assert.equal((await currentSession(store, b.cookie, 601)).status, "ended");
    const c = await startSession(store, { userId: "u1", amr: ["pwd"], now: 700 });
    const d = await startSession(store, {
      userId: "u1",
      amr: ["pwd", "otp"],
      now: 710,
      replaces: c.session.id,
    });
    assert.equal((await currentSession(store, c.cookie, 711)).status, "ended");
    assert.equal((await store.oidcSessions.byId(c.session.id))?.endReason, "replaced");
    assert.equal((await currentSession(store, d.cookie, 711)).status, "active");
  } finally {
    await store.close();
  }
});

Deno.test("a password change ends every session; a suspended account's session ends at use", async () => {
  const { store } = await testStore();
  try {
    const a = await startSession(store, { userId: "u1", amr: ["pwd"], now: 100 });
    const b = await startSession(store, { userId: "u1", amr: ["pwd"], now: 100 });
    assert.equal(await endAccountSessions(store, "u1", "password_change", 200), 2);
    assert.equal((await currentSession(store, a.cookie, 201)).status, "ended");
    assert.equal((await currentSession(store, b.cookie, 201)).status, "ended");
    const c = await startSession(store, { userId: "u1", amr: ["pwd"], now: 300 });
    await store.users.setStatus("u1", "suspended", 301);
    assert.equal((await currentSession(store, c.cookie, 302)).status, "account_inactive");
    assert.equal((await store.oidcSessions.byId(c.session.id))?.endReason, "suspended");
    await store.users.setStatus("u1", "active", 303);
    assert.equal((await currentSession(store, c.cookie, 304)).status, "ended", "stays ended");
  } finally {
    await store.close();
  }
});
