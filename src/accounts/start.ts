/**
 * Starting accounts with the server: the service over the already open store, and the bootstrap
 * admin when the store has no account yet. Its password is, in order: `KEYPEBBLE_ADMIN_PASSWORD`,
 * the file `accounts.admin_password_path` (a systemd credential, say), or a random one written
 * once to stderr, which must be changed at first login. The admin logs in as `admin` (username)
 * or with `accounts.admin_email`.
 */

import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import type { Platform } from "../platform/platform.ts";
import type { Store } from "../store/mod.ts";
import { AccountService } from "./service.ts";

/** Build the account service and create the first admin when needed. */
export async function startAccounts(
  platform: Platform,
  config: Config,
  store: Store,
  options: { logger: Logger; now?: () => number; hashIterations?: number },
): Promise<AccountService> {
  const ac = config.accounts;
  if (ac === undefined) throw new KeypebbleError("config_invalid", "No accounts section");
  const svc = new AccountService({
    store,
    config: ac,
    logger: options.logger,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.hashIterations === undefined ? {} : { hashIterations: options.hashIterations }),
  });
  let password = platform.env("KEYPEBBLE_ADMIN_PASSWORD");
  let source = "KEYPEBBLE_ADMIN_PASSWORD";
  if ((password === undefined || password === "") && ac.adminPasswordPath !== undefined) {
    if ((await store.users.count()) === 0) {
      try {
        password = (await platform.readTextFile(ac.adminPasswordPath)).replace(/\r?\n$/, "");
        source = "accounts.admin_password_path";
      } catch (e) {
        throw new KeypebbleError(
          "config_invalid",
          `${config.source}: accounts.admin_password_path: cannot read "${ac.adminPasswordPath}": ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
    }
  }
  if (password === "") password = undefined;
  let result;
  try {
    result = await svc.bootstrap(password);
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "invalid_request") {
      throw new KeypebbleError(
        "config_invalid",
        `${source}: the admin password is refused: ${e.message}`,
      );
    }
    throw e;
  }
  if (result.created) {
    options.logger.info("admin_created", { email: ac.adminEmail, username: "admin" });
    if (result.printed !== undefined) {
      // Printed once, to stderr only, never to the log stream.
      platform.stderr(
        `\nKeypebble created the first administrator: username "admin" (e-mail ${ac.adminEmail}).\n` +
          `Its one-time password is: ${result.printed}\n` +
          "It must be changed at first login (POST /api/v1/auth/me/password).\n\n",
      );
    }
  }
  return svc;
}
