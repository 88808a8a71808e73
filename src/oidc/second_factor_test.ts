import assert from "node:assert/strict";
import { sampleUser } from "../store/accounts_suite.ts";
import { testKeys, testStore } from "./_testing.ts";
import { base32Decode } from "./base32.ts";
import { openTotpSecret } from "./keys.ts";
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  resetTotp,
  resumeTotpEnrolment,
  secondFactorState,
  verifySecondFactor,
} from "./second_factor.ts";
import { currentSession, startSession } from "./sessions.ts";
import { totp } from "./totp.ts";

const NOW = 1_700_000_000;

async function enrolled() {
  const { store, user } = await testStore();
  const keys = await testKeys();
  const deps = { store, keys };
  const e = await beginTotpEnrolment(deps, { user, issuer: "Keypebble", now: NOW });
  const secret = base32Decode(e.secret);
  assert.deepEqual(
    await confirmTotpEnrolment(deps, { userId: "u1", code: await totp(secret, NOW), now: NOW }),
    { ok: true },
  );
  return { store, user, keys, deps, secret, enrolment: e };
}

Deno.test("enrolment: a sealed pending secret, an otpauth URI, a QR code, ten recovery codes", async () => {
  const { store, user } = await testStore();
  try {
    const keys = await testKeys();
    const e = await beginTotpEnrolment({ store, keys }, { user, issuer: "Keypebble", now: NOW });
    assert.match(e.secret, /^[A-Z2-7]{32}$/);
    assert.match(e.uri, /^otpauth:\/\/totp\/Keypebble:alice\?secret=[A-Z2-7]{32}&issuer=Keypebble/);
    assert.match(e.qrSvg ?? "", /^<svg /);
    assert.equal(e.recoveryCodes.length, 10);
    const rec = await store.totp.get("u1");
    assert.equal(rec?.secret, null, "not in use before confirmation");
    assert.ok(rec?.pendingSecret?.startsWith("v1."));
    assert.ok(!rec?.pendingSecret?.includes(e.secret), "sealed, not in clear");
    assert.deepEqual(
      await openTotpSecret(keys, "u1", rec!.pendingSecret!),
      base32Decode(e.secret),
    );
    assert.equal(await store.totp.recoveryCodesLeft("u1"), 0);
    const wrong = await confirmTotpEnrolment({ store, keys }, {
      userId: "u1",
      code: "000000",
      now: NOW,
    });
    assert.equal(wrong.ok, false);
    assert.deepEqual(
      await confirmTotpEnrolment({ store, keys }, { userId: "u2", code: "000000", now: NOW }),
      { ok: false, reason: "no_enrolment" },
    );
  } finally {
    await store.close();
  }
});

Deno.test("sign-in: the next code passes once; the enrolment code and a replay do not", async () => {
  const { store, deps, secret } = await enrolled();
  try {
    const enrolCode = await totp(secret, NOW);
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code: enrolCode, now: NOW }), {
      ok: false,
      reason: "replayed",
    });
    const next = await totp(secret, NOW + 30);
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code: next, now: NOW + 31 }), {
      ok: true,
      method: "otp",
    });
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code: next, now: NOW + 32 }), {
      ok: false,
      reason: "replayed",
    });
    const race = await Promise.all([
      verifySecondFactor(deps, { userId: "u1", code: await totp(secret, NOW + 60), now: NOW + 61 }),
      verifySecondFactor(deps, { userId: "u1", code: await totp(secret, NOW + 60), now: NOW + 61 }),
    ]);
    assert.equal(race.filter((r) => r.ok).length, 1, "the same code racing passes once");
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code: "12345", now: NOW }), {
      ok: false,
      reason: "malformed",
    });
  } finally {
    await store.close();
  }
});

Deno.test("recovery codes work once each, in any typed form", async () => {
  const { store, deps, enrolment } = await enrolled();
  try {
    assert.equal(await store.totp.recoveryCodesLeft("u1"), 10);
    const code = enrolment.recoveryCodes[3];
    const typed = code.toUpperCase().replaceAll("-", " ");
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code: typed, now: NOW }), {
      ok: true,
      method: "recovery",
    });
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code, now: NOW }), {
      ok: false,
      reason: "wrong",
    });
    assert.equal(await store.totp.recoveryCodesLeft("u1"), 9);
    assert.deepEqual(
      await verifySecondFactor(deps, { userId: "u1", code: "aaaa-bbbb-cccc-dddd", now: NOW }),
      { ok: false, reason: "wrong" },
    );
  } finally {
    await store.close();
  }
});

Deno.test("an account without TOTP is not_enrolled; another pepper cannot open the secret", async () => {
  const { store, deps } = await enrolled();
  try {
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u2", code: "123456", now: NOW }), {
      ok: false,
      reason: "not_enrolled",
    });
    const { deriveOidcKeys } = await import("./keys.ts");
    const other = await deriveOidcKeys(new TextEncoder().encode("z".repeat(40)));
    await assert.rejects(() =>
      verifySecondFactor({ store, keys: other }, { userId: "u1", code: "123456", now: NOW })
    );
  } finally {
    await store.close();
  }
});

Deno.test("an administrator's reset removes the factor and the codes and ends every session", async () => {
  const { store, deps, secret } = await enrolled();
  try {
    const s = await startSession(store, { userId: "u1", amr: ["pwd", "otp"], now: NOW });
    await store.totp.setRequired("u1", true, NOW);
    await resetTotp(store, { userId: "u1", now: NOW + 1 });
    assert.equal((await currentSession(store, s.cookie, NOW + 2)).status, "ended");
    assert.equal(await store.totp.recoveryCodesLeft("u1"), 0);
    const code = await totp(secret, NOW + 90);
    assert.deepEqual(await verifySecondFactor(deps, { userId: "u1", code, now: NOW + 90 }), {
      ok: false,
      reason: "not_enrolled",
    });
    const state = secondFactorState(
      sampleUser({ id: "u1", email: "a@x" }),
      await store.totp.get("u1"),
    );
    assert.deepEqual(state, { required: true, enrolled: false }, "still required: enrol again");
  } finally {
    await store.close();
  }
});

Deno.test("secondFactorState(): enrolled, required by role, required by account", () => {
  const admin = sampleUser({ id: "a", email: "a@x", role: "superadmin" });
  const viewer = sampleUser({ id: "v", email: "v@x", role: "viewer" });
  const rec = (over: Record<string, unknown>) => ({
    userId: "x",
    secret: null,
    pendingSecret: null,
    pendingAt: null,
    pendingRecoveryHashes: [],
    confirmedAt: null,
    lastStep: null,
    required: false,
    updatedAt: 0,
    ...over,
  });
  assert.deepEqual(secondFactorState(viewer, undefined), { required: false, enrolled: false });
  assert.deepEqual(secondFactorState(admin, undefined, ["superadmin"]), {
    required: true,
    enrolled: false,
  });
  assert.deepEqual(secondFactorState(viewer, rec({ secret: "v1.x" })), {
    required: true,
    enrolled: true,
  });
  assert.deepEqual(secondFactorState(viewer, rec({ required: true })), {
    required: true,
    enrolled: false,
  });
});

Deno.test("a wrong confirmation code resumes the same secret with new recovery codes", async () => {
  const { store, user } = await testStore();
  try {
    const keys = await testKeys();
    const deps = { store, keys };
    assert.equal(await resumeTotpEnrolment(deps, { user, issuer: "K", now: NOW }), undefined);
    const first = await beginTotpEnrolment(deps, { user, issuer: "K", now: NOW });
    assert.deepEqual(
      await confirmTotpEnrolment(deps, { userId: "u1", code: "000000", now: NOW }),
      { ok: false, reason: "wrong" },
    );
    const again = await resumeTotpEnrolment(deps, { user, issuer: "K", now: NOW + 5 });
    assert.ok(again !== undefined);
    assert.equal(again.secret, first.secret);
    assert.equal(again.uri, first.uri);
    assert.equal(again.recoveryCodes.length, 10);
    assert.ok(again.recoveryCodes.every((c) => !first.recoveryCodes.includes(c)));
    const secret = base32Decode(again.secret);
    assert.deepEqual(
      await confirmTotpEnrolment(deps, {
        userId: "u1",
        code: await totp(secret, NOW + 5),
        now: NOW + 5,
      }),
      { ok: true },
    );
    // The codes shown last are the ones that work; the first page's are void.
    const ok = await verifySecondFactor(deps, {
      userId: "u1",
      code: again.recoveryCodes[0],
      now: NOW + 6,
    });
    assert.deepEqual(ok, { ok: true, method: "recovery" });
    const old = await verifySecondFactor(deps, {
      userId: "u1",
      code: first.recoveryCodes[0],
      now: NOW + 6,
    });
    assert.equal(old.ok, false);
  } finally {
    await store.close();
  }
});
