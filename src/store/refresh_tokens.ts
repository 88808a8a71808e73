/**
 * Queries on account refresh tokens: opaque tokens stored as hashes, grouped in rotation
 * families. Each is single use; {@link RefreshTokenQueries.consume} marks one used atomically so
 * that two concurrent refreshes with the same token cannot both succeed. A rotation reads its
 * token with `forUpdate` inside one transaction (a row lock on Postgres; SQLite's transactions
 * hold the write lock), so concurrent rotations of one token run one after the other.
 */

import type { SqlDb } from "./sql.ts";
import type { RefreshOrigin, RefreshTokenRecord } from "./types.ts";

/** Refresh token queries. */
export interface RefreshTokenQueries {
  insert(t: RefreshTokenRecord): Promise<void>;
  /**
   * The token with this hash. `forUpdate` (inside a transaction) locks its row until the
   * transaction ends, so a concurrent rotation of the same token waits for this one.
   */
  byHash(hash: string, options?: { forUpdate?: boolean }): Promise<RefreshTokenRecord | undefined>;
  /** Remember a used token's successor (its hash and the sealed token) for the retry window. */
  setSuccessor(hash: string, successorHash: string, sealed: string): Promise<void>;
  /** Forget the sealed successors of tokens used before `before` (the window is over). */
  forgetSuccessors(before: number): Promise<number>;
  /** Mark unused, unrevoked `hash` used at `at`; false when it was not (reuse or race). */
  consume(hash: string, at: number): Promise<boolean>;
  /** Revoke every token of a family; resolves to the number revoked. */
  revokeFamily(familyId: string, at: number): Promise<number>;
  /** Revoke every token of an account (password change, suspension). */
  revokeUser(userId: string, at: number): Promise<number>;
  /** Delete tokens expired before `before`. */
  purge(before: number): Promise<number>;
}

type Row = Record<string, unknown>;

function _n(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function _s(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function _token(r: Row): RefreshTokenRecord {
  return {
    hash: String(r.hash),
    familyId: String(r.family_id),
    userId: String(r.user_id),
    clientId: _s(r.client_id),
    scope: _s(r.scope),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    usedAt: _n(r.used_at),
    revokedAt: _n(r.revoked_at),
    successorHash: _s(r.successor_hash),
    successorSealed: _s(r.successor_sealed),
    origin: r.origin === "pico-auth" ? "pico-auth" as RefreshOrigin : null,
  };
}

/** Refresh token queries over a database. */
export function refreshTokenQueries(db: SqlDb): RefreshTokenQueries {
  return {
    async insert(t: RefreshTokenRecord): Promise<void> {
      await db.run(
        `INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, created_at,
          expires_at, used_at, revoked_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
    },
    async byHash(hash: string, options = {}): Promise<RefreshTokenRecord | undefined> {
      const lock = options.forUpdate && db.dialect === "postgres" ? " FOR UPDATE" : "";
      const rows = await db.all(`SELECT * FROM refresh_tokens WHERE hash = ?${lock}`, [hash]);
      return rows.length === 0 ? undefined : _token(rows[0]);
    },
    async setSuccessor(hash: string, successorHash: string, sealed: string): Promise<void> {
      await db.run(
        "UPDATE refresh_tokens SET successor_hash = ?, successor_sealed = ? WHERE hash = ?",
        [successorHash, sealed, hash],
      );
    },
    forgetSuccessors: (before) =>
      db.run(
        `UPDATE refresh_tokens SET successor_sealed = NULL
         WHERE successor_sealed IS NOT NULL AND used_at < ?`,
        [before],
      ),
    async consume(hash: string, at: number): Promise<boolean> {
      return (await db.run(
        `UPDATE refresh_tokens SET used_at = ?
         WHERE hash = ? AND used_at IS NULL AND revoked_at IS NULL`,
        [at, hash],
      )) === 1;
    },
    revokeFamily: (familyId, at) =>
      db.run(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        [at, familyId],
      ),
    revokeUser: (userId, at) =>
      db.run(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [at, userId],
      ),
    purge: (before) => db.run("DELETE FROM refresh_tokens WHERE expires_at < ?", [before]),
  };
}
