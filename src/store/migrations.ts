/**
 * The schema, as an ordered list of versioned migrations applied by {@link migrate}. One list of
 * statements serves both engines: the SQL here is the common subset of SQLite and PostgreSQL
 * (TEXT, BIGINT, `ON CONFLICT … DO UPDATE`); where a statement must differ, a migration gives
 * `sqlite` and `postgres` variants.
 *
 * Version ranges keep parallel work from colliding: 1–9 API keys, organisations, usage and
 * blocks (issue 12); 10–19 accounts, refresh families, revoked jtis and groups (issue 13); 20–29
 * the trust model (issue 19); 30–39 store operations (issue 20); 40–49 imports (issue 22); 50–59
 * OpenID Connect sign-in (issue 24); later
 * features take the next free block of ten. A released migration is never edited: change the
 * schema with a new one.
 */

import type { Dialect } from "./sql.ts";
import { ACCOUNT_MIGRATIONS } from "./migrations_accounts.ts";
import { RELIABILITY_MIGRATIONS } from "./migrations_reliability.ts";
import { TRUST_MIGRATIONS } from "./migrations_trust.ts";
import { IMPORT_MIGRATIONS } from "./migrations_imports.ts";
import { OIDC_MIGRATIONS } from "./migrations_oidc.ts";

/** One schema step. */
export interface Migration {
  readonly version: number;
  /** Short snake_case description, stored in `schema_migrations`. */
  readonly name: string;
  /** Statements for both engines, or one list per engine. */
  readonly up: readonly string[] | Readonly<Record<Dialect, readonly string[]>>;
  /**
   * The tables this migration creates, parents before children (a table a foreign key points
   * to comes first). `store export`, `store import`, `store backup` (on Postgres) and
   * `store restore` move exactly these tables, in migration order, with every column they have
   * (columns added later by `ALTER TABLE` come along by themselves). A migration that creates
   * a table must list it: `store_test.ts` fails otherwise, and `store export` refuses a store
   * with a table nobody declared rather than leave it behind.
   */
  readonly tables?: readonly string[];
}

/** Issue 12: organisations, API keys, per-minute usage counters, blocks. */
export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "orgs_api_keys_usage_blocks",
    tables: ["orgs", "api_keys", "usage_minutes", "blocks"],
    up: [
      `CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        label TEXT NOT NULL,
        prefix TEXT NOT NULL,
        display_prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        claims TEXT NOT NULL,
        audiences TEXT NOT NULL,
        rate_limit_per_minute BIGINT,
        monthly_quota BIGINT,
        expires_at BIGINT,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        status TEXT NOT NULL,
        revoked_at BIGINT,
        replaced_by TEXT
      )`,
      `CREATE INDEX api_keys_org ON api_keys (org_id)`,
      `CREATE TABLE usage_minutes (
        key_id TEXT NOT NULL,
        minute BIGINT NOT NULL,
        requests BIGINT NOT NULL,
        errors BIGINT NOT NULL,
        PRIMARY KEY (key_id, minute)
      )`,
      `CREATE INDEX usage_minutes_minute ON usage_minutes (minute)`,
      `CREATE TABLE blocks (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        until BIGINT NOT NULL,
        reason TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (kind, value)
      )`,
    ],
  },
];

/**
 * Every migration Keypebble knows, in version order. A feature adds its list here (one line).
 */
export const MIGRATIONS: readonly Migration[] = _ordered([
  ...CORE_MIGRATIONS,
  ...ACCOUNT_MIGRATIONS,
  ...TRUST_MIGRATIONS,
  ...RELIABILITY_MIGRATIONS,
  ...IMPORT_MIGRATIONS,
  ...OIDC_MIGRATIONS,
]);

/**
 * Every table a store's data lives in, in the order they are copied (parents first): the
 * `tables` of every migration, in version order. `schema_migrations` is not among them: each
 * store keeps its own.
 */
export const DATA_TABLES: readonly string[] = MIGRATIONS.flatMap((m) => m.tables ?? []);

/** The newest schema version this binary knows. */
export const LATEST_VERSION: number = MIGRATIONS.length === 0
  ? 0
  : MIGRATIONS[MIGRATIONS.length - 1].version;

/** The statements of a migration for one engine. */
export function statementsFor(m: Migration, dialect: Dialect): readonly string[] {
  return Array.isArray(m.up) ? m.up : (m.up as Record<Dialect, readonly string[]>)[dialect];
}

function _ordered(list: Migration[]): Migration[] {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].version === sorted[i - 1].version) {
      throw new Error(`Two migrations share version ${sorted[i].version}`);
    }
  }
  return sorted;
}
