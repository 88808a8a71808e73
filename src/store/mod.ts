/**
 * The state layer: the only folder with queries. One {@link Store} interface over two engines,
 * SQLite (embedded, the default: the runtime's own SQLite, WAL mode, a 0600 file created on first
 * use) and PostgreSQL (npm `postgres`, for a fleet of instances), with one schema and versioned
 * migrations recorded in `schema_migrations`.
 *
 * ## Adding to the schema (for the next features)
 *
 * 1. Write a migration list in a new file, e.g. `migrations_accounts.ts`:
 *    `export const ACCOUNT_MIGRATIONS: Migration[] = [{ version: 10, name: "accounts", up: [...] }]`,
 *    using the version block reserved for the feature (1–9 API keys, organisations, usage and
 *    blocks; 10–19 accounts, refresh-token families, revoked jtis and groups; then the next free
 *    block of ten). Write SQL both engines accept (TEXT, BIGINT, `ON CONFLICT`), or give
 *    `{ sqlite: [...], postgres: [...] }`. Never edit a released migration.
 * 2. Add `...ACCOUNT_MIGRATIONS` to `MIGRATIONS` in `migrations.ts` (one line). Duplicate
 *    versions fail at load; `store_test.ts` checks every migration on both engines.
 * 3. Name every table the migration creates in its `tables` list, parents before children
 *    (`tables: ["audit_events"]`): `store export`, `import`, `backup` (Postgres) and `restore`
 *    then move it, with all its columns, without any other change. `store_test.ts` fails for a
 *    table no migration lists, and `store export` refuses a store that has one.
 * 4. Write the queries as a group in a new file (`accounts.ts`: `accountQueries(db: SqlDb)`),
 *    with `?` placeholders and row mapping there, and add one field to {@link Store} and one line
 *    in `_assemble` in `store.ts`.
 *
 * A binary that finds a schema newer than the versions it knows refuses the store with a clear
 * error; `keypebble store migrate` applies what is pending; `serve` migrates on start (on
 * Postgres under an advisory lock, so replicas starting together apply each step once).
 *
 * @module
 */

export { DATA_TABLES, type Migration, MIGRATIONS } from "./migrations.ts";
export {
  EXPORT_FORMAT,
  type ExportHeader,
  type ExportLine,
  type ExportSink,
  type ExportSource,
} from "./transfer.ts";
export { LATEST_VERSION, type SchemaStatus } from "./migrate.ts";
export {
  openStore,
  type OpenStoreOptions,
  redactStoreUrl,
  type Store,
  type TransferQueries,
} from "./store.ts";
export type { Dialect, SqlDb, SqlValue, StoreFault } from "./sql.ts";
export type { ApiKeyQueries } from "./api_keys.ts";
export type { BlockQueries } from "./blocks.ts";
export type { OrgQueries } from "./orgs.ts";
export type { UsageQueries } from "./usage.ts";
export type { UserQueries } from "./users.ts";
export type { RefreshTokenQueries } from "./refresh_tokens.ts";
export type { RevocationEvent, RevocationListener, RevocationQueries } from "./revocations.ts";
export type { GroupQueries } from "./groups.ts";
export type { HashCandidate } from "./api_keys.ts";
export type { ImportQueries, ImportRecord, ImportSource } from "./imports.ts";
export type { OidcSessionQueries } from "./oidc_sessions.ts";
export type { AuthCodeQueries, CodeConsumption } from "./oidc_codes.ts";
export type { TotpQueries } from "./account_totp.ts";
export type { OidcClientPatch, OidcClientQueries } from "./oidc_clients.ts";
export type * from "./types.ts";
export type * from "./oidc_types.ts";
