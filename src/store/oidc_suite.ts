/**
 * The sign-in queries' behaviour (issue 24), written once and run against every engine:
 * `store_test.ts` runs it on SQLite, `tests/e2e/oidc_store_postgres_test.ts` on a real
 * PostgreSQL.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import type { AuthCodeRecord, OidcClientRecord, OidcSessionRecord } from "./oidc_types.ts";
import type { Store } from "./store.ts";

function _session(over: Partial<OidcSessionRecord> & { id: string }): OidcSessionRecord {
  return {
    tokenHash: `th-${over.id}`,
    userId: "u1",
    authTime: 100,
    amr: ["pwd"],
    createdAt: 100,
    expiresAt: 1000,
    endedAt: null,
    endReason: null,
    ...over,
  };
}

function _code(over: Partial<AuthCodeRecord> & { hash: string }): AuthCodeRecord {
  return {
    clientId: "app",
    redirectUri: "https://app.example/cb",
    codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    nonce: "n-1",
    scope: "openid email",
    sessionId: "s1",
    userId: "u1",
    authTime: 100,
    amr: ["pwd", "otp"],
    createdAt: 100,
    expiresAt: 160,
    usedAt: null,
    issued: null,
    ...over,
  };
}

function _client(over: Partial<OidcClientRecord> & { id: string }): OidcClientRecord {
  return {
    name: "App",
    secretHash: null,
    redirectUris: ["https://app.example/cb"],
    postLogoutRedirectUris: [],
    scopes: [],
    audiences: [],
    firstParty: false,
    orgId: null,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

/** Register the suite. `open` gives a fresh, migrated, empty store for each test. */
export function oidcSuite(
  engine: string,
  open: () => Promise<Store>,
  options: { sanitizeResources?: boolean; sanitizeOps?: boolean } = {},
): void {
  const t = (name: string, fn: (s: Store) => Promise<void>) =>
    Deno.test({
      name: `store (${engine}): ${name}`,
      ...options,
      fn: async () => {
        const s = await open();
        try {
          await fn(s);
        } finally {
          await s.close();
        }
      },
    });

  t("sessions round-trip by cookie hash and sid, and end once", async (s) => {
    await s.oidcSessions.insert(_session({ id: "s1", amr: ["pwd", "otp"] }));
    const got = await s.oidcSessions.byTokenHash("th-s1");
    assert.deepEqual(got, _session({ id: "s1", amr: ["pwd", "otp"] }));
    assert.equal((await s.oidcSessions.byId("s1"))?.tokenHash, "th-s1");
    assert.equal(await s.oidcSessions.byTokenHash("nope"), undefined);
    assert.ok(await s.oidcSessions.end("s1", 200, "sign_out"));
    assert.equal(await s.oidcSessions.end("s1", 201, "admin"), false, "ends once");
    const ended = await s.oidcSessions.byId("s1");
    assert.deepEqual([ended?.endedAt, ended?.endReason], [200, "sign_out"]);
    await assert.rejects(
      () => s.oidcSessions.insert(_session({ id: "s2", tokenHash: "th-s1" })),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
  });

  t(
    "an account's open sessions all end on a password change; purge removes old ones",
    async (s) => {
      await s.oidcSessions.insert(_session({ id: "a" }));
      await s.oidcSessions.insert(_session({ id: "b" }));
      await s.oidcSessions.insert(_session({ id: "c", userId: "u2" }));
      await s.oidcSessions.insert(_session({ id: "d", expiresAt: 150 }));
      assert.equal(await s.oidcSessions.endForUser("u1", 300, "password_change"), 2);
      assert.equal((await s.oidcSessions.byId("a"))?.endReason, "password_change");
      assert.equal((await s.oidcSessions.byId("c"))?.endedAt, null);
      assert.equal((await s.oidcSessions.byId("d"))?.endedAt, null, "already expired: untouched");
      assert.equal(await s.oidcSessions.purge(400), 3);
      assert.deepEqual((await s.oidcSessions.byId("c"))?.id, "c");
    },
  );

  t("a code is consumed once; the second attempt is told it is a reuse", async (s) => {
    await s.authCodes.insert(_code({ hash: "h1" }));
    const first = await s.authCodes.consume("h1", 120);
    assert.equal(first.kind, "first");
    assert.deepEqual(first.kind === "first" && first.code, _code({ hash: "h1", usedAt: 120 }));
    const again = await s.authCodes.consume("h1", 121);
    assert.equal(again.kind, "reused");
    assert.deepEqual((await s.authCodes.consume("nope", 121)).kind, "unknown");
  });

  t("two concurrent redemptions of one code: exactly one wins", async (s) => {
    await s.authCodes.insert(_code({ hash: "h1" }));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => s.authCodes.consume("h1", 120 + i)),
    );
    assert.equal(results.filter((r) => r.kind === "first").length, 1);
    assert.equal(results.filter((r) => r.kind === "reused").length, 5);
  });

  t("what a code issued is kept for revocation on reuse; nonces are remembered", async (s) => {
    await s.authCodes.insert(_code({ hash: "h1", nonce: "n-1" }));
    await s.authCodes.insert(_code({ hash: "h2", nonce: null, clientId: "other" }));
    await s.authCodes.consume("h1", 120);
    await s.authCodes.recordIssued("h1", { jtis: ["j1", "j2"], familyId: "f1", expiresAt: 999 });
    const again = await s.authCodes.consume("h1", 130);
    assert.equal(again.kind, "reused");
    assert.deepEqual(again.kind === "reused" && again.code.issued, {
      jtis: ["j1", "j2"],
      familyId: "f1",
      expiresAt: 999,
    });
    assert.ok(await s.authCodes.nonceSeen("app", "n-1", 0));
    assert.equal(await s.authCodes.nonceSeen("app", "n-1", 101), false, "older than the window");
    assert.equal(await s.authCodes.nonceSeen("other", "n-1", 0), false, "per client");
    assert.equal(await s.authCodes.purge(161), 2);
  });

  t(
    "TOTP: a pending secret is confirmed only as it was shown; steps move forward only",
    async (s) => {
      await s.totp.startEnrolment(
        "u1",
        { sealedSecret: "v1.sealed-a", recoveryHashes: ["ra"] },
        10,
      );
      let rec = await s.totp.get("u1");
      assert.deepEqual(
        [rec?.secret, rec?.pendingSecret, rec?.required, rec?.pendingRecoveryHashes],
        [
          null,
          "v1.sealed-a",
          false,
          ["ra"],
        ],
      );
      assert.equal(await s.totp.acceptStep("u1", 5), false, "nothing to accept before enrolment");
      assert.equal(await s.totp.recoveryCodesLeft("u1"), 0, "pending codes are not usable yet");
      await s.totp.startEnrolment("u1", {
        sealedSecret: "v1.sealed-b",
        recoveryHashes: ["rb1", "rb2"],
      }, 11);
      assert.equal(
        await s.totp.confirmEnrolment("u1", "v1.sealed-a", { step: 7, at: 12 }),
        false,
        "another tab's secret",
      );
      assert.ok(await s.totp.confirmEnrolment("u1", "v1.sealed-b", { step: 7, at: 12 }));
      rec = await s.totp.get("u1");
      assert.deepEqual([rec?.secret, rec?.pendingSecret, rec?.lastStep, rec?.confirmedAt], [
        "v1.sealed-b",
        null,
        7,
        12,
      ]);
      assert.deepEqual(rec?.pendingRecoveryHashes, []);
      assert.equal(await s.totp.recoveryCodesLeft("u1"), 2, "the confirmed enrolment's codes");
      assert.ok(await s.totp.useRecoveryCode("u1", "rb2", 13));
      assert.equal(await s.totp.useRecoveryCode("u1", "ra", 13), false, "the abandoned set's");
      assert.equal(await s.totp.acceptStep("u1", 7), false, "the enrolment code is spent");
      assert.equal(await s.totp.acceptStep("u1", 6), false, "an earlier step");
      assert.ok(await s.totp.acceptStep("u1", 8));
      const race = await Promise.all([s.totp.acceptStep("u1", 9), s.totp.acceptStep("u1", 9)]);
      assert.deepEqual(race.filter((x) => x).length, 1, "the same code racing: one wins");
      // Re-enrolling keeps the current secret until the new one is confirmed.
      await s.totp.startEnrolment("u1", { sealedSecret: "v1.sealed-c", recoveryHashes: [] }, 20);
      assert.equal((await s.totp.get("u1"))?.secret, "v1.sealed-b");
    },
  );

  t("TOTP: required flag, and an administrator's reset", async (s) => {
    await s.totp.setRequired("u2", true, 5);
    assert.equal((await s.totp.get("u2"))?.required, true);
    await s.totp.startEnrolment("u2", { sealedSecret: "v1.x", recoveryHashes: [] }, 6);
    await s.totp.confirmEnrolment("u2", "v1.x", { step: 1, at: 7 });
    assert.ok(await s.totp.reset("u2", 8));
    const rec = await s.totp.get("u2");
    assert.deepEqual([rec?.secret, rec?.lastStep, rec?.required], [null, null, true]);
    assert.equal(await s.totp.reset("u2", 9), false, "nothing left to reset");
    assert.equal(await s.totp.reset("nobody", 9), false);
  });

  t("recovery codes: replaced as a set, each spent once", async (s) => {
    await s.totp.replaceRecoveryCodes("u1", ["h1", "h2", "h3"], 10);
    assert.equal(await s.totp.recoveryCodesLeft("u1"), 3);
    assert.ok(await s.totp.useRecoveryCode("u1", "h2", 11));
    assert.equal(await s.totp.useRecoveryCode("u1", "h2", 12), false, "single use");
    assert.equal(await s.totp.useRecoveryCode("u2", "h1", 12), false, "another account's");
    assert.equal(await s.totp.recoveryCodesLeft("u1"), 2);
    await s.totp.replaceRecoveryCodes("u1", ["h4"], 20);
    assert.equal(await s.totp.useRecoveryCode("u1", "h1", 21), false, "old set gone");
    assert.equal(await s.totp.recoveryCodesLeft("u1"), 1);
    assert.equal(await s.totp.removeRecoveryCodes("u1"), 1);
  });

  t("OIDC clients: public and confidential round-trip, update, list by org, remove", async (s) => {
    await s.oidcClients.insert(_client({ id: "spa", orgId: "acme" }));
    await s.oidcClients.insert(
      _client({
        id: "web",
        secretHash: "$pbkdf2-sha256$i=1000$c2FsdA$" + "A".repeat(43),
        redirectUris: ["https://web.example/cb", "http://127.0.0.1/cb"],
        postLogoutRedirectUris: ["https://web.example/bye"],
        scopes: ["deploy"],
        audiences: ["api"],
        firstParty: true,
      }),
    );
    const web = await s.oidcClients.byId("web");
    assert.deepEqual(web?.redirectUris, ["https://web.example/cb", "http://127.0.0.1/cb"]);
    assert.deepEqual([web?.firstParty, web?.orgId], [true, null]);
    assert.equal((await s.oidcClients.byId("spa"))?.secretHash, null);
    assert.ok(
      await s.oidcClients.update("spa", {
        redirectUris: ["https://spa.example/cb"],
        firstParty: true,
      }, 9),
    );
    const spa = await s.oidcClients.byId("spa");
    assert.deepEqual([spa?.redirectUris, spa?.firstParty, spa?.updatedAt, spa?.name], [
      ["https://spa.example/cb"],
      true,
      9,
      "App",
    ]);
    assert.deepEqual((await s.oidcClients.list({ orgId: "acme" })).map((c) => c.id), ["spa"]);
    assert.deepEqual((await s.oidcClients.list()).map((c) => c.id), ["spa", "web"]);
    await assert.rejects(
      () => s.oidcClients.insert(_client({ id: "web" })),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
    assert.ok(await s.oidcClients.remove("spa"));
    assert.equal(await s.oidcClients.remove("spa"), false);
    assert.equal(await s.oidcClients.update("spa", { name: "x" }, 10), false);
  });
}
