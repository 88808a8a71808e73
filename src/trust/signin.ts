/**
 * What sign-in with Keypebble (issue 24) needs from the trust layer, shared by its routes (the
 * pages, the `authorization_code` grant, discovery, the admin API): whether sign-in is on, its
 * keys, the clients (config first, then the store), and the second factor of an account checked
 * under the same lockout as its password.
 *
 * Sign-in is on when accounts are configured (they need a store, whose pepper gives the keys)
 * and the keyring has an asymmetric key for ID tokens (the `id` profile) that is not switched off
 * (`profiles.id.enabled: false`).
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import {
  type ClientLookup,
  clientLookup,
  type OidcKeys,
  type SecondFactorCheck,
  type SecondFactorState,
  secondFactorState,
  verifySecondFactor,
} from "../oidc/mod.ts";
import type { Profile } from "../profiles/resolve.ts";
import type { Store, UserRecord } from "../store/mod.ts";
import { loginAccount, type LoginName, requireAccounts } from "./accounts.ts";
import { addressKey, clearSignInFailures, guarded } from "./guard.ts";
import type { Ctx } from "./services.ts";

/** What the sign-in routes work with. */
export interface Signin {
  readonly store: Store;
  readonly keys: OidcKeys;
  readonly lookup: ClientLookup;
  /** The `id` kind, ready to mint. */
  readonly idProfile: Profile;
}

/** Whether sign-in is served under the current config and services. */
export function signinOn(ctx: Pick<Ctx, "rt" | "services">): boolean {
  return ctx.services.accounts !== undefined && ctx.services.oidcKeys !== undefined &&
    ctx.rt.profiles.id !== undefined && ctx.rt.config.profiles.id?.enabled !== false;
}

/** Sign-in's pieces, or a 404 when sign-in is not served. */
export async function requireSignin(ctx: Ctx): Promise<Signin> {
  const { services, rt } = ctx;
  if (!signinOn(ctx)) {
    throw KeypebbleError.answer(
      "not_found",
      "Sign-in is not enabled (it needs an accounts section and an RS256, ES256 or EdDSA key)",
    );
  }
  const store = services.accounts!.store;
  return {
    store,
    keys: await services.oidcKeys!,
    lookup: clientsOf(rt.config, store),
    idProfile: rt.profiles.id!,
  };
}

/** One lookup per config (a reload makes a new one), over the config's and the store's clients. */
const _lookups = new WeakMap<Config, { store: Store; lookup: ClientLookup }>();

/** The sign-in clients: the config's (indexed once per config), then the store's. */
export function clientsOf(config: Config, store: Store): ClientLookup {
  const cached = _lookups.get(config);
  if (cached !== undefined && cached.store === store) return cached.lookup;
  const lookup = clientLookup(config.oauth?.clients ?? [], (id) => store.oidcClients.byId(id));
  _lookups.set(config, { store, lookup });
  return lookup;
}

/** Whether `user` signs in with a second factor (enrolled, or required by role or account). */
export async function secondFactorOf(
  ctx: Ctx,
  store: Store,
  user: UserRecord,
): Promise<SecondFactorState> {
  const required = ctx.services.accounts?.config.totpRequiredRoles ?? [];
  return secondFactorState(user, await store.totp.get(user.id), required);
}

/**
 * Check a second-factor code of `user` (a TOTP code or a recovery code) under the lockout of its
 * password: refused while the address or the account is locked, and every wrong, malformed or
 * replayed code counts as a failed sign-in.
 */
export async function checkSecondFactor(
  ctx: Ctx,
  signin: Pick<Signin, "store" | "keys">,
  user: UserRecord,
  code: string,
): Promise<SecondFactorCheck> {
  const keys: string[] = [];
  const addr = addressKey(ctx);
  if (addr !== undefined) keys.push(addr);
  keys.push(`acct:${user.id}`);
  let last: SecondFactorCheck | undefined;
  const ok = await guarded(ctx, keys, "bad_second_factor", async () => {
    last = await verifySecondFactor({ store: signin.store, keys: signin.keys }, {
      userId: user.id,
      code: code.slice(0, 64),
      now: ctx.nowSec,
    });
    return last.ok ? last : null;
  });
  if (ok !== null && ctx.rt.config.lockout.enabled) {
    await clearSignInFailures(ctx, `acct:${user.id}`);
  }
  return ok ?? last ?? { ok: false, reason: "wrong" };
}

/** The account store and sign-in keys, or a 404 when accounts are not configured. */
export async function secondFactorDeps(ctx: Ctx): Promise<{ store: Store; keys: OidcKeys }> {
  const svc = requireAccounts(ctx);
  if (ctx.services.oidcKeys === undefined) {
    throw KeypebbleError.answer("not_found", "Second factors need a store (its pepper)");
  }
  return { store: svc.store, keys: await ctx.services.oidcKeys };
}

/**
 * A login of the API (pico-auth's `POST /api/v1/auth/login`, the OAuth2 `password` grant): the
 * password under the lockout (`loginAccount`), then, when the account signs in with a second
 * factor, `otp` (a TOTP code or a recovery code) under the same lockout. An account that must use
 * one but has not set it up is refused, as Keycloak refuses a direct grant of an account that is
 * "not fully set up": it enrols at the browser sign-in (or before the requirement, through
 * `POST /api/v1/auth/me/totp`).
 *
 * @throws {KeypebbleError} `unauthorized` (wrong password, missing or wrong code), `forbidden`
 *   (suspended, second factor not set up), `locked_out`
 */
export async function loginWithSecondFactor(
  ctx: Ctx,
  who: LoginName,
  password: string,
  otp: string | null,
): Promise<UserRecord> {
  const user = await loginAccount(ctx, who, password);
  const deps = await secondFactorDeps(ctx);
  const sf = await secondFactorOf(ctx, deps.store, user);
  if (!sf.required) return user;
  if (!sf.enrolled) {
    throw KeypebbleError.answer(
      "forbidden",
      "This account must set up a second factor first: sign in through a browser",
    );
  }
  if (otp === null || otp === "") {
    throw KeypebbleError.answer(
      "unauthorized",
      'A second factor is required: send the code of the authenticator app (or a recovery code) as "otp"',
    );
  }
  const check = await checkSecondFactor(ctx, deps, user, otp);
  if (!check.ok) {
    throw KeypebbleError.answer("unauthorized", "The second-factor code is not valid");
  }
  return user;
}

/** The name authenticator apps show: `accounts.totp_issuer`, else the issuer's host name. */
export function totpIssuerOf(ctx: Pick<Ctx, "rt" | "services">): string {
  const configured = ctx.services.accounts?.config.totpIssuer;
  if (configured !== undefined) return configured;
  try {
    return new URL(ctx.rt.config.issuer).hostname || "Keypebble";
  } catch {
    return "Keypebble"; // the issuer is not a URL
  }
}
