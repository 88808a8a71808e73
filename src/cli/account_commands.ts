/**
 * `keypebble account reset-password|suspend|resume --config FILE --email E`: work on the store's
 * accounts directly, without the HTTP API: the way back in for an operator who lost the only
 * superadmin's password (issue 20), and a way to lock an account out at once.
 *
 * - `reset-password` sets a new password and marks it must-change (the next login must change
 *   it, POST /api/v1/auth/me/password); the account's refresh tokens are revoked. The password
 *   is generated (128 random bits) and printed once on stdout, or read from stdin with
 *   `--password-stdin` (then never printed).
 * - `suspend` refuses the account's logins and refreshes, revokes its refresh tokens and, through
 *   the revocation list in the store (a cutoff at the suspension), every access token it holds:
 *   a running server refuses them within `store.cache_seconds`.
 * - `resume` lets it in again.
 *
 * Whoever can run this can read the config and the store: it is a root-equivalent operation,
 * like editing the database. Exit 0 on success, 2 with a message otherwise.
 */

import { AccountService, normaliseEmail } from "../accounts/service.ts";
import { openConfiguredStore } from "../apikeys/open.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import { type FlagSpec, type ParsedArgs, requireFlag, UsageError } from "./args.ts";

const SUBCOMMANDS = ["reset-password", "suspend", "resume"];

/** The `account` command's entry in the CLI table. */
export const ACCOUNT_COMMAND: {
  summary: string;
  usage: string;
  flags: FlagSpec;
  run(platform: Platform, args: ParsedArgs): Promise<number>;
} = {
  summary: "Reset a password, suspend or resume an account, on the store directly",
  usage: `keypebble account reset-password --config FILE --email E [--password-stdin] [--json]
       keypebble account suspend|resume --config FILE --email E [--json]

reset-password  a new password that must be changed at the next login; generated and printed
                once (or read from stdin with --password-stdin); refresh tokens revoked
suspend         no login or refresh any more; refresh tokens and access tokens revoked (a
                running server refuses them within store.cache_seconds)
resume          the account may log in again
Works without a running server (a lost superadmin password). Exit 0, or 2 with a message.`,
  flags: { config: "string", email: "string", "password-stdin": "boolean", json: "boolean" },
  run: accountCommand,
};

/** Run `keypebble account …`. */
export async function accountCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const sub = args.positionals[0];
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new UsageError(`Expected one of ${SUBCOMMANDS.map((s) => `"${s}"`).join(", ")}`);
  }
  if (args.positionals.length > 1) {
    throw new UsageError(`Unexpected argument "${args.positionals[1].slice(0, 40)}"`);
  }
  const fromStdin = args.flags["password-stdin"] === true;
  if (fromStdin && sub !== "reset-password") {
    throw new UsageError('Option "--password-stdin" is for "account reset-password" only');
  }
  const email = normaliseEmail(requireFlag(args, "email"));
  const config = await loadConfig(platform, requireFlag(args, "config"));
  if (config.accounts === undefined) {
    throw new KeypebbleError(
      "config_invalid",
      `${config.source}: accounts: is not configured, so the store keeps no accounts`,
    );
  }
  const json = args.flags.json === true;
  const store = await openConfiguredStore(platform, config);
  try {
    const svc = new AccountService({ store, config: config.accounts });
    const user = await store.users.byEmail(email);
    if (user === undefined) {
      throw new KeypebbleError("not_found", `No account with the e-mail "${email}"`);
    }
    if (sub === "reset-password") {
      const password = fromStdin
        ? (await platform.readStdin()).replace(/\r?\n$/, "")
        : AccountService.generatePassword();
      await svc.resetPassword(user.id, password, { mustChange: true });
      const out = {
        email: user.email,
        id: user.id,
        must_change_password: true,
        ...(fromStdin ? {} : { password }),
      };
      platform.stdout(
        json
          ? JSON.stringify(out) + "\n"
          : `password of ${user.email} reset; ${
            fromStdin ? "the one given" : `the new one is: ${password}`
          }\nIt must be changed at the next login (POST /api/v1/auth/me/password); ` +
            "every refresh token of the account was revoked\n",
      );
      return 0;
    }
    const status = sub === "suspend" ? "suspended" : "active";
    await svc.setStatus(user.id, status);
    platform.stdout(
      json
        ? JSON.stringify({ email: user.email, id: user.id, status }) + "\n"
        : status === "suspended"
        ? `${user.email} suspended: no login or refresh, and every token it holds is revoked ` +
          "(a running server refuses them within store.cache_seconds)\n"
        : `${user.email} resumed: it may log in again (tokens from before the suspension stay ` +
          "revoked)\n",
    );
    return 0;
  } finally {
    await store.close();
  }
}
