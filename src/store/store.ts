/**
 * The store: one interface over SQLite (embedded, the default) and PostgreSQL (fleets). It is
 * assembled from per-feature query groups over one {@link SqlDb}, so a feature adds its own
 * group (a file here) and one line below, without touching the others.
 */

import { redactUrl } from "../config/store.ts";
import { KeypebbleError } from "../errors.ts";
import type { SqliteOpener } from "../platform/sqlite.ts";
import { type ApiKeyQueries, apiKeyQueries } from "./api_keys.ts";
import { type BlockQueries, blockQueries } from "./blocks.ts";
import { assertNotNewer, migrate, type SchemaStatus, schemaStatus } from "./migrate.ts";
import { type OrgQueries, orgQueries } from "./orgs.ts";
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  faultReason,
  type PgLike,
  postgresDb,
  type SqlDb,
  type SqlDbOptions,
  sqliteDb,
  type StoreFault,
} from "./sql.ts";
import { type UsageQueries, usageQueries } from "./usage.ts";
import { type UserQueries, userQueries } from "./users.ts";
import { type RefreshTokenQueries, refreshTokenQueries } from "./refresh_tokens.ts";
import { type RevocationQueries, revocationQueries } from "./revocations.ts";
import { type GroupQueries, groupQueries } from "./groups.ts";
import { exportRows, type ExportSink, type ExportSource, importRows } from "./transfer.ts";
import { type ImportQueries, importQueries } from "./imports.ts";
import { type OidcSessionQueries, oidcSessionQueries } from "./oidc_sessions.ts";
import { type AuthCodeQueries, authCodeQueries } from "./oidc_codes.ts";
import { type TotpQueries, totpQueries } from "./account_totp.ts";
import { type OidcClientQueries, oidcClientQueries } from "./oidc_clients.ts";

/** The one storage interface. No query exists outside `src/store/`. */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly kind: SqlDb["dialect"];
  /** The store's URL with any password removed, for messages. */
  readonly source: string;
  readonly orgs: OrgQueries;
  readonly apiKeys: ApiKeyQueries;
  readonly usage: UsageQueries;
  readonly blocks: BlockQueries;
  /** Accounts and runtime settings (issue 13). */
  readonly users: UserQueries;
  readonly refreshTokens: RefreshTokenQueries;
  readonly revocations: RevocationQueries;
  readonly groups: GroupQueries;
  /** What `keypebble import` brought from keyguard or pico-auth (issue 22). */
  readonly imports: ImportQueries;
  /** Sign-in with Keypebble (issue 24): browser sessions, codes, TOTP, stored OIDC clients. */
  readonly oidcSessions: OidcSessionQueries;
  readonly authCodes: AuthCodeQueries;
  readonly totp: TotpQueries;
  readonly oidcClients: OidcClientQueries;
  /** Apply pending migrations; resolves to the versions applied. */
  migrate(now: number): Promise<number[]>;
  status(): Promise<SchemaStatus>;
  /** Run several query groups in one transaction. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /**
   * Whether the store takes writes: tries one in a transaction that is rolled back (nothing
   * stays). Resolves to undefined when it does, else the engine's reason (a read-only file,
   * -wal or -shm, a read-only mount, a Postgres standby). A store opened read-only (`check`)
   * is asked without writing: only whether Postgres is a standby.
   */
  probeWrite(): Promise<string | undefined>;
  /** Export, import, restore and backup (issue 20); see `transfer.ts`. */
  readonly transfer: TransferQueries;
  close(): Promise<void>;
}

/** Moving a store's data: see `transfer.ts` for the format. */
export interface TransferQueries {
  /** Hand every data table's rows to `sink` as export lines, from one snapshot. */
  exportTo(sink: ExportSink, options?: { now?: Date }): Promise<Record<string, number>>;
  /**
   * Load an export's lines in one transaction: into an empty store (`import`) or replacing what
   * it holds (`restore`). `beforeCommit` runs in the transaction with the loaded rows visible.
   */
  importFrom(
    source: ExportSource,
    options: { mode: "import" | "restore"; beforeCommit?: (tx: Store) => Promise<void> },
  ): Promise<Record<string, number>>;
  /**
   * SQLite: write a consistent copy of the database to `path` while it is in use (the online
   * backup API on Deno, `VACUUM INTO` on Bun: writers are not held). `path` must not exist or
   * be empty.
   */
  backupTo(path: string): Promise<void>;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** The runtime's SQLite (from the platform adapter); required for `sqlite:` URLs. */
  readonly sqlite?: SqliteOpener;
  /** Seconds since the epoch, for migration bookkeeping. */
  readonly now: number;
  /**
   * `migrate` (default): apply pending migrations (creating the schema on first use).
   * `check`: refuse a store that is behind or ahead of this binary. `none`: open only.
   */
  readonly schema?: "migrate" | "check" | "none";
  /**
   * The longest a query waits for a lock another connection holds, in milliseconds
   * (`store.busy_timeout_ms`): SQLite retries on a timer (never blocking the event loop),
   * PostgreSQL sets `lock_timeout`. Then `store_unavailable` (503).
   */
  readonly busyTimeoutMs?: number;
  /** Open for reading only: nothing is migrated or written (`keypebble check`). */
  readonly readOnly?: boolean;
  /** Told the engine's reason each time a query fails with `store_unavailable`. */
  readonly onFault?: (fault: StoreFault) => void;
}

/**
 * A store URL without its password, for messages and logs: the user-info and every query
 * parameter naming a password (`?password=`, `&password=`, `?sslpassword=`, percent-encoded
 * names too) become `***` (one implementation with the config's `redactUrl`).
 */
export function redactStoreUrl(url: string): string {
  return redactUrl(url);
}

/**
 * Open the store at `url`: `sqlite:PATH` (an absolute path, or `:memory:`) or
 * `postgres://user:pass@host:port/db`.
 *
 * @example
 * ```ts
 * const store = await openStore("sqlite:/var/lib/keypebble/keypebble.db", { sqlite, now });
 * ```
 */
export async function openStore(url: string, options: OpenStoreOptions): Promise<Store> {
  const source = redactStoreUrl(url);
  const sqlOptions: SqlDbOptions = {
    busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.onFault === undefined ? {} : { onFault: options.onFault }),
  };
  let db: SqlDb;
  if (url.startsWith("sqlite:")) {
    if (options.sqlite === undefined) {
      throw new KeypebbleError("store_error", "SQLite is not available on this runtime");
    }
    const path = url.slice("sqlite:".length);
    try {
      db = sqliteDb(
        await options.sqlite(path, options.readOnly ? { readOnly: true } : {}),
        source,
        sqlOptions,
      );
    } catch (e) {
      throw _atStart(source, e);
    }
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    db = postgresDb(
      await postgresClient(url, {
        application_name: "keypebble",
        // A row lock held by another instance (a refresh being rotated) is waited for this
        // long, then the query fails as unavailable (55P03) instead of holding the request.
        lock_timeout: String(sqlOptions.busyTimeoutMs),
        ...(options.readOnly ? { default_transaction_read_only: "on" } : {}),
      }),
      source,
      sqlOptions,
    );
  } else {
    throw new KeypebbleError(
      "config_invalid",
      `Store URL ${source} must start with "sqlite:" or "postgres://"`,
    );
  }
  const store = _assemble(db, source, options.readOnly === true);
  try {
    // A read-only store is never migrated: it is checked.
    let mode = options.schema ?? "migrate";
    if (options.readOnly && mode === "migrate") mode = "check";
    if (mode === "migrate") await store.migrate(options.now);
    else if (mode === "check") {
      const s = await store.status();
      assertNotNewer(s, source);
      if (s.pending.length > 0) {
        throw new KeypebbleError(
          "store_error",
          `Store ${source} is at schema version ${s.current}; run "keypebble store migrate"`,
        );
      }
    }
  } catch (e) {
    await store.close().catch(() => {});
    throw _atStart(source, e);
  }
  return store;
}

/**
 * A failure while opening: the message names the store (redacted) and the engine's reason,
 * since it goes to the operator (the start-up log, the CLI), never to a client.
 */
function _atStart(source: string, e: unknown): KeypebbleError {
  if (e instanceof KeypebbleError && e.code !== "store_unavailable") return e;
  const reason = faultReason(e);
  if (e instanceof KeypebbleError && !/unable to open database file/.test(reason)) {
    return new KeypebbleError("store_unavailable", `Store ${source} is unavailable: ${reason}`, {
      cause: e,
    });
  }
  // SQLite needs to create the file, or its -wal and -shm beside it, in the directory.
  const hint = /unable to open database file|EACCES|EROFS|permission denied/i.test(reason) &&
      source.startsWith("sqlite:")
    ? " (the directory must be writable for the user Keypebble runs as: systemd " +
      "StateDirectory=keypebble, a writable volume in a container)"
    : "";
  return new KeypebbleError("store_error", `Cannot open store ${source}: ${reason}${hint}`, {
    cause: e,
  });
}

/**
 * A `postgres` client for `url` with every tunable given. `connection` sets run-time parameters
 * for each session (e.g. `default_transaction_read_only` for a database only read).
 */
export async function postgresClient(
  url: string,
  connection: Readonly<Record<string, string>> = {},
): Promise<PgLike> {
  // Every tunable is given here (the client would otherwise read a PG* environment variable
  // for each, and least-privilege runs allow only the connection ones: PGHOST, PGPORT, PGUSER,
  // PGPASSWORD, PGDATABASE, …). `?sslmode=` in the URL still chooses TLS.
  const sslmode = new URL(url).searchParams.get("sslmode");
  // Loaded here, not at the top: evaluating the client costs start-up time on every box,
  // and only a Postgres store needs it.
  const { default: postgres } = await import("postgres");
  return postgres(url, {
    max: 8,
    ssl: sslmode === null || sslmode === "disable" ? false : sslmode as "require",
    sslnegotiation: null,
    connect_timeout: 5,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    max_pipeline: 100,
    backoff: (attempt: number) => Math.min(0.1 * 2 ** attempt, 2),
    keep_alive: 60,
    prepare: true,
    debug: false,
    fetch_types: false,
    publications: "alltables",
    target_session_attrs: null,
    onnotice: () => {},
    ...(Object.keys(connection).length === 0 ? {} : { connection }),
  } as Record<string, unknown>) as unknown as PgLike;
}

function _assemble(db: SqlDb, source: string, readOnly: boolean): Store {
  return {
    kind: db.dialect,
    source,
    orgs: orgQueries(db),
    apiKeys: apiKeyQueries(db),
    usage: usageQueries(db),
    blocks: blockQueries(db),
    users: userQueries(db),
    refreshTokens: refreshTokenQueries(db),
    revocations: revocationQueries(db),
    groups: groupQueries(db),
    imports: importQueries(db),
    oidcSessions: oidcSessionQueries(db),
    authCodes: authCodeQueries(db),
    totp: totpQueries(db),
    oidcClients: oidcClientQueries(db),
    migrate: (now) => migrate(db, { source, now }),
    status: async () => {
      const s = await schemaStatus(db);
      assertNotNewer(s, source);
      return s;
    },
    transaction: (fn) => db.transaction((tx) => fn(_assemble(tx, source, readOnly))),
    probeWrite: () => _probeWrite(db, readOnly),
    transfer: {
      exportTo: (sink, o) => exportRows(db, sink, o),
      importFrom: (src, o) =>
        importRows(db, src, {
          mode: o.mode,
          ...(o.beforeCommit === undefined
            ? {}
            : { beforeCommit: (tx) => o.beforeCommit!(_assemble(tx, source, readOnly)) }),
        }),
      async backupTo(path: string): Promise<void> {
        if (db.backup === undefined) {
          throw new KeypebbleError("store_error", "A file copy is for SQLite stores only");
        }
        await db.backup(path);
      },
    },
    close: () => db.close(),
  };
}

async function _probeWrite(db: SqlDb, readOnly: boolean): Promise<string | undefined> {
  if (readOnly) {
    if (db.dialect !== "postgres") return undefined;
    const rows = await db.all<{ r: unknown }>("SELECT pg_is_in_recovery() AS r");
    return rows[0]?.r === true ? "the server is a standby (in recovery)" : undefined;
  }
  const rollBack = new Error("probe done");
  try {
    await db.transaction(async (tx) => {
      const name = `_write_probe_${crypto.randomUUID()}`;
      await tx.run("INSERT INTO settings (name, value) VALUES (?, ?)", [name, ""]);
      throw rollBack;
    });
  } catch (e) {
    if (e === rollBack) return undefined;
    return faultReason(e);
  }
  return undefined;
}
