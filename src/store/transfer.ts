/**
 * Moving a store's data between stores and engines (issue 20): `store export` and `store import`
 * (a site moving from SQLite to PostgreSQL), `store backup` on PostgreSQL and `store restore`.
 *
 * The format is engine-neutral JSON lines, one object per line:
 *
 * ```text
 * {"keypebble_export":1,"schema_version":30,"engine":"sqlite","exported_at":"…","tables":["orgs",…]}
 * {"table":"orgs","row":{"id":"…","name":"acme","status":"active","created_at":1760000000}}
 * …
 * {"end":{"orgs":1,"api_keys":3,…}}
 * ```
 *
 * The header names the format version (1), the schema version of the store it came from and the
 * tables; each row carries its column names, with integers as JSON numbers and text as strings;
 * the last line gives the row count of every table, so a truncated file is refused rather than
 * half loaded. API keys travel as their peppered hashes, accounts as their password hashes,
 * refresh tokens as their hashes: an export is as sensitive as the database (keep it 0600), and
 * useless without the pepper, which it does not contain.
 *
 * Which tables: {@link DATA_TABLES}, declared by the migrations that create them
 * (`Migration.tables`), so a table added by a later feature is exported and imported without
 * any change here. Columns are read from the database itself, so columns added by `ALTER TABLE`
 * come along too.
 *
 * Rows are read in one snapshot (a read-only transaction), in pages ordered by SQLite's `rowid`
 * or PostgreSQL's `ctid`; they are written in one transaction, in batches, all or nothing.
 */

import { KeypebbleError } from "../errors.ts";
import { DATA_TABLES, LATEST_VERSION } from "./migrations.ts";
import { schemaStatus, storeTables } from "./migrate.ts";
import type { SqlDb, SqlValue } from "./sql.ts";

/** The version of the export format this binary writes and reads. */
export const EXPORT_FORMAT = 1;

/** The first line of an export. */
export interface ExportHeader {
  readonly keypebble_export: number;
  readonly schema_version: number;
  readonly engine: string;
  readonly exported_at: string;
  readonly tables: readonly string[];
}

/** One line of an export. */
export type ExportLine =
  | ExportHeader
  | { readonly table: string; readonly row: Readonly<Record<string, SqlValue>> }
  | { readonly end: Readonly<Record<string, number>> };

/** Receives the lines of an export, in order. */
export type ExportSink = (line: ExportLine) => Promise<void> | void;

/** Feeds the lines of an export into a sink (a file being read, or another store's export). */
export type ExportSource = (sink: ExportSink) => Promise<void>;

/** Options of {@link importRows}. */
export interface ImportOptions {
  /**
   * `import`: the store must be empty (a pepper fingerprint alone is allowed). `restore`: what
   * the store holds is replaced.
   */
  readonly mode: "import" | "restore";
  /** Run inside the transaction, after the rows and before the commit (the pepper check). */
  readonly beforeCommit?: (tx: SqlDb) => Promise<void>;
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const PAGE = 1000;
const BATCH = 200;

interface Column {
  readonly name: string;
  readonly integer: boolean;
}

function _q(name: string): string {
  if (!NAME.test(name)) throw new KeypebbleError("store_error", `Bad table or column "${name}"`);
  return `"${name}"`;
}

async function _columns(db: SqlDb, table: string): Promise<Column[]> {
  const rows = db.dialect === "sqlite"
    ? await db.all<{ name: string; type: string }>(`PRAGMA table_info(${_q(table)})`)
    : await db.all<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
      [table],
    );
  return rows.map((r) => ({ name: String(r.name), integer: /int/i.test(String(r.type)) }));
}

/**
 * Tables of the store that no migration declares (`Migration.tables`): an export would leave
 * them behind, so it refuses the store instead.
 */
export async function undeclaredTables(db: SqlDb): Promise<string[]> {
  return (await storeTables(db)).filter((t) =>
    t !== "schema_migrations" && !DATA_TABLES.includes(t)
  );
}

/**
 * Read every data table in one snapshot and hand the lines to `sink`: the header, each row, the
 * counts. Resolves to the counts.
 */
export async function exportRows(
  db: SqlDb,
  sink: ExportSink,
  options: { now?: Date } = {},
): Promise<Record<string, number>> {
  return await db.transaction(async (tx) => {
    const stray = await undeclaredTables(tx);
    if (stray.length > 0) {
      throw new KeypebbleError(
        "store_error",
        `The store has table(s) ${stray.map((t) => `"${t}"`).join(", ")} that no migration ` +
          "of this Keypebble declares; an export would leave them behind (upgrade Keypebble)",
      );
    }
    const status = await schemaStatus(tx);
    const present = new Set(await storeTables(tx));
    const tables = DATA_TABLES.filter((t) => present.has(t));
    await sink({
      keypebble_export: EXPORT_FORMAT,
      schema_version: status.current,
      engine: tx.dialect,
      exported_at: (options.now ?? new Date()).toISOString(),
      tables,
    });
    const counts: Record<string, number> = {};
    for (const table of tables) {
      counts[table] = 0;
      const columns = await _columns(tx, table);
      const list = columns.map((c) => _q(c.name)).join(", ");
      const sql = tx.dialect === "sqlite"
        ? `SELECT rowid AS _k, ${list} FROM ${
          _q(table)
        } WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE}`
        : `SELECT ctid::text AS _k, ${list} FROM ${_q(table)} WHERE ctid > ?::tid ` +
          `ORDER BY ctid LIMIT ${PAGE}`;
      let after: SqlValue = tx.dialect === "sqlite" ? 0 : "(0,0)";
      for (;;) {
        const rows = await tx.all(sql, [after]);
        for (const r of rows) {
          const row: Record<string, SqlValue> = {};
          for (const c of columns) {
            const v = r[c.name];
            row[c.name] = v === null || v === undefined ? null : c.integer ? Number(v) : String(v);
          }
          await sink({ table, row });
          counts[table]++;
        }
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1]._k as SqlValue;
      }
    }
    await sink({ end: counts });
    return counts;
  }, { readOnly: true });
}

/**
 * Load an export into the store in one transaction (all or nothing): checks the header (format
 * 1, a schema no newer than this binary's, known tables), that every row's columns exist here,
 * and that the end line's counts match what was read. Resolves to the counts loaded.
 *
 * @throws {KeypebbleError} `invalid_request` for a file that is not a Keypebble export, is from a
 *   newer Keypebble, or is truncated; `conflict` when importing into a store that holds data
 */
export async function importRows(
  db: SqlDb,
  source: ExportSource,
  options: ImportOptions,
): Promise<Record<string, number>> {
  return await db.transaction(async (tx) => {
    const present = new Set(await storeTables(tx));
    const tables = DATA_TABLES.filter((t) => present.has(t));
    if (options.mode === "import") {
      for (const t of tables) {
        const rows = await tx.all<{ n: unknown }>(
          t === "settings"
            ? "SELECT COUNT(*) AS n FROM settings WHERE name <> 'pepper_fingerprint'"
            : `SELECT COUNT(*) AS n FROM ${_q(t)}`,
        );
        if (Number(rows[0].n) > 0) {
          throw new KeypebbleError(
            "conflict",
            `The store already holds data (table "${t}"); import into an empty store, or use ` +
              '"keypebble store restore" to replace what it holds',
          );
        }
      }
    }
    // Children first, so no foreign key is left pointing nowhere.
    for (const t of [...tables].reverse()) await tx.run(`DELETE FROM ${_q(t)}`);

    const columns = new Map<string, Set<string>>();
    for (const t of tables) columns.set(t, new Set((await _columns(tx, t)).map((c) => c.name)));
    let header: ExportHeader | undefined;
    let end: Readonly<Record<string, number>> | undefined;
    const counts: Record<string, number> = {};
    let batch: { table: string; names: string[]; values: SqlValue[][] } | undefined;
    const flush = async () => {
      if (batch === undefined || batch.values.length === 0) return;
      const one = `(${batch.names.map(() => "?").join(", ")})`;
      await tx.run(
        `INSERT INTO ${_q(batch.table)} (${batch.names.map(_q).join(", ")}) VALUES ${
          batch.values.map(() => one).join(", ")
        }`,
        batch.values.flat(),
      );
      batch = undefined;
    };
    const bad = (message: string): never => {
      throw new KeypebbleError("invalid_request", message);
    };
    await source(async (line) => {
      if (end !== undefined) bad("The export has lines after its end line");
      if (header === undefined) {
        const h = line as Partial<ExportHeader>;
        if (typeof h.keypebble_export !== "number") bad("This is not a Keypebble store export");
        if (h.keypebble_export !== EXPORT_FORMAT) {
          bad(`The export is in format ${h.keypebble_export}; this Keypebble reads format 1`);
        }
        if (typeof h.schema_version !== "number" || h.schema_version > LATEST_VERSION) {
          bad(
            `The export comes from schema version ${h.schema_version}, newer than this ` +
              `Keypebble knows (${LATEST_VERSION}); import it with a newer Keypebble`,
          );
        }
        if (!Array.isArray(h.tables)) bad("The export's header lists no tables");
        for (const t of h.tables!) {
          if (!columns.has(t)) bad(`The export holds table "${t}", unknown to this Keypebble`);
          counts[t] = 0;
        }
        header = h as ExportHeader;
        return;
      }
      if ("end" in line) {
        await flush();
        end = line.end;
        return;
      }
      if (!("table" in line) || typeof line.row !== "object" || line.row === null) {
        bad("The export has a line that is neither a row nor its end");
      }
      const { table, row } = line as { table: string; row: Record<string, SqlValue> };
      if (!header!.tables.includes(table)) bad(`A row names table "${table}", not in the header`);
      const names = Object.keys(row);
      const known = columns.get(table)!;
      for (const n of names) {
        if (!known.has(n)) bad(`Table "${table}" has no column "${n}" in this store`);
      }
      const values = names.map((n) => {
        const v = row[n];
        if (v !== null && typeof v !== "string" && typeof v !== "number") {
          bad(`Table "${table}", column "${n}": a value must be a string, a number or null`);
        }
        return v;
      });
      if (
        batch !== undefined &&
        (batch.table !== table || batch.names.join() !== names.join() ||
          batch.values.length >= BATCH)
      ) await flush();
      batch ??= { table, names, values: [] };
      batch.values.push(values);
      counts[table]++;
    });
    if (header === undefined) bad("The export is empty");
    if (end === undefined) bad("The export has no end line: it is truncated");
    for (const t of header!.tables) {
      if ((end![t] ?? 0) !== counts[t]) {
        bad(`Table "${t}": the export's end line counts ${end![t]} rows, ${counts[t]} were read`);
      }
    }
    await options.beforeCommit?.(tx);
    return counts;
  });
}
