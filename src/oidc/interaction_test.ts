import assert from "node:assert/strict";
import { sampleUser } from "../store/accounts_suite.ts";
import type { OidcSessionRecord } from "../store/mod.ts";
import { testClient, testRequest } from "./_testing.ts";
import { decideInteraction, type InteractionFacts } from "./interaction.ts";

const USER = sampleUser({ id: "u1", email: "a@x.test" });
const SESSION: OidcSessionRecord = {
  id: "sid1",
  tokenHash: "h",
  userId: "u1",
  authTime: 1000,
  amr: ["pwd"],
  createdAt: 1000,
  expiresAt: 9000,
  endedAt: null,
  endReason: null,
};

function facts(over: Partial<InteractionFacts> = {}): InteractionFacts {
  return {
    status: "active",
    session: SESSION,
    user: USER,
    now: 1100,
    authenticatedNow: false,
    secondFactorRequired: false,
    totpEnrolled: false,
    consentGiven: false,
    ...over,
  };
}

const FIRST = testRequest({ client: testClient({ id: "app", firstParty: true }) });
const THIRD = testRequest();
const none = (r = FIRST) => ({ ...r, prompt: new Set(["none"] as const) });

Deno.test("no session, an ended or expired one: the login page, or login_required silently", () => {
  for (const status of ["none", "ended", "expired", "account_inactive"] as const) {
    assert.deepEqual(decideInteraction(FIRST, facts({ status })), {
      kind: "login",
      reason: "no_session",
    });
    assert.deepEqual(decideInteraction(none(), facts({ status })).kind, "error");
    const e = decideInteraction(none(), facts({ status }));
    assert.equal(e.kind === "error" && e.error, "login_required", status);
  }
});

Deno.test("a first-party client with a session gets a code at once", () => {
  assert.deepEqual(decideInteraction(FIRST, facts()), { kind: "issue_code" });
  assert.deepEqual(decideInteraction(none(), facts()), { kind: "issue_code" });
});

Deno.test("prompt=login and max_age ask again unless this request just signed in", () => {
  const login = { ...FIRST, prompt: new Set(["login"] as const) };
  assert.deepEqual(decideInteraction(login, facts()), { kind: "login", reason: "prompt_login" });
  assert.deepEqual(decideInteraction(login, facts({ authenticatedNow: true })), {
    kind: "issue_code",
  });
  const aged = { ...FIRST, maxAge: 60 };
  assert.deepEqual(decideInteraction(aged, facts({ now: 1061 })), {
    kind: "login",
    reason: "max_age",
  });
  assert.deepEqual(decideInteraction(aged, facts({ now: 1060 })), { kind: "issue_code" });
  const zero = { ...FIRST, maxAge: 0 };
  assert.equal(decideInteraction(zero, facts({ now: 1001 })).kind, "login");
  const e = decideInteraction({ ...none(), maxAge: 0 }, facts({ now: 1001 }));
  assert.equal(e.kind === "error" && e.error, "login_required");
});

Deno.test("an id_token_hint for another account means signing in again", () => {
  assert.deepEqual(decideInteraction(FIRST, facts({ hintSubject: "u2" })), {
    kind: "login",
    reason: "hint_mismatch",
  });
  assert.equal(decideInteraction(FIRST, facts({ hintSubject: "u1" })).kind, "issue_code");
});

Deno.test("a forced password change comes first; silently it is interaction_required", () => {
  const user = { ...USER, mustChangePassword: true };
  assert.deepEqual(decideInteraction(FIRST, facts({ user })), { kind: "password_change" });
  const e = decideInteraction(none(), facts({ user }));
  assert.equal(e.kind === "error" && e.error, "interaction_required");
});

Deno.test("a required second factor: enrol when missing, sign in again when the session lacks it", () => {
  assert.deepEqual(decideInteraction(FIRST, facts({ secondFactorRequired: true })), {
    kind: "totp_enrol",
  });
  assert.deepEqual(
    decideInteraction(FIRST, facts({ secondFactorRequired: true, totpEnrolled: true })),
    { kind: "login", reason: "second_factor" },
  );
  const withOtp = { ...SESSION, amr: ["pwd", "otp"] };
  assert.deepEqual(
    decideInteraction(
      FIRST,
      facts({ secondFactorRequired: true, totpEnrolled: true, session: withOtp }),
    ),
    { kind: "issue_code" },
  );
  const e = decideInteraction(none(), facts({ secondFactorRequired: true }));
  assert.equal(e.kind === "error" && e.error, "interaction_required");
});

Deno.test("third-party clients and prompt=consent need consent; silently consent_required", () => {
  assert.deepEqual(decideInteraction(THIRD, facts()), { kind: "consent" });
  assert.deepEqual(decideInteraction(THIRD, facts({ consentGiven: true })), { kind: "issue_code" });
  const forced = { ...FIRST, prompt: new Set(["consent"] as const) };
  assert.deepEqual(decideInteraction(forced, facts()), { kind: "consent" });
  const e = decideInteraction(none(THIRD), facts());
  assert.equal(e.kind === "error" && e.error, "consent_required");
});
