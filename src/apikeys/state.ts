/**
 * The store's part of start-up, one function for `serve` and `check` (issue 20: `check` is
 * `serve` without the listen, so both run this and agree):
 *
 * 1. the SQLite files: a `-wal` or `-shm` this process cannot write, or a directory where SQLite
 *    cannot create them, stops the start with the file named (SQLite would fall back to
 *    read-only shared memory, and an `-shm` truncated under a running process kills it with
 *    SIGBUS and no log line); a read-only database file is a warning;
 * 2. the store is opened (`check`: read-only, nothing migrated; a SQLite file that does not
 *    exist yet is what serve would create);
 * 3. the pepper is read and verified against the store's fingerprint ({@link verifyPepper}):
 *    missing or different stops the start with a message saying which; a store without a
 *    fingerprint gets one (serve) with a log line;
 * 4. the store is asked whether it takes writes (serve: a write rolled back); a read-only store
 *    is a warning (key checks work, every write answers 503);
 * 5. permissions: the pepper, the database, its `-wal`/`-shm` and `accounts.admin_password_path`
 *    readable by other users are warnings, as for private keys.
 *
 * Warnings come back as {@link BuildNotice}s: serve logs them, check prints them.
 *
 * @module
 */

import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { BuildNotice } from "../platform/io.ts";
import type { Platform } from "../platform/platform.ts";
import { sqliteFiles } from "../platform/sqlite_files.ts";
import type { Store, StoreFault } from "../store/mod.ts";
import {
  loadOrCreatePepper,
  openConfiguredStore,
  readPepperIfPresent,
  requireStoreConfig,
} from "./open.ts";
import { type PepperVerdict, verifyPepper } from "./pepper.ts";

/** What {@link openStoreState} opened and found. */
export interface StoreState {
  /** The open store (undefined only for `check` of a SQLite file serve would create). */
  readonly store?: Store;
  /** The pepper (undefined only for `check` when serve would create it). */
  readonly pepper?: Uint8Array;
  /** Serve created the pepper file (a fresh store). */
  readonly pepperCreated: boolean;
  readonly pepperVerdict: PepperVerdict;
  /** Warnings and notes, for serve's log and check's report. */
  readonly notices: BuildNotice[];
}

/** Options of {@link openStoreState}. */
export interface StoreStateOptions {
  /**
   * `serve` (default): migrate, create the pepper of a fresh store, record a missing
   * fingerprint, probe a write. `check`: open read-only and write nothing.
   */
  readonly mode?: "serve" | "check";
  /** Workers of `serve --workers N`: the main thread migrated already. */
  readonly schema?: "migrate" | "check";
  /** Told the engine's reason of every `store_unavailable` failure later on (the log). */
  readonly onFault?: (fault: StoreFault) => void;
  /**
   * Look at the SQLite files (step 1; default true). False where this process may have the
   * database open already (the workers of `serve --workers N`: the main thread checked before
   * any connection was open): see src/platform/sqlite_files.ts.
   */
  readonly fileChecks?: boolean;
}

/**
 * Run the store's start-up checks and open it; see the module comment for the order. Closes
 * what it opened when a later step fails.
 *
 * @throws {KeypebbleError} with the file, setting or store named: an unusable `-wal`/`-shm`,
 *   a store that cannot be reached, a missing or different pepper
 */
export async function openStoreState(
  platform: Platform,
  config: Config,
  options: StoreStateOptions = {},
): Promise<StoreState> {
  const sc = requireStoreConfig(config);
  const check = options.mode === "check";
  const notices: BuildNotice[] = [];
  let sqliteMissing = false;
  if (
    options.fileChecks !== false && sc.url.startsWith("sqlite:") && !sc.url.endsWith(":memory:")
  ) {
    sqliteMissing = await _sqliteFileChecks(sc.url.slice("sqlite:".length), notices);
  }
  let store: Store | undefined;
  if (!(check && sqliteMissing)) {
    store = await openConfiguredStore(platform, config, {
      ...(check ? { readOnly: true, schema: "check" as const } : {}),
      ...(!check && options.schema !== undefined ? { schema: options.schema } : {}),
      ...(options.onFault === undefined ? {} : { onFault: options.onFault }),
    });
  }
  try {
    let pepper: Uint8Array | undefined;
    let created = false;
    let verdict: PepperVerdict;
    if (check) {
      pepper = await readPepperIfPresent(platform, sc);
      verdict = store === undefined
        ? (pepper === undefined ? "create" : "unrecorded")
        : await verifyPepper(store, pepper, { path: sc.pepperPath, record: false });
    } else {
      const p = await loadOrCreatePepper(platform, sc, store!);
      pepper = p.pepper;
      created = p.created;
      verdict = p.verdict;
    }
    if (verdict === "recorded" && !created) {
      notices.push({
        level: "info",
        event: "pepper_fingerprint_recorded",
        fields: {
          field: "store.pepper_path",
          path: sc.pepperPath,
          message: "The store had no pepper fingerprint; this pepper's is recorded now, and " +
            "a missing or different pepper will stop the start from now on",
        },
      });
    }
    if (store !== undefined) {
      const readOnly = await store.probeWrite();
      if (readOnly !== undefined && !notices.some((n) => n.event === "store_read_only")) {
        notices.push({
          level: "warn",
          event: "store_read_only",
          fields: {
            field: "store.url",
            message: `The store ${store.source} does not take writes (${readOnly}): key ` +
              "checks work, but logins, refreshes, new keys and usage counts will answer 503",
          },
        });
      }
    }
    await _modeNotices(platform, [
      ["store.pepper_path", sc.pepperPath, "pepper"],
      ...(config.accounts?.adminPasswordPath === undefined ? [] : [[
        "accounts.admin_password_path",
        config.accounts.adminPasswordPath,
        "admin password file",
      ] as [string, string, string]]),
    ], notices);
    return {
      ...(store === undefined ? {} : { store }),
      ...(pepper === undefined ? {} : { pepper }),
      pepperCreated: created,
      pepperVerdict: verdict,
      notices,
    };
  } catch (e) {
    await store?.close().catch(() => {});
    throw e;
  }
}

/** Warn about files other users can read (group or world bits, as for private keys). */
async function _modeNotices(
  platform: Platform,
  files: readonly (readonly [field: string, path: string, what: string])[],
  notices: BuildNotice[],
): Promise<void> {
  if (platform.fileMode === undefined) return;
  for (const [field, path, what] of files) {
    const mode = await platform.fileMode(path);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      notices.push(_modeNotice(field, path, mode, what));
    }
  }
}

function _modeNotice(field: string, path: string, mode: number, what: string): BuildNotice {
  return {
    level: "warn",
    event: "store_file_permissions",
    fields: {
      field,
      path,
      mode: `0${(mode & 0o777).toString(8)}`,
      message: `The ${what} "${path}" is readable by other users; chmod 600 it`,
    },
  };
}

/**
 * The SQLite files' checks (step 1 and the database's part of step 5). Resolves to true when
 * the database file does not exist yet.
 */
async function _sqliteFileChecks(path: string, notices: BuildNotice[]): Promise<boolean> {
  const f = await sqliteFiles(path);
  const refuse = (message: string): never => {
    throw new KeypebbleError("store_unavailable", `Store sqlite:${path}: ${message}`);
  };
  for (const side of [f.shm, f.wal]) {
    if (side.exists && !side.writable) {
      refuse(
        `"${side.path}" is not writable by this process, so SQLite could not share the ` +
          "store safely (writes would fail, and a shared-memory file changed under a running " +
          "process kills it): give it to the user Keypebble runs as (chown, chmod 600), or " +
          "remove it while no process has the store open",
      );
    }
  }
  if (f.db.exists && !f.db.writable) {
    notices.push({
      level: "warn",
      event: "store_read_only",
      fields: {
        field: "store.url",
        path,
        message: `The store file "${path}" is read-only for this process: key checks work, ` +
          "but logins, refreshes, new keys and usage counts will answer 503",
      },
    });
  }
  for (const file of [f.db, f.wal, f.shm]) {
    if (file.exists && file.mode !== undefined && (file.mode & 0o077) !== 0) {
      notices.push(_modeNotice("store.url", file.path, file.mode, "store file"));
    }
  }
  return !f.db.exists;
}
