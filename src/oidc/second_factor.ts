/**
 * The second factor at sign-in (the login page, and the password grant's `otp`): who needs one,
 * checking a TOTP code or a recovery code against the store, enrolment and its confirmation, and
 * an administrator's reset. TOTP secrets are sealed (`keys.ts`) before they reach the store.
 *
 * Every check that can be raced is settled by the store in one statement: a TOTP step is
 * accepted only if it is later than the last accepted one, a recovery code is spent only if it is
 * unused, so a code typed twice (or replayed by someone watching) passes once.
 *
 * @module
 */

import type { Store, TotpRecord, UserRecord } from "../store/mod.ts";
import { base32Encode } from "./base32.ts";
import { type OidcKeys, openTotpSecret, sealTotpSecret } from "./keys.ts";
import { encodeQr, qrSvg } from "./qr.ts";
import {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeHash,
} from "./recovery_codes.ts";
import { endAccountSessions } from "./sessions.ts";
import { newTotpSecret, otpauthUri, verifyTotp } from "./totp.ts";

/** What an account needs for its second factor. */
export interface SecondFactorState {
  /** A second factor is asked for at sign-in (enrolled, or required by role or account). */
  readonly required: boolean;
  /** A confirmed TOTP secret exists. */
  readonly enrolled: boolean;
}

/**
 * Whether `user` signs in with a second factor: always once enrolled (a person who set one up
 * expects it to be asked for), and whenever their role is in `requiredRoles` or an administrator
 * required it of the account (then, if not enrolled yet, enrolment comes right after sign-in).
 */
export function secondFactorState(
  user: UserRecord,
  totp: TotpRecord | undefined,
  requiredRoles: readonly string[] = [],
): SecondFactorState {
  const enrolled = totp?.secret !== null && totp?.secret !== undefined;
  return {
    enrolled,
    required: enrolled || requiredRoles.includes(user.role) || totp?.required === true,
  };
}

/** The outcome of a second-factor check. */
export type SecondFactorCheck =
  | { readonly ok: true; readonly method: "otp" | "recovery" }
  | {
    readonly ok: false;
    /** `not_enrolled`: no TOTP secret; the others as in `verifyTotp`, or a spent recovery code. */
    readonly reason: "not_enrolled" | "malformed" | "wrong" | "replayed";
  };

/** What the second-factor functions need. */
export interface SecondFactorDeps {
  readonly store: Pick<Store, "totp">;
  readonly keys: OidcKeys;
}

/**
 * Check `code` for `userId`: a 6-digit TOTP code (accepted once, ±1 step), or one of the
 * account's recovery codes (spent). Count failures toward the lockout like a wrong password.
 */
export async function verifySecondFactor(
  deps: SecondFactorDeps,
  input: { userId: string; code: string; now: number },
): Promise<SecondFactorCheck> {
  const rec = await deps.store.totp.get(input.userId);
  if (rec === undefined || rec.secret === null) return { ok: false, reason: "not_enrolled" };
  if (normalizeRecoveryCode(input.code) !== null) {
    const spent = await deps.store.totp.useRecoveryCode(
      input.userId,
      recoveryCodeHash(deps.keys, input.code),
      input.now,
    );
    return spent ? { ok: true, method: "recovery" } : { ok: false, reason: "wrong" };
  }
  const secret = await openTotpSecret(deps.keys, input.userId, rec.secret);
  const check = await verifyTotp(secret, input.code, { now: input.now, lastStep: rec.lastStep });
  secret.fill(0);
  if (!check.ok) return check;
  // The store has the last word: a concurrent sign-in may have taken this step meanwhile.
  if (!await deps.store.totp.acceptStep(input.userId, check.step)) {
    return { ok: false, reason: "replayed" };
  }
  return { ok: true, method: "otp" };
}

/** What the enrolment page shows (once). */
export interface TotpEnrolment {
  /** The secret in base32, for typing in by hand. */
  readonly secret: string;
  readonly uri: string;
  /** The QR code of `uri`, or undefined when the URI is too long for one. */
  readonly qrSvg?: string;
  readonly recoveryCodes: readonly string[];
}

/**
 * Begin enrolment: a new secret and ten recovery codes, kept as pending (sealed, and hashed)
 * until a code from the app confirms them; the factor in use, if any, stays until then.
 */
export async function beginTotpEnrolment(
  deps: SecondFactorDeps,
  input: { user: UserRecord; issuer: string; now: number },
): Promise<TotpEnrolment> {
  const raw = newTotpSecret();
  const codes = generateRecoveryCodes();
  await deps.store.totp.startEnrolment(input.user.id, {
    sealedSecret: await sealTotpSecret(deps.keys, input.user.id, raw),
    recoveryHashes: codes.map((c) => recoveryCodeHash(deps.keys, c)),
  }, input.now);
  return _enrolment(raw, input.user, input.issuer, codes);
}

/**
 * Show a pending enrolment again after a wrong confirmation code: the same secret (the person
 * has scanned it already), opened from its sealed pending form, and ten NEW recovery codes (the
 * shown ones cannot be shown again: only their hashes are kept). Undefined when nothing is
 * pending.
 */
export async function resumeTotpEnrolment(
  deps: SecondFactorDeps,
  input: { user: UserRecord; issuer: string; now: number },
): Promise<TotpEnrolment | undefined> {
  const rec = await deps.store.totp.get(input.user.id);
  if (rec === undefined || rec.pendingSecret === null) return undefined;
  const raw = await openTotpSecret(deps.keys, input.user.id, rec.pendingSecret);
  const codes = generateRecoveryCodes();
  await deps.store.totp.startEnrolment(input.user.id, {
    sealedSecret: rec.pendingSecret,
    recoveryHashes: codes.map((c) => recoveryCodeHash(deps.keys, c)),
  }, input.now);
  return _enrolment(raw, input.user, input.issuer, codes);
}

function _enrolment(
  raw: Uint8Array,
  user: UserRecord,
  issuer: string,
  codes: readonly string[],
): TotpEnrolment {
  const uri = otpauthUri({ issuer, account: user.username ?? user.email, secret: raw });
  let svg: string | undefined;
  try {
    svg = qrSvg(encodeQr(uri), { label: "QR code for your authenticator app" });
  } catch {
    svg = undefined; // longer than version 10 holds: the page shows the key to type in
  }
  const secret = base32Encode(raw);
  raw.fill(0);
  return { secret, uri, ...(svg === undefined ? {} : { qrSvg: svg }), recoveryCodes: codes };
}

/** Confirm enrolment with a code from the app: the pending secret and codes take over. */
export async function confirmTotpEnrolment(
  deps: SecondFactorDeps,
  input: { userId: string; code: string; now: number },
): Promise<{ ok: true } | { ok: false; reason: "no_enrolment" | "malformed" | "wrong" }> {
  const rec = await deps.store.totp.get(input.userId);
  if (rec === undefined || rec.pendingSecret === null) return { ok: false, reason: "no_enrolment" };
  const secret = await openTotpSecret(deps.keys, input.userId, rec.pendingSecret);
  const check = await verifyTotp(secret, input.code, { now: input.now, lastStep: null });
  secret.fill(0);
  if (!check.ok) return { ok: false, reason: check.reason === "malformed" ? "malformed" : "wrong" };
  const done = await deps.store.totp.confirmEnrolment(input.userId, rec.pendingSecret, {
    step: check.step,
    at: input.now,
  });
  return done ? { ok: true } : { ok: false, reason: "no_enrolment" };
}

/**
 * An administrator's reset: the secret, the pending one and every recovery code go, and every
 * browser session of the account ends. Whether a second factor is required stays as it was, so
 * a required account enrols again at its next sign-in.
 */
export function resetTotp(
  store: Pick<Store, "totp" | "oidcSessions" | "transaction">,
  input: { userId: string; now: number },
): Promise<void> {
  return store.transaction(async (tx) => {
    await tx.totp.reset(input.userId, input.now);
    await tx.totp.removeRecoveryCodes(input.userId);
    await endAccountSessions(tx, input.userId, "totp_reset", input.now);
  });
}
