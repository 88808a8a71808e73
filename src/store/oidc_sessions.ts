/**
 * Queries on browser sessions (sign-in with Keypebble). A session is found by the hash of its
 * cookie; ending one is a single `UPDATE … WHERE ended_at IS NULL`, so it ends once with its
 * first reason. Every session of an account ends together on a password change, a suspension
 * or a TOTP reset.
 */

import type { OidcSessionRecord, SessionEndReason } from "./oidc_types.ts";
import type { SqlDb } from "./sql.ts";

/** Session queries. */
export interface OidcSessionQueries {
  insert(s: OidcSessionRecord): Promise<void>;
  /** By the hex SHA-256 of the cookie value, ended or not (the caller decides). */
  byTokenHash(hash: string): Promise<OidcSessionRecord | undefined>;
  /** By public id (`sid`). */
  byId(id: string): Promise<OidcSessionRecord | undefined>;
  /** End one session; false when it had already ended or does not exist. */
  end(id: string, at: number, reason: SessionEndReason): Promise<boolean>;
  /** End every open session of an account; resolves to how many. */
  endForUser(userId: string, at: number, reason: SessionEndReason): Promise<number>;
  /** Delete sessions that expired or ended before `before`. */
  purge(before: number): Promise<number>;
}

type Row = Record<string, unknown>;

const REASONS: readonly SessionEndReason[] = [
  "sign_out",
  "password_change",
  "suspended",
  "totp_reset",
  "admin",
  "replaced",
];

/** `"pwd otp"` ↔ `["pwd", "otp"]`. */
export function splitWords(v: unknown): string[] {
  return String(v ?? "").split(" ").filter((s) => s !== "");
}

function _n(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function _session(r: Row): OidcSessionRecord {
  const reason = r.end_reason as SessionEndReason | null;
  return {
    id: String(r.id),
    tokenHash: String(r.token_hash),
    userId: String(r.user_id),
    authTime: Number(r.auth_time),
    amr: splitWords(r.amr),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    endedAt: _n(r.ended_at),
    endReason: reason !== null && REASONS.includes(reason) ? reason : null,
  };
}

/** Session queries over a database. */
export function oidcSessionQueries(db: SqlDb): OidcSessionQueries {
  const one = async (sql: string, v: string) => {
    const rows = await db.all(sql, [v]);
    return rows.length === 0 ? undefined : _session(rows[0]);
  };
  return {
    async insert(s: OidcSessionRecord): Promise<void> {
      await db.run(
        `INSERT INTO oidc_sessions (id, token_hash, user_id, auth_time, amr, created_at,
          expires_at, ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          s.id,
          s.tokenHash,
          s.userId,
          s.authTime,
          s.amr.join(" "),
          s.createdAt,
          s.expiresAt,
          s.endedAt,
          s.endReason,
        ],
      );
    },
    byTokenHash: (hash) => one("SELECT * FROM oidc_sessions WHERE token_hash = ?", hash),
    byId: (id) => one("SELECT * FROM oidc_sessions WHERE id = ?", id),
    async end(id: string, at: number, reason: SessionEndReason): Promise<boolean> {
      return (await db.run(
        "UPDATE oidc_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
        [at, reason, id],
      )) === 1;
    },
    endForUser: (userId, at, reason) =>
      db.run(
        `UPDATE oidc_sessions SET ended_at = ?, end_reason = ?
         WHERE user_id = ? AND ended_at IS NULL AND expires_at > ?`,
        [at, reason, userId, at],
      ),
    purge: (before) =>
      db.run("DELETE FROM oidc_sessions WHERE expires_at < ? OR ended_at < ?", [before, before]),
  };
}
