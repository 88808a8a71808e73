/**
 * Password login for stored accounts, shared by `POST /api/v1/auth/login` and the OAuth2
 * `password` grant: lockout is checked before the password (so a right password leaks nothing
 * while locked), failures count against the client address and the account name, a success
 * clears the account's count, and a suspended account is refused after the password check.
 */

import { clientAddress } from "../apikeys/http.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { clearLockoutFailures, lockoutState, recordLockoutFailure } from "../http/authenticate.ts";
import type { UserRecord } from "../store/mod.ts";
import { accountService } from "./token.ts";

/** Who is logging in: an e-mail or a username. */
export interface LoginName {
  readonly email?: string;
  readonly username?: string;
}

/** Check the credentials or throw `unauthorized` / `locked_out` / `forbidden`. */
export async function loginAccount(
  ctx: RequestContext,
  who: LoginName,
  password: string,
): Promise<UserRecord> {
  const svc = accountService(ctx);
  const { services, rt } = ctx;
  const name = (who.email ?? who.username ?? "").normalize("NFC").trim().toLowerCase();
  const keys = [`addr:${clientAddress(ctx)}`, `acct:${name.slice(0, 320)}`];
  if (rt.config.lockout.enabled) {
    for (const key of keys) {
      // Shared through the Redis counters in fleet mode, like every other lockout.
      const state = await lockoutState(ctx, key);
      if (state.locked) {
        services.metrics.authFailures.labels("locked_out").inc();
        throw new KeypebbleError(
          "locked_out",
          "Too many failed sign-in attempts; try again later",
          { headers: { "retry-after": String(state.retryAfterSeconds) } },
        );
      }
    }
  }
  const user = await svc.checkPassword(
    who.email !== undefined ? { email: name } : { username: who.username ?? "" },
    password,
  );
  if (user === null) {
    services.metrics.authFailures.labels("bad_credentials").inc();
    if (rt.config.lockout.enabled) {
      for (const key of keys) {
        if (await recordLockoutFailure(ctx, key)) {
          services.metrics.lockouts.labels(key.startsWith("addr:") ? "address" : "principal").inc();
          services.logger.warn("lockout", {
            scope: key.startsWith("addr:") ? "address" : "account",
            remote: ctx.peer,
            lock_seconds: rt.config.lockout.lockSeconds,
          });
        }
      }
    }
    throw new KeypebbleError("unauthorized", "Invalid e-mail, username or password", {
      headers: { "www-authenticate": `Bearer realm="${rt.config.realm}"` },
    });
  }
  if (rt.config.lockout.enabled) await clearLockoutFailures(ctx, keys[1]);
  if (user.status !== "active") {
    throw new KeypebbleError("forbidden", "The account is suspended");
  }
  ctx.subject = user.id;
  return await svc.touchLogin(user);
}
