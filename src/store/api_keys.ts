/** Queries on API keys. Keys are found by their peppered hash, never by the key itself. */

import type { SqlDb, SqlValue } from "./sql.ts";
import type { ApiKeyRecord, ApiKeyWithOrg, KeyHashScheme, KeyOrigin } from "./types.ts";

/** A hash to look a presented key up by, and the scheme a row must carry to match it. */
export interface HashCandidate {
  readonly scheme: KeyHashScheme;
  readonly hash: string;
}

/** API key queries. */
export interface ApiKeyQueries {
  insert(key: ApiKeyRecord): Promise<void>;
  /** The key whose hash is `hash`, with its organisation. */
  byHash(hash: string): Promise<ApiKeyWithOrg | undefined>;
  /**
   * The key matching one of `candidates` (each hash only on a row of its scheme), in one query;
   * the first candidate wins when several match.
   */
  byHashes(candidates: readonly HashCandidate[]): Promise<ApiKeyWithOrg | undefined>;
  /**
   * Move a key found under an imported scheme to ours: its hash becomes `hash` (scheme `hmac`)
   * and its prefix and display prefix the ones read off the presented key. Only while the row
   * still has `fromHash` (another instance may have moved it first); false then.
   */
  moveHash(
    id: string,
    fromHash: string,
    to: { hash: string; prefix: string; displayPrefix: string },
  ): Promise<boolean>;
  /** How many keys each hash scheme holds (schemes with none are absent). */
  countBySchemes(): Promise<Partial<Record<KeyHashScheme, number>>>;
  byId(id: string): Promise<ApiKeyWithOrg | undefined>;
  list(filter?: { orgId?: string }): Promise<ApiKeyWithOrg[]>;
  /** Ids of keys revoked at or after `since` (for the revocation list). */
  revokedSince(since: number): Promise<string[]>;
  /** Revoke; false when no such key or already revoked. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Shorten a key's life to `expiresAt` (a roll's grace period) and name its successor. */
  retire(id: string, expiresAt: number, replacedBy: string): Promise<boolean>;
}

const SELECT = `SELECT k.*, o.name AS org_name, o.status AS org_status
  FROM api_keys k JOIN orgs o ON o.id = k.org_id`;

function _n(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function _key(r: Record<string, unknown>): ApiKeyWithOrg {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    label: String(r.label),
    prefix: String(r.prefix),
    displayPrefix: String(r.display_prefix),
    hash: String(r.hash),
    hashScheme: _scheme(r.hash_scheme),
    origin: r.origin === "keyguard" || r.origin === "pico-auth" ? r.origin as KeyOrigin : null,
    scopes: JSON.parse(String(r.scopes)),
    claims: JSON.parse(String(r.claims)),
    audiences: JSON.parse(String(r.audiences)),
    rateLimitPerMinute: _n(r.rate_limit_per_minute),
    monthlyQuota: _n(r.monthly_quota),
    expiresAt: _n(r.expires_at),
    createdAt: Number(r.created_at),
    lastUsedAt: _n(r.last_used_at),
    status: r.status === "revoked" ? "revoked" : "active",
    revokedAt: _n(r.revoked_at),
    replacedBy: r.replaced_by === null || r.replaced_by === undefined
      ? null
      : String(r.replaced_by),
    reach: r.reach === "all" ? "all" : "org",
    orgName: String(r.org_name),
    orgStatus: r.org_status === "suspended" ? "suspended" : "active",
  };
}

function _scheme(v: unknown): KeyHashScheme {
  return v === "keyguard" || v === "sha256" ? v : "hmac";
}

/** The columns of an `api_keys` row, in the order of {@link keyRow}. */
export const KEY_COLUMNS = "id, org_id, label, prefix, display_prefix, hash, scopes, claims, " +
  "audiences, rate_limit_per_minute, monthly_quota, expires_at, created_at, last_used_at, " +
  "status, revoked_at, replaced_by, reach, hash_scheme, origin";

/** One `?` per column of {@link KEY_COLUMNS}. */
export const KEY_PLACEHOLDERS: string = KEY_COLUMNS.replace(/[a-z_]+/g, "?");

/** A key's values for {@link KEY_COLUMNS}. */
export function keyRow(k: ApiKeyRecord): SqlValue[] {
  return [
    k.id,
    k.orgId,
    k.label,
    k.prefix,
    k.displayPrefix,
    k.hash,
    JSON.stringify(k.scopes),
    JSON.stringify(k.claims),
    JSON.stringify(k.audiences),
    k.rateLimitPerMinute,
    k.monthlyQuota,
    k.expiresAt,
    k.createdAt,
    k.lastUsedAt,
    k.status,
    k.revokedAt,
    k.replacedBy,
    k.reach === "all" ? "all" : null,
    k.hashScheme ?? "hmac",
    k.origin ?? null,
  ];
}

/** API key queries over a database. */
export function apiKeyQueries(db: SqlDb): ApiKeyQueries {
  return {
    async insert(k: ApiKeyRecord): Promise<void> {
      await db.run(
        `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${KEY_PLACEHOLDERS})`,
        keyRow(k),
      );
    },
    async byHash(hash: string): Promise<ApiKeyWithOrg | undefined> {
      const rows = await db.all(`${SELECT} WHERE k.hash = ?`, [hash]);
      return rows.length === 0 ? undefined : _key(rows[0]);
    },
    async byHashes(candidates: readonly HashCandidate[]): Promise<ApiKeyWithOrg | undefined> {
      if (candidates.length === 0) return undefined;
      if (candidates.length === 1 && candidates[0].scheme === "hmac") {
        const rows = await db.all(`${SELECT} WHERE k.hash = ? AND k.hash_scheme = 'hmac'`, [
          candidates[0].hash,
        ]);
        return rows.length === 0 ? undefined : _key(rows[0]);
      }
      // One statement, so a row moved by another instance between two lookups is never missed.
      const rows = await db.all(
        `${SELECT} WHERE k.hash IN (${candidates.map(() => "?").join(", ")})`,
        candidates.map((c) => c.hash),
      );
      for (const c of candidates) {
        const r = rows.find((row) => row.hash === c.hash && _scheme(row.hash_scheme) === c.scheme);
        if (r !== undefined) return _key(r);
      }
      return undefined;
    },
    async moveHash(id, fromHash, to): Promise<boolean> {
      return (await db.run(
        `UPDATE api_keys SET hash = ?, hash_scheme = 'hmac', prefix = ?, display_prefix = ?
         WHERE id = ? AND hash = ? AND hash_scheme <> 'hmac'`,
        [to.hash, to.prefix, to.displayPrefix, id, fromHash],
      )) > 0;
    },
    async countBySchemes(): Promise<Partial<Record<KeyHashScheme, number>>> {
      const rows = await db.all(
        "SELECT hash_scheme, COUNT(*) AS n FROM api_keys GROUP BY hash_scheme",
      );
      const out: Partial<Record<KeyHashScheme, number>> = {};
      for (const r of rows) out[_scheme(r.hash_scheme)] = Number(r.n);
      return out;
    },
    async byId(id: string): Promise<ApiKeyWithOrg | undefined> {
      const rows = await db.all(`${SELECT} WHERE k.id = ?`, [id]);
      return rows.length === 0 ? undefined : _key(rows[0]);
    },
    async list(filter: { orgId?: string } = {}): Promise<ApiKeyWithOrg[]> {
      const rows = filter.orgId === undefined
        ? await db.all(`${SELECT} ORDER BY k.created_at, k.id`)
        : await db.all(`${SELECT} WHERE k.org_id = ? ORDER BY k.created_at, k.id`, [filter.orgId]);
      return rows.map(_key);
    },
    async revokedSince(since: number): Promise<string[]> {
      const rows = await db.all(
        "SELECT id FROM api_keys WHERE status = 'revoked' AND revoked_at >= ?",
        [since],
      );
      return rows.map((r) => String(r.id));
    },
    async revoke(id: string, at: number): Promise<boolean> {
      return (await db.run(
        "UPDATE api_keys SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'",
        [at, id],
      )) > 0;
    },
    async retire(id: string, expiresAt: number, replacedBy: string): Promise<boolean> {
      return (await db.run(
        `UPDATE api_keys SET replaced_by = ?,
           expires_at = CASE WHEN expires_at IS NULL OR expires_at > ? THEN ? ELSE expires_at END
         WHERE id = ? AND status = 'active'`,
        [replacedBy, expiresAt, expiresAt, id],
      )) > 0;
    },
  };
}
