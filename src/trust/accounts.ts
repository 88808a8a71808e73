/**
 * Stored accounts as callers: an account's access token (`Authorization: Bearer`) on the account,
 * admin and group routes, and the password login shared by `POST /api/v1/auth/login`, the OAuth2
 * `password` grant and the login page.
 *
 * A bearer is one of our tokens of a kind the `account_routes` consumer accepts (only the
 * `account` kind), verified and checked against the one revocation list; the account is then
 * read from the store, so its role and status are the store's, never the token's.
 *
 * Login lockout: failures count against the client address and against the account itself once
 * the name resolves (so its e-mail and `admin` share one count), or the name tried when it does
 * not (so an unknown name locks as a known one would and reveals nothing).
 */

import type { AccountService } from "../accounts/service.ts";
import { KeypebbleError } from "../errors.ts";
import type { AccountCaller } from "../identity/mod.ts";
import type { UserRecord } from "../store/mod.ts";
import { addressKey, clearSignInFailures, guarded, limitPrincipal } from "./guard.ts";
import { verifyOwnToken } from "./presented_tokens.ts";
import type { Ctx } from "./services.ts";

/** The account service, or 404 when accounts are not configured. */
export function requireAccounts(ctx: Ctx): AccountService {
  const svc = ctx.services.accounts;
  if (svc === undefined) {
    throw KeypebbleError.answer("not_found", "Accounts are not enabled (no accounts section)");
  }
  return svc;
}

function _bearerError(message: string): KeypebbleError {
  return KeypebbleError.answer("unauthorized", message, {
    headers: { "www-authenticate": 'Bearer error="invalid_token"' },
  });
}

/** The account behind a bearer access token, or a 401. */
export async function accountCaller(ctx: Ctx, token: string): Promise<AccountCaller> {
  const svc = requireAccounts(ctx);
  let v;
  try {
    v = await verifyOwnToken(ctx, token, "account_routes");
  } catch (e) {
    if (e instanceof KeypebbleError && e.status < 500) {
      ctx.services.metrics.authFailures.labels("bad_token").inc();
      throw _bearerError(`The access token is not valid: ${e.message}`);
    }
    throw e;
  }
  const sub = v.payload.sub;
  const user = typeof sub === "string" ? await svc.store.users.byId(sub) : undefined;
  if (user === undefined) throw _bearerError("The account no longer exists");
  if (user.status !== "active") throw _bearerError("The account is suspended");
  ctx.subject = user.id;
  await limitPrincipal(ctx, user.id);
  return {
    kind: "account",
    subject: user.id,
    method: "account",
    account: user,
    token: {
      ...(typeof v.payload.jti === "string" ? { jti: v.payload.jti } : {}),
      iat: typeof v.payload.iat === "number" ? v.payload.iat : 0,
      exp: typeof v.payload.exp === "number" ? v.payload.exp : 0,
      ...(typeof v.payload.scope === "string" ? { scope: v.payload.scope } : {}),
    },
  };
}

/** Who is logging in: an e-mail or a username. */
export interface LoginName {
  readonly email?: string;
  readonly username?: string;
}

/** Lockout keys of a login: the client address and the account (or the name tried). */
function _loginKeys(ctx: Ctx, user: UserRecord | undefined, name: string): string[] {
  const keys: string[] = [];
  const addr = addressKey(ctx);
  if (addr !== undefined) keys.push(addr);
  keys.push(user === undefined ? `acct?:${name.slice(0, 320)}` : `acct:${user.id}`);
  return keys;
}

/**
 * Check a login's credentials: lockout first (a right password leaks nothing while locked),
 * failures counted against the address and the account, a success clears the account's count; a
 * suspended account is refused after the password check. Throws `unauthorized`, `locked_out` or
 * `forbidden`.
 */
export async function loginAccount(
  ctx: Ctx,
  who: LoginName,
  password: string,
): Promise<UserRecord> {
  const svc = requireAccounts(ctx);
  const name = (who.email ?? who.username ?? "").normalize("NFC").trim().toLowerCase();
  const found = await svc.findLogin(
    who.email !== undefined ? { email: name } : { username: who.username ?? "" },
  );
  const keys = _loginKeys(ctx, found, name);
  const user = await guarded(ctx, keys, "bad_credentials", () => svc.verifyLogin(found, password));
  if (user === null) {
    throw KeypebbleError.answer("unauthorized", "Invalid e-mail, username or password", {
      headers: { "www-authenticate": `Bearer realm="${ctx.rt.config.realm}"` },
    });
  }
  // With a second factor the account's count is cleared only once the code is right too
  // (`checkSecondFactor`): a thief with the password cannot reset it between code guesses.
  if (ctx.rt.config.lockout.enabled && !(await _hasTotp(svc, user))) {
    await clearSignInFailures(ctx, keys[keys.length - 1]);
  }
  if (user.status !== "active") {
    throw KeypebbleError.answer("forbidden", "The account is suspended");
  }
  await admitAccount(ctx, user);
  return await svc.touchLogin(user);
}

async function _hasTotp(svc: AccountService, user: UserRecord): Promise<boolean> {
  const t = await svc.store.totp.get(user.id);
  return t !== undefined && t.secret !== null;
}

/**
 * Admit an account that proved itself (a login, a refresh): refused when its organisation is
 * suspended (the revocation list), then the per-principal limit applies.
 */
export async function admitAccount(ctx: Ctx, user: UserRecord): Promise<void> {
  const waiting = ctx.services.revocations.ready();
  if (waiting !== undefined) await waiting;
  const why = ctx.services.revocations.revoked({ account: user.id, org: user.orgId });
  if (why !== undefined) {
    throw KeypebbleError.answer(
      "forbidden",
      why === "org" ? "The account's organisation is suspended" : "The account is suspended",
    );
  }
  ctx.subject = user.id;
  await limitPrincipal(ctx, user.id);
}

/**
 * Check an account's own password again (`POST /api/v1/auth/me/password`) under the same lockout
 * as a login: a stolen access token cannot be used to guess the password without limit.
 */
export async function reverifyPassword(
  ctx: Ctx,
  user: UserRecord,
  change: () => Promise<void>,
): Promise<void> {
  const keys = _loginKeys(ctx, user, user.email);
  try {
    await guarded(ctx, keys, "bad_credentials", async () => {
      await change();
      return true;
    });
  } catch (e) {
    // Counted as a failed sign-in; answered as before (403), as pico-auth's clients expect.
    if (e instanceof KeypebbleError && e.code === "unauthorized") {
      throw KeypebbleError.answer("forbidden", e.message);
    }
    throw e;
  }
  await clearSignInFailures(ctx, keys[keys.length - 1]);
}
