/**
 * `keypebble store backup|restore|export|import` (issue 20): a backup taken while serving, a
 * restore, and an engine-neutral export a site moves from SQLite to PostgreSQL with.
 *
 * - `backup --out FILE`: SQLite: a consistent copy of the database file (SQLite's online backup
 *   on Deno, `VACUUM INTO` on Bun: the server keeps serving and writing), read back to check it. PostgreSQL: the
 *   engine-neutral export (one `REPEATABLE READ` snapshot), which `restore` takes back; for
 *   point-in-time recovery of a PostgreSQL fleet use the database's own tools (pg_dump,
 *   pg_basebackup, WAL archiving).
 * - `restore --from FILE`: replaces what the store holds with a backup (a SQLite file or an
 *   export), in one transaction; a SQLite store is first copied beside itself
 *   (`…db.pre-restore-<time>`).
 * - `export --out FILE` / `import --from FILE`: JSON lines (src/store/transfer.ts); import
 *   refuses a store that holds data.
 *
 * Neither file holds the pepper: back it up with the database. Restore and import check the
 * configured pepper against the fingerprint the data carries and refuse a different or missing
 * one (nothing is changed), since every key would fail with it.
 */

import { readPepperIfPresent, requireStoreConfig } from "../apikeys/open.ts";
import { verifyPepper } from "../apikeys/pepper.ts";
import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import {
  createPrivateEmpty,
  fileHead,
  fileSize,
  readLines,
  removeFile,
  writePrivateLines,
} from "../platform/line_files.ts";
import type { Platform } from "../platform/platform.ts";
import {
  type ExportLine,
  type ExportSource,
  openStore,
  type Store,
  type StoreFault,
} from "../store/mod.ts";

/** Options every transfer command gets. */
interface TransferContext {
  readonly platform: Platform;
  readonly config: Config;
  readonly store: Store;
  readonly json: boolean;
}

const SQLITE_MAGIC = "SQLite format 3\u0000";

/** `store backup --out FILE`. */
export async function storeBackup(c: TransferContext, out: string): Promise<number> {
  const sc = requireStoreConfig(c.config);
  let kind: "sqlite-file" | "export";
  let rows: Record<string, number>;
  if (c.store.kind === "sqlite") {
    kind = "sqlite-file";
    await createPrivateEmpty(out);
    try {
      await c.store.transfer.backupTo(out);
      // Read it back: a backup that does not open is no backup.
      rows = await _countRows(c.platform, out);
    } catch (e) {
      await removeFile(out);
      throw e;
    }
  } else {
    kind = "export";
    rows = await _exportTo(c.store, out);
  }
  const bytes = await fileSize(out);
  const result = { store: c.store.source, out, format: kind, bytes, rows };
  c.platform.stdout(
    c.json
      ? JSON.stringify(result) + "\n"
      : `backup of ${c.store.source} written to ${out} (${
        kind === "sqlite-file"
          ? "a SQLite database file, checked by reading it back"
          : "Keypebble's export: one consistent snapshot; for point-in-time recovery use " +
            "PostgreSQL's own tools (pg_dump, pg_basebackup, WAL archiving)"
      }), ${bytes} bytes, ${_total(rows)} rows\n` +
        `Back up the pepper (${sc.pepperPath}) with it: keys cannot be checked without it\n`,
  );
  return 0;
}

/** `store export --out FILE`. */
export async function storeExport(c: TransferContext, out: string): Promise<number> {
  const rows = await _exportTo(c.store, out);
  const bytes = await fileSize(out);
  c.platform.stdout(
    c.json
      ? JSON.stringify({ store: c.store.source, out, bytes, rows }) + "\n"
      : `exported ${_total(rows)} rows of ${c.store.source} to ${out} (${bytes} bytes)\n` +
        "The file holds key and password hashes: keep it private. It does not hold the pepper: " +
        `copy ${requireStoreConfig(c.config).pepperPath} to the new site too\n`,
  );
  return 0;
}

/** `store import --from FILE` (into an empty store) and `store restore --from FILE`. */
export async function storeLoad(
  c: TransferContext,
  from: string,
  mode: "import" | "restore",
): Promise<number> {
  const sc = requireStoreConfig(c.config);
  const pepper = await readPepperIfPresent(c.platform, sc);
  const { source, close } = await _sourceOf(c.platform, from);
  let safety: string | undefined;
  try {
    if (mode === "restore" && c.store.kind === "sqlite" && !sc.url.endsWith(":memory:")) {
      safety = `${sc.url.slice("sqlite:".length)}.pre-restore-${
        new Date().toISOString().replace(/[-:]|\.\d+/g, "")
      }`;
      await createPrivateEmpty(safety);
      await c.store.transfer.backupTo(safety);
    }
    const rows = await c.store.transfer.importFrom(source, {
      mode,
      // The data's fingerprint must be this pepper's (or one is recorded): otherwise every
      // key would fail, so nothing is changed.
      beforeCommit: async (tx) => {
        await verifyPepper(tx, pepper, { path: sc.pepperPath, record: pepper !== undefined });
      },
    });
    const result = {
      store: c.store.source,
      from,
      rows,
      ...(safety === undefined ? {} : { previous_copy: safety }),
    };
    c.platform.stdout(
      c.json
        ? JSON.stringify(result) + "\n"
        : `${mode === "import" ? "imported" : "restored"} ${
          _total(rows)
        } rows from ${from} into ${c.store.source}` +
          (safety === undefined ? "" : `; what it held before is in ${safety}`) +
          "\nA running server sees the new rows at once (cached key checks within " +
          `store.cache_seconds, ${sc.cacheSeconds} s)\n`,
    );
    return 0;
  } catch (e) {
    if (safety !== undefined) await removeFile(safety);
    throw e;
  } finally {
    await close();
  }
}

function _total(rows: Record<string, number>): number {
  return Object.values(rows).reduce((a, b) => a + b, 0);
}

async function _exportTo(store: Store, out: string): Promise<Record<string, number>> {
  let rows: Record<string, number> = {};
  await writePrivateLines(out, async (line) => {
    rows = await store.transfer.exportTo((l) => line(JSON.stringify(l)));
  });
  return rows;
}

/** Open a SQLite backup read-only and count its rows (reading every one). */
async function _countRows(platform: Platform, path: string): Promise<Record<string, number>> {
  const backup = await _openSqliteFile(platform, path);
  try {
    return await backup.transfer.exportTo(() => {});
  } finally {
    await backup.close();
  }
}

async function _openSqliteFile(platform: Platform, path: string): Promise<Store> {
  if (platform.openSqlite === undefined) {
    throw new KeypebbleError("store_error", "SQLite is not available on this runtime");
  }
  return await openStore(`sqlite:${path}`, {
    sqlite: platform.openSqlite,
    now: Math.floor(Date.now() / 1000),
    readOnly: true,
    schema: "none",
  });
}

/** The rows of FILE: a SQLite database (a `store backup` of SQLite) or an export. */
async function _sourceOf(
  platform: Platform,
  from: string,
): Promise<{ source: ExportSource; close(): Promise<void> }> {
  const head = new TextDecoder().decode(await fileHead(from, 16));
  if (head === SQLITE_MAGIC) {
    const db = await _openSqliteFile(platform, from);
    return {
      source: async (sink) => {
        await db.transfer.exportTo(sink);
      },
      close: () => db.close(),
    };
  }
  return {
    source: async (sink) => {
      let n = 0;
      for await (const text of readLines(from)) {
        n++;
        if (text.trim() === "") continue;
        let line: ExportLine;
        try {
          line = JSON.parse(text);
        } catch {
          throw new KeypebbleError(
            "invalid_request",
            `"${from}" line ${n} is not JSON: this is neither a Keypebble export nor a SQLite backup`,
          );
        }
        if (typeof line !== "object" || line === null || Array.isArray(line)) {
          throw new KeypebbleError("invalid_request", `"${from}" line ${n} is not an object`);
        }
        await sink(line);
      }
    },
    close: () => Promise.resolve(),
  };
}

/** A store-fault reporter for the CLI: the engine's reason on stderr, once per reason. */
export function cliFaults(platform: Platform): (fault: StoreFault) => void {
  const seen = new Set<string>();
  return (f) => {
    if (seen.has(f.reason)) return;
    seen.add(f.reason);
    platform.stderr(`store ${f.source}: ${f.reason}\n`);
  };
}
