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
import { readPepper } from "../apikeys/pepper.ts";
import type { Config } from "../config/mod.ts";
import { redactUrl } from "../config/store.ts";
import { KeypebbleError } from "../errors.ts";
import { connectRedisCounters } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Platform } from "../platform/platform.ts";
import {
  type BuildNotice,
  type ConfigOverrides,
  FileMissingError,
  loadRuntime,
  type Runtime,
} from "../runtime/mod.ts";
import { openStore } from "../store/mod.ts";
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
    const counters = await connectRedisCounters(s.redisUrl);
    await counters.close();
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
  const url = sc.url;
  const lines: string[] = [];
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path !== ":memory:") {
      const exists = await platform.mtime(path) !== undefined;
      const writable = platform.canWrite === undefined ? true : await platform.canWrite(path);
      if (!writable) {
        throw new KeypebbleError(
          "store_error",
          `${config.source}: store.url: ${
            exists
              ? `"${path}" is not writable`
              : `cannot create "${path}" (its directory is not writable)`
          } by this process; serve needs to write the database and its -wal and -shm files beside it ` +
            "(keep state in a writable directory such as /var/lib/keypebble)",
        );
      }
      if (!exists) {
        lines.push(`"${path}" does not exist yet: serve creates it (the directory is writable)`);
        _reportStore(ctx, sc.url, lines);
        await _inspectPepper(ctx, config, { keys: 0 });
        if (config.accounts !== undefined) await _inspectAdmin(ctx, config, 0);
        return;
      }
    }
  }
  const store = await openStore(url, {
    ...(platform.openSqlite === undefined ? {} : { sqlite: platform.openSqlite }),
    now: Math.floor(Date.now() / 1000),
    schema: "none",
  });
  try {
    const status = await store.status(); // refuses a store newer than this binary, as serve does
    lines.push(
      status.pending.length === 0
        ? `schema version ${status.current} (current)`
        : `schema version ${status.current}: serve migrates it to ${status.latest} at start`,
    );
    // Before migrating, an older schema may not answer today's queries: serve counts after it.
    const keys = status.current === 0
      ? 0
      : await store.apiKeys.list().then((l) => l.length, () => 0);
    lines.push(`${keys} API key(s)`);
    _reportStore(ctx, sc.url, lines);
    await _inspectPepper(ctx, config, { keys });
    if (config.accounts !== undefined) {
      const users = status.current === 0 ? 0 : await store.users.count().catch(() => 0);
      await _inspectAdmin(ctx, config, users);
    }
  } finally {
    await store.close();
  }
}

function _reportStore(ctx: PreflightContext, url: string, lines: string[]): void {
  ctx.report("store", `${redactUrl(url)}: ${lines.join("; ")}`);
}

/** As serve: a missing pepper is created only while the store holds no key. */
async function _inspectPepper(
  ctx: PreflightContext,
  config: Config,
  store: { keys: number },
): Promise<void> {
  const path = config.store!.pepperPath;
  try {
    await readPepper(ctx.platform, path);
    ctx.report("pepper", path);
    return;
  } catch (e) {
    if (!(e instanceof KeypebbleError) || !/does not exist/.test(e.message)) throw e;
  }
  if (store.keys > 0) {
    throw new KeypebbleError(
      "config_invalid",
      `store.pepper_path: "${path}" is missing but the store holds keys; restore the pepper ` +
        "file (a new one would invalidate every key)",
    );
  }
  if (ctx.platform.canWrite !== undefined && !(await ctx.platform.canWrite(path))) {
    throw new KeypebbleError(
      "config_invalid",
      `store.pepper_path: "${path}" is missing and its directory is not writable, so serve ` +
        'cannot create it (run "keypebble store init" where it can, or keep the pepper in a ' +
        "writable state directory)",
    );
  }
  ctx.report("pepper", `${path} (MISSING: serve creates it, as the store holds no key yet)`);
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
