/**
 * Queries for `keypebble import`: the bookkeeping of what was imported from another program
 * (`import_records`), and the upserts that bring a source's rows in under the peer's own ids so
 * that a second import updates the same rows instead of adding new ones.
 */

import { KEY_COLUMNS, KEY_PLACEHOLDERS, keyRow } from "./api_keys.ts";
import type { SqlDb } from "./sql.ts";
import type {
  ApiKeyRecord,
  GroupRecord,
  KeyHashScheme,
  Org,
  RefreshTokenRecord,
  UserRecord,
} from "./types.ts";

/** The peers data is imported from. */
export type ImportSource = "keyguard" | "pico-auth";

/** One imported source record. */
export interface ImportRecord {
  readonly source: ImportSource;
  /** `org`, `key`, `usage`, `user`, `group`, `member`, `service_token`, `refresh_token`. */
  readonly kind: string;
  /** The peer's id of the record. */
  readonly sourceId: string;
  /** Our id of the row it became. */
  readonly localId: string;
  /** Digest of the imported fields (or, for usage, the counts imported). */
  readonly digest: string;
  /** Digest of the secret imported (a key or password hash), to tell whether it changed since. */
  readonly secretDigest: string | null;
  readonly importedAt: number;
}

/** Import queries. */
export interface ImportQueries {
  /** Every record of a kind imported from a source. */
  records(source: ImportSource, kind: string): Promise<ImportRecord[]>;
  /** Insert or replace one record. */
  putRecord(r: ImportRecord): Promise<void>;
  /** Forget one record (its row is gone or no longer the peer's). */
  dropRecord(source: ImportSource, kind: string, sourceId: string): Promise<void>;
  /** Insert an organisation, or update the name and status of the one with its id. */
  upsertOrg(org: Org): Promise<void>;
  /**
   * Insert a key, or update the one with its id. With `keepSecret` the row's hash, scheme and
   * prefixes stay as they are (a key that has moved to our scheme keeps it). A revoked row stays
   * revoked. `lastUsedAt` only moves forward.
   */
  upsertKey(key: ApiKeyRecord, options: { keepSecret: boolean }): Promise<void>;
  /** Insert an account, or update the one with its id; `keepPassword` keeps its hash. */
  upsertUser(user: UserRecord, options: { keepPassword: boolean }): Promise<void>;
  /** Insert a group, or update the one with its id. */
  upsertGroup(group: GroupRecord): Promise<void>;
  /** Insert a refresh token unless its hash is stored already; true when inserted. */
  insertRefreshToken(t: RefreshTokenRecord): Promise<boolean>;
  /** Revoke one unrevoked refresh token by hash; true when it was. */
  revokeRefreshToken(hash: string, at: number): Promise<boolean>;
  /** The hash scheme of a key, or undefined when no such key. */
  keyScheme(id: string): Promise<KeyHashScheme | undefined>;
}

function _record(r: Record<string, unknown>): ImportRecord {
  return {
    source: r.source === "pico-auth" ? "pico-auth" : "keyguard",
    kind: String(r.kind),
    sourceId: String(r.source_id),
    localId: String(r.local_id),
    digest: String(r.digest),
    secretDigest: r.secret_digest === null || r.secret_digest === undefined
      ? null
      : String(r.secret_digest),
    importedAt: Number(r.imported_at),
  };
}

/** Import queries over a database. */
export function importQueries(db: SqlDb): ImportQueries {
  return {
    async records(source, kind): Promise<ImportRecord[]> {
      return (await db.all(
        "SELECT * FROM import_records WHERE source = ? AND kind = ? ORDER BY source_id",
        [source, kind],
      )).map(_record);
    },
    async putRecord(r): Promise<void> {
      await db.run(
        `INSERT INTO import_records (source, kind, source_id, local_id, digest, secret_digest,
          imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, kind, source_id) DO UPDATE SET local_id = excluded.local_id,
           digest = excluded.digest, secret_digest = excluded.secret_digest,
           imported_at = excluded.imported_at`,
        [r.source, r.kind, r.sourceId, r.localId, r.digest, r.secretDigest, r.importedAt],
      );
    },
    async dropRecord(source, kind, sourceId): Promise<void> {
      await db.run(
        "DELETE FROM import_records WHERE source = ? AND kind = ? AND source_id = ?",
        [source, kind, sourceId],
      );
    },
    async upsertOrg(o): Promise<void> {
      await db.run(
        `INSERT INTO orgs (id, name, status, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status`,
        [o.id, o.name, o.status, o.createdAt],
      );
    },
    async upsertKey(k, options): Promise<void> {
      const secret = options.keepSecret ? "" : `hash = excluded.hash,
           hash_scheme = excluded.hash_scheme, prefix = excluded.prefix,
           display_prefix = excluded.display_prefix,`;
      await db.run(
        `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${KEY_PLACEHOLDERS})
         ON CONFLICT (id) DO UPDATE SET ${secret} org_id = excluded.org_id,
           origin = excluded.origin,
           label = excluded.label, scopes = excluded.scopes, claims = excluded.claims,
           rate_limit_per_minute = excluded.rate_limit_per_minute,
           monthly_quota = excluded.monthly_quota, expires_at = excluded.expires_at,
           last_used_at = CASE WHEN api_keys.last_used_at IS NULL
             OR api_keys.last_used_at < excluded.last_used_at
             THEN excluded.last_used_at ELSE api_keys.last_used_at END,
           status = CASE WHEN api_keys.status = 'revoked' THEN 'revoked' ELSE excluded.status END,
           revoked_at = COALESCE(api_keys.revoked_at, excluded.revoked_at)`,
        keyRow(k),
      );
    },
    async upsertUser(u, options): Promise<void> {
      const password = options.keepPassword ? "" : "password_hash = excluded.password_hash,";
      await db.run(
        `INSERT INTO users (id, email, username, display_name, password_hash, role, org_id,
          status, must_change_password, created_at, updated_at, last_login_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET ${password} email = excluded.email,
           display_name = excluded.display_name, role = excluded.role, org_id = excluded.org_id,
           status = excluded.status, updated_at = excluded.updated_at,
           last_login_at = CASE WHEN users.last_login_at IS NULL
             OR users.last_login_at < excluded.last_login_at
             THEN excluded.last_login_at ELSE users.last_login_at END`,
        [
          u.id,
          u.email.toLowerCase(),
          u.username,
          u.displayName,
          u.passwordHash,
          u.role,
          u.orgId,
          u.status,
          u.mustChangePassword ? 1 : 0,
          u.createdAt,
          u.updatedAt,
          u.lastLoginAt,
        ],
      );
    },
    async upsertGroup(g): Promise<void> {
      await db.run(
        `INSERT INTO account_groups (id, name, description, org_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
           org_id = excluded.org_id, updated_at = excluded.updated_at`,
        [g.id, g.name, g.description, g.orgId, g.createdAt, g.updatedAt],
      );
    },
    async insertRefreshToken(t): Promise<boolean> {
      return (await db.run(
        `INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, created_at,
          expires_at, used_at, revoked_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO NOTHING`,
        [
          t.hash,
          t.familyId,
          t.userId,
          t.clientId,
          t.scope,
          t.createdAt,
          t.expiresAt,
          t.usedAt,
          t.revokedAt,
          t.origin ?? null,
        ],
      )) > 0;
    },
    async revokeRefreshToken(hash, at): Promise<boolean> {
      return (await db.run(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
        [at, hash],
      )) > 0;
    },
    async keyScheme(id): Promise<KeyHashScheme | undefined> {
      const rows = await db.all<{ hash_scheme: unknown }>(
        "SELECT hash_scheme FROM api_keys WHERE id = ?",
        [id],
      );
      if (rows.length === 0) return undefined;
      const s = rows[0].hash_scheme;
      return s === "keyguard" || s === "sha256" ? s : "hmac";
    },
  };
}
