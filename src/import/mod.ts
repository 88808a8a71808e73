/**
 * Importing another program's data (issue 22): `keypebble import keyguard` and `keypebble import
 * pico-auth`. The source is read read-only (src/store/sources/), everything is written in one
 * transaction on the configured store, and a summary says what was created, updated, left
 * unchanged, removed or refused, and why.
 *
 * @module
 */

import { readKeyguardSecret } from "../apikeys/keyguard_secret.ts";
import { loadOrCreatePepper, openConfiguredStore, requireStoreConfig } from "../apikeys/open.ts";
import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { readKeyguard } from "../store/sources/keyguard.ts";
import { openSourceDb } from "../store/sources/open.ts";
import { readPicoAuth } from "../store/sources/pico_auth.ts";
import { importKeyguard } from "./keyguard.ts";
import { importPicoAuth } from "./pico_auth.ts";
import type { ImportSummary } from "./report.ts";

export { type ImportSummary, type KindCounts, type Refusal, summaryText } from "./report.ts";
export { importKeyguard } from "./keyguard.ts";
export { importPicoAuth } from "./pico_auth.ts";

/** The programs data can be imported from. */
export type ImportPeer = "keyguard" | "pico-auth";

/** What to import. */
export interface ImportRequest {
  readonly peer: ImportPeer;
  readonly config: Config;
  /** `--from`: the source database. */
  readonly from: string;
  /** `--secret-key-file` (keyguard): keyguard's `secret_key`. */
  readonly secretKeyFile?: string;
  readonly dryRun: boolean;
}

/**
 * Run an import against the configured store.
 *
 * @throws {KeypebbleError} `store_error` when the source cannot be read or is not the peer's;
 *   `config_invalid` for a missing or mismatched keyguard secret
 */
export async function runImport(platform: Platform, req: ImportRequest): Promise<ImportSummary> {
  const sc = requireStoreConfig(req.config);
  const now = Math.floor(Date.now() / 1000);
  const notes: string[] = [];
  if (req.peer === "keyguard") {
    if (req.secretKeyFile === undefined) {
      throw new KeypebbleError("config_invalid", "--secret-key-file is required for keyguard");
    }
    const secret = await readKeyguardSecret(platform, req.secretKeyFile, "--secret-key-file");
    if (sc.keyguardSecretKeyPath === undefined) {
      notes.push(
        `add "keyguard_secret_key_path: ${req.secretKeyFile}" (or a copy of it, mode 0600) ` +
          `under store: in ${req.config.source}, then restart: keys are found by keyguard's ` +
          `hash until each is first presented`,
      );
    } else {
      const configured = await readKeyguardSecret(
        platform,
        sc.keyguardSecretKeyPath,
        "store.keyguard_secret_key_path",
      );
      if (!_same(configured, secret)) {
        throw new KeypebbleError(
          "config_invalid",
          `store.keyguard_secret_key_path ("${sc.keyguardSecretKeyPath}") holds another secret ` +
            `than --secret-key-file; imported keys would not be found`,
        );
      }
    }
  }
  const { db, source } = await openSourceDb(req.from, {
    ...(platform.openSqlite === undefined ? {} : { sqlite: platform.openSqlite }),
  });
  let summary: ImportSummary;
  try {
    const data = req.peer === "keyguard" ? await readKeyguard(db) : await readPicoAuth(db);
    const store = await openConfiguredStore(platform, req.config);
    try {
      if (!req.dryRun) await loadOrCreatePepper(platform, sc, store);
      summary = req.peer === "keyguard"
        ? await importKeyguard({
          store,
          data: data as Awaited<ReturnType<typeof readKeyguard>>,
          from: source,
          dryRun: req.dryRun,
          now,
          acceptedPrefixes: sc.acceptedPrefixes,
        })
        : await importPicoAuth({
          store,
          data: data as Awaited<ReturnType<typeof readPicoAuth>>,
          from: source,
          dryRun: req.dryRun,
          now,
        });
    } finally {
      await store.close();
    }
  } finally {
    await db.close();
  }
  if (req.peer === "pico-auth" && req.config.accounts === undefined) {
    notes.push(
      `${req.config.source} has no accounts: section; add one to serve the imported accounts`,
    );
  }
  summary.notes.push(...notes);
  return summary;
}

/** Constant-time comparison of two secrets. */
function _same(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
