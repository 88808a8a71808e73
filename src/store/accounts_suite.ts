/**
 * The account queries' behaviour, written once and run against every engine: `store_test.ts`
 * runs it on SQLite, `tests/e2e/accounts_postgres_test.ts` on a real PostgreSQL.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import type { Store } from "./store.ts";
import type { RefreshTokenRecord, UserRecord } from "./types.ts";

/** A user record for tests. */
export function sampleUser(over: Partial<UserRecord> & { id: string; email: string }): UserRecord {
  return {
    username: null,
    displayName: "",
    passwordHash: "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$" + "A".repeat(43),
    role: "viewer",
    orgId: "default",
    status: "active",
    mustChangePassword: false,
    createdAt: 100,
    updatedAt: 100,
    lastLoginAt: null,
    ...over,
  };
}

function _rt(over: Partial<RefreshTokenRecord> & { hash: string }): RefreshTokenRecord {
  return {
    familyId: "f1",
    userId: "u1",
    clientId: null,
    scope: null,
    createdAt: 100,
    expiresAt: 1000,
    usedAt: null,
    revokedAt: null,
    ...over,
  };
}

/** Register the suite. `open` gives a fresh, migrated, empty store for each test. */
export function accountsSuite(engine: string, open: () => Promise<Store>): void {
  const t = (name: string, fn: (s: Store) => Promise<void>) =>
    Deno.test(`store (${engine}): ${name}`, async () => {
      const s = await open();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });

  t("users round-trip by id, e-mail (any case) and username; e-mails are unique", async (s) => {
    await s.users.insert(sampleUser({ id: "u1", email: "Émile@Example.com", username: "emile" }));
    assert.equal((await s.users.byEmail("émile@example.com"))?.id, "u1");
    assert.equal((await s.users.byUsername("emile"))?.id, "u1");
    assert.equal((await s.users.byId("u1"))?.mustChangePassword, false);
    await assert.rejects(
      () => s.users.insert(sampleUser({ id: "u2", email: "émile@example.com" })),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
    assert.equal(await s.users.count(), 1);
  });

  t("roles, passwords, logins and settings are updated", async (s) => {
    await s.users.insert(sampleUser({ id: "u1", email: "a@x.test", orgId: "acme" }));
    await s.users.insert(sampleUser({ id: "u2", email: "b@x.test", orgId: "beta" }));
    assert.ok(await s.users.setRole("u1", "org_admin", 200));
    assert.ok(await s.users.setPassword("u1", "h2", { at: 201, mustChange: true }));
    await s.users.touchLogin("u1", 202);
    const u = await s.users.byId("u1");
    assert.deepEqual([u?.role, u?.passwordHash, u?.mustChangePassword, u?.lastLoginAt], [
      "org_admin",
      "h2",
      true,
      202,
    ]);
    assert.deepEqual((await s.users.list({ orgId: "beta" })).map((x) => x.id), ["u2"]);
    assert.equal(await s.users.setting("registration"), undefined);
    await s.users.setSetting("registration", "open");
    await s.users.setSetting("registration", "off");
    assert.equal(await s.users.setting("registration"), "off");
  });

  t("a refresh token is consumed once; a family and a user's tokens are revoked", async (s) => {
    await s.refreshTokens.insert(_rt({ hash: "h1" }));
    await s.refreshTokens.insert(_rt({ hash: "h2" }));
    await s.refreshTokens.insert(_rt({ hash: "h3", familyId: "f2" }));
    assert.ok(await s.refreshTokens.consume("h1", 150));
    assert.equal(await s.refreshTokens.consume("h1", 151), false, "single use");
    assert.equal((await s.refreshTokens.byHash("h1"))?.usedAt, 150);
    assert.equal(await s.refreshTokens.revokeFamily("f1", 160), 2);
    assert.equal(await s.refreshTokens.consume("h2", 170), false, "revoked");
    assert.equal(await s.refreshTokens.revokeUser("u1", 180), 1);
    assert.equal((await s.refreshTokens.byHash("h3"))?.revokedAt, 180);
    assert.equal(await s.refreshTokens.purge(2000), 3);
  });

  t("a used token remembers its successor until the retry window is over", async (s) => {
    await s.refreshTokens.insert(_rt({ hash: "h1" }));
    assert.ok(await s.refreshTokens.consume("h1", 150));
    await s.refreshTokens.setSuccessor("h1", "h2", "v1.sealed");
    const r = await s.transaction((tx) => tx.refreshTokens.byHash("h1", { forUpdate: true }));
    assert.equal(r?.successorHash, "h2");
    assert.equal(r?.successorSealed, "v1.sealed");
    assert.equal(await s.refreshTokens.forgetSuccessors(150), 0, "not before the window");
    assert.equal(await s.refreshTokens.forgetSuccessors(151), 1);
    const after = await s.refreshTokens.byHash("h1");
    assert.deepEqual([after?.successorHash, after?.successorSealed], ["h2", null]);
  });

  t("revoked jtis are kept until expiry and purged after", async (s) => {
    await s.revocations.revoke("j1", 500, 100);
    await s.revocations.revoke("j1", 500, 101);
    assert.ok(await s.revocations.isRevoked("j1"));
    assert.equal(await s.revocations.isRevoked("j2"), false);
    assert.equal(await s.revocations.purge(400), 0);
    assert.equal(await s.revocations.purge(600), 1);
  });

  t("groups: unique per organisation, members, and ids per user", async (s) => {
    await s.users.insert(sampleUser({ id: "u1", email: "a@x.test" }));
    const g = { description: "", orgId: "default", createdAt: 1, updatedAt: 1 };
    await s.groups.insert({ ...g, id: "g1", name: "devs" });
    await s.groups.insert({ ...g, id: "g2", name: "devs", orgId: "other" });
    await assert.rejects(
      () => s.groups.insert({ ...g, id: "g3", name: "devs" }),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
    assert.ok(await s.groups.addMember("g1", "u1", 5));
    assert.equal(await s.groups.addMember("g1", "u1", 6), false);
    assert.deepEqual(await s.groups.idsForUser("u1"), ["g1"]);
    assert.ok(await s.groups.update("g1", { description: "all of them", at: 7 }));
    assert.equal((await s.groups.byId("g1"))?.description, "all of them");
    assert.equal((await s.groups.byId("g1"))?.name, "devs");
    assert.ok(await s.groups.remove("g1"));
    assert.deepEqual(await s.groups.idsForUser("u1"), []);
    assert.deepEqual((await s.groups.list()).map((x) => x.id), ["g2"]);
  });
}
