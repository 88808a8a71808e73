/**
 * The start-up sequence `serve` and `check` share, up to the socket: load the runtime (config,
 * environment, keys, TLS pair, policy: src/runtime/), then run every {@link PREFLIGHT} step
 * against it. `serve` goes on to listen; `check` prints what it found. Because both run this one
 * function, `check` exits 2 exactly when `serve` would not start (the listen itself aside: an
 * address in use is only met by binding it).
 *
 * A step gets the mode: `serve` may write (migrate the store, create the pepper and the first
 * administrator); `check` reads and reports what serve would do, writing nothing (a directory
 * serve would create a file in is tested with a probe file, created and removed at once).
 *
 * Adding a check (e.g. a pepper fingerprint): add one {@link PreflightStep} to
 * {@link PREFLIGHT}. Throw a `KeypebbleError` to stop the start (`config_invalid` is logged as
 * `config_error`, anything else as `store_error`, exit 2), push a notice for a warning, and
 * call `ctx.report(label, text)` for what `check` should print.
 */

import { checkNewPassword } from "../accounts/passwords.ts";
import { openStoreState } from "../apikeys/state.ts";
import type { Config } from "../config/mod.ts";
import { redactUrl } from "../config/store.ts";
import { KeypebbleError } from "../errors.ts";
import { redisLimits } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  FileMissingError,
  loadRuntime,
  type Runtime,
} from "../runtime/mod.ts";
import { prepareSharedState } from "./worker_state.ts";

/** `serve` prepares and may write; `check` inspects and writes nothing. */
export type StartMode = "serve" | "check";

/** What a step is given. */
export interface PreflightContext {
  readonly platform: Platform;
  readonly runtime: Runtime;
  readonly mode: StartMode;
  /** The lifecycle log (`serve`; `check` collects nothing through it). */
  readonly logger: Logger;
  /** Warnings: logged by serve, listed by check. */
  readonly notices: BuildNotice[];
  /** A fact for `check` to print under `label` (ignored by serve). */
  report(label: string, text: string): void;
}

/** One check or preparation before the socket. */
export interface PreflightStep {
  readonly name: string;
  run(ctx: PreflightContext): Promise<void>;
}

/** Why the start stops: the event serve logs (and its exit code is always 2). */
export class StartupError extends Error {
  constructor(
    readonly event: "config_error" | "store_error",
    message: string,
    /** The error code (`config_invalid`, `store_unavailable`, ...), as `check` prints it. */
    readonly code: string,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

/** Inputs of {@link startUp}. */
export interface StartUpOptions {
  readonly configPath: string;
  readonly overrides?: ConfigOverrides;
  /** `${CREDENTIALS_DIRECTORY}` outside systemd (`check --credentials-dir`). */
  readonly credentialsDir?: string;
  readonly mode: StartMode;
  readonly logger: Logger;
  /** The steps to run (tests pass their own); default {@link PREFLIGHT}. */
  readonly steps?: readonly PreflightStep[];
}

/** What a successful start-up leaves for the caller. */
export interface Started {
  readonly runtime: Runtime;
  /** Notices of the runtime build and of the steps (warnings, a generated key, ...). */
  readonly notices: BuildNotice[];
  /** `check`'s extra lines, in step order: [label, text]. */
  readonly report: readonly (readonly [string, string])[];
}

/**
 * Run the start-up sequence up to the socket.
 *
 * @throws {StartupError} naming the file, the field and the problem
 */
export async function startUp(platform: Platform, o: StartUpOptions): Promise<Started> {
  const notices: BuildNotice[] = [];
  // check writes nothing: a key generate_missing_key would create is reported, not created.
  const io: Platform = o.mode === "serve" ? platform : {
    ...platform,
    writePrivateFile: (path: string) => {
      notices.push({
        level: "info",
        event: "would_generate",
        fields: { path, message: `serve would GENERATE "${path}" (generate_missing_key is on)` },
      });
      return Promise.resolve();
    },
  };
  let runtime: Runtime;
  try {
    runtime = await loadRuntime(io, o.configPath, {
      ...(o.overrides === undefined ? {} : { overrides: o.overrides }),
      generation: 1,
      notices,
      ...(o.credentialsDir === undefined ? {} : { credentialsDir: o.credentialsDir }),
    });
  } catch (e) {
    throw new StartupError("config_error", _message(e), _code(e, "config_invalid"));
  }
  const report: [string, string][] = [];
  const ctx: PreflightContext = {
    platform: io,
    runtime,
    mode: o.mode,
    logger: o.logger,
    notices,
    report: (label, text) => void report.push([label, text]),
  };
  for (const step of o.steps ?? PREFLIGHT) {
    try {
      await step.run(ctx);
    } catch (e) {
      const config = e instanceof KeypebbleError &&
        (e.code === "config_invalid" || e.code === "weak_key" || e.code === "invalid_key");
      throw new StartupError(
        config ? "config_error" : "store_error",
        _message(e),
        _code(e, "store_error"),
      );
    }
  }
  return { runtime, notices, report };
}

function _code(e: unknown, fallback: string): string {
  return e instanceof KeypebbleError ? e.code : fallback;
}

function _message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The store: serve migrates it (creating it on first use), creates the pepper while no key is
 * stored and the first administrator (src/server/worker_state.ts); check opens it without
 * migrating and says what serve would do, refusing what serve would refuse.
 */
export const STORE_STEP: PreflightStep = {
  name: "store",
  async run(ctx) {
    const config = ctx.runtime.config;
    if (config.store === undefined) return;
    if (ctx.mode === "serve") {
      await prepareSharedState(ctx.platform, config, ctx.logger);
      return;
    }
    await _inspectStore(ctx, config);
  },
};

/** `shared_limits`: every worker connects at start, so an unreachable Redis stops serve. */
export const SHARED_LIMITS_STEP: PreflightStep = {
  name: "shared_limits",
  async run(ctx) {
    const s = ctx.runtime.config.sharedLimits;
    if (s === undefined || ctx.mode === "serve") return; // serve's workers connect themselves
    const limits = await redisLimits(s.redisUrl);
    await limits.close();
    ctx.report("shared limits", `${redactUrl(s.redisUrl)}: reachable`);
  },
};

/**
 * Every step, in order. The store's pepper fingerprint check (issue 20, store side) belongs
 * after {@link STORE_STEP}.
 */
export const PREFLIGHT: readonly PreflightStep[] = [STORE_STEP, SHARED_LIMITS_STEP];

async function _inspectStore(ctx: PreflightContext, config: Config): Promise<void> {
  const sc = config.store!;
  const { platform } = ctx;
  const lines: string[] = [];
  if (sc.url.startsWith("sqlite:")) {
    const path = sc.url.slice("sqlite:".length);
    // serve creates a missing database: its directory must take new files (a read-only config
    // directory does not), which only a probe tells (src/apikeys/state.ts checks the files).
    if (path !== ":memory:" && await platform.mtime(path) === undefined) {
      if (platform.canWrite !== undefined && !(await platform.canWrite(path))) {
        throw new KeypebbleError(
          "store_error",
          `${config.source}: store.url: cannot create "${path}" (its directory is not writable ` +
            "by this process); serve needs to write the database and its -wal and -shm files " +
            "beside it (keep state in a writable directory such as /var/lib/keypebble)",
        );
      }
      lines.push(`"${path}" does not exist yet: serve creates it (the directory is writable)`);
    }
  }
  // The store's part of serve's start-up, read-only: files, the store, the pepper against its
  // fingerprint, permissions (src/apikeys/state.ts).
  const state = await openStoreState(platform, config, { mode: "check" });
  try {
    ctx.notices.push(...state.notices);
    let users = 0;
    const store = state.store;
    if (store !== undefined) {
      const status = await store.status();
      lines.push(
        status.pending.length === 0
          ? `schema version ${status.current} (current)`
          : `schema version ${status.current}: serve migrates it to ${status.latest} at start`,
      );
      // Before migrating, an older schema may not answer today's queries: serve counts after it.
      const keys = status.current === 0
        ? 0
        : await store.apiKeys.list().then((l) => l.length, () => undefined);
      if (keys !== undefined) lines.push(`${keys} API key(s)`);
      users = status.current === 0 ? 0 : await store.users.count().catch(() => 0);
    }
    ctx.report("store", `${redactUrl(sc.url)}: ${lines.join("; ")}`);
    if (state.pepperVerdict === "create") {
      if (platform.canWrite !== undefined && !(await platform.canWrite(sc.pepperPath))) {
        throw new KeypebbleError(
          "config_invalid",
          `store.pepper_path: "${sc.pepperPath}" is missing and its directory is not writable, ` +
            'so serve cannot create it (run "keypebble store init" where it can, or keep the ' +
            "pepper in a writable state directory)",
        );
      }
      ctx.report(
        "pepper",
        `${sc.pepperPath} (MISSING: serve creates it, as the store is new; or run ` +
          '"keypebble store init")',
      );
    } else {
      ctx.report(
        "pepper",
        `${sc.pepperPath}${
          state.pepperVerdict === "unrecorded"
            ? " (the store has no fingerprint yet: serve records this pepper's)"
            : " (matches the store's fingerprint)"
        }`,
      );
    }
    if (config.accounts !== undefined) await _inspectAdmin(ctx, config, users);
  } finally {
    await state.store?.close();
  }
}

/** As serve: with no account yet, the first administrator is created at start. */
async function _inspectAdmin(
  ctx: PreflightContext,
  config: Config,
  users: number,
): Promise<void> {
  const ac = config.accounts!;
  if (users > 0) {
    ctx.report("accounts", `${users} account(s)`);
    return;
  }
  let password = ctx.platform.env("KEYPEBBLE_ADMIN_PASSWORD");
  let source = "KEYPEBBLE_ADMIN_PASSWORD";
  if ((password === undefined || password === "") && ac.adminPasswordPath !== undefined) {
    source = "accounts.admin_password_path";
    try {
      password = (await ctx.platform.readTextFile(ac.adminPasswordPath)).replace(/\r?\n$/, "");
    } catch (e) {
      throw new KeypebbleError(
        "config_invalid",
        `${config.source}: accounts.admin_password_path: cannot read "${ac.adminPasswordPath}": ${
          e instanceof FileMissingError ? "the file does not exist" : _message(e)
        }`,
      );
    }
  }
  if (password === undefined || password === "") {
    ctx.report(
      "accounts",
      `none yet: serve creates the administrator "${ac.adminEmail}" with a one-time password ` +
        "printed once on stderr",
    );
    return;
  }
  try {
    checkNewPassword(password, ac.passwordMinLength);
  } catch (e) {
    throw new KeypebbleError(
      "config_invalid",
      `${source}: the admin password is refused: ${_message(e)}`,
    );
  }
  ctx.report(
    "accounts",
    `none yet: serve creates the administrator "${ac.adminEmail}" (password from ${source})`,
  );
}
