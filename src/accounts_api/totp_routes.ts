/**
 * The second factor of an account through the API (issue 24): an account enrols its own TOTP
 * authenticator (`/api/v1/auth/me/totp`), an administrator sees, requires or resets an account's
 * (`/api/v1/auth/users/{id}/totp`, `users.manage` within reach). The browser's sign-in page
 * enrols too, when a second factor is required and not set up yet.
 *
 * Enrolment asks for the account's password again (under the login lockout): a stolen access
 * token must not be enough to put the thief's authenticator on the account. A new secret and its
 * recovery codes stay pending until a code from the app confirms them; the factor in use, if any,
 * stays in use until then.
 *
 * @module
 */

import { verifyAnyPassword } from "../accounts/passwords.ts";
import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { beginTotpEnrolment, confirmTotpEnrolment, resetTotp } from "../oidc/mod.ts";
import type { UserRecord } from "../store/mod.ts";
import {
  type Ctx,
  noteAudit,
  requireAccounts,
  reverifyPassword,
  secondFactorDeps,
  secondFactorOf,
  totpIssuerOf,
} from "../trust/mod.ts";
import { objectBody, requiredString } from "./json_body.ts";
import { callingAccount, targetAccount } from "./pico_routes.ts";

async function _status(ctx: Ctx, user: UserRecord): Promise<Record<string, unknown>> {
  const { store } = await secondFactorDeps(ctx);
  const rec = await store.totp.get(user.id);
  const sf = await secondFactorOf(ctx, store, user);
  return {
    enrolled: sf.enrolled,
    required: sf.required,
    required_by_account: rec?.required ?? false,
    pending: rec?.pendingSecret !== null && rec?.pendingSecret !== undefined,
    recovery_codes_left: sf.enrolled ? await store.totp.recoveryCodesLeft(user.id) : 0,
  };
}

/** `GET /api/v1/auth/me/totp`: whether the caller has a second factor, and must. */
export async function getMyTotp(ctx: Ctx): Promise<Response> {
  return json(await _status(ctx, callingAccount(ctx)));
}

/**
 * `POST /api/v1/auth/me/totp` `{"password"}`: begin enrolment. Answers the secret (base32), the
 * `otpauth://` URI, its QR code (SVG) and ten recovery codes, shown this once.
 */
export async function postMyTotp(ctx: Ctx): Promise<Response> {
  const user = callingAccount(ctx);
  const password = requiredString(objectBody(ctx), "password");
  await reverifyPassword(ctx, user, async () => {
    if (!(await verifyAnyPassword(password, user.passwordHash)).ok) {
      throw KeypebbleError.answer("unauthorized", "The password is not correct");
    }
  });
  const deps = await secondFactorDeps(ctx);
  const e = await beginTotpEnrolment(deps, {
    user,
    issuer: totpIssuerOf(ctx),
    now: ctx.nowSec,
  });
  noteAudit(ctx, { target: user.id, org: user.orgId });
  return json({
    secret: e.secret,
    otpauth_uri: e.uri,
    ...(e.qrSvg === undefined ? {} : { qr_svg: e.qrSvg }),
    recovery_codes: e.recoveryCodes,
  }, 201);
}

/** `POST /api/v1/auth/me/totp/confirm` `{"code"}`: a code from the app turns the factor on. */
export async function postMyTotpConfirm(ctx: Ctx): Promise<Response> {
  const user = callingAccount(ctx);
  const code = requiredString(objectBody(ctx), "code");
  const r = await confirmTotpEnrolment(await secondFactorDeps(ctx), {
    userId: user.id,
    code: code.slice(0, 16),
    now: ctx.nowSec,
  });
  if (!r.ok) {
    throw KeypebbleError.answer(
      "invalid_request",
      r.reason === "no_enrolment"
        ? "No enrolment is pending: start one with POST /api/v1/auth/me/totp"
        : "The code is not the one the app shows now",
    );
  }
  noteAudit(ctx, { target: user.id, org: user.orgId, details: { via: "api" } });
  return json(await _status(ctx, user));
}

/** `GET /api/v1/auth/users/{id}/totp`: an account's second-factor state. */
export async function getUserTotp(ctx: Ctx): Promise<Response> {
  return json(await _status(ctx, await targetAccount(ctx, ctx.params.id)));
}

/**
 * `PUT /api/v1/auth/users/{id}/totp` `{"required": true|false}`: require a second factor of
 * this account (beyond `accounts.totp_required_roles`); it enrols at its next sign-in.
 */
export async function putUserTotp(ctx: Ctx): Promise<Response> {
  callingAccount(ctx);
  const target = await targetAccount(ctx, ctx.params.id);
  const required = objectBody(ctx).required;
  if (typeof required !== "boolean") {
    throw KeypebbleError.answer("invalid_request", '"required" must be true or false');
  }
  const { store } = await secondFactorDeps(ctx);
  await store.totp.setRequired(target.id, required, ctx.nowSec);
  noteAudit(ctx, { org: target.orgId, details: { required } });
  return json(await _status(ctx, target));
}

/**
 * `DELETE /api/v1/auth/users/{id}/totp`: an administrator's reset (a lost phone): the secret and
 * every recovery code go, and every browser session of the account ends. Whether one is required
 * stays as it was, so a required account enrols again at its next sign-in.
 */
export async function deleteUserTotp(ctx: Ctx): Promise<Response> {
  callingAccount(ctx);
  const target = await targetAccount(ctx, ctx.params.id);
  await resetTotp(requireAccounts(ctx).store, { userId: target.id, now: ctx.nowSec });
  noteAudit(ctx, { org: target.orgId });
  return json(await _status(ctx, target));
}
