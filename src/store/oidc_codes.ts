/**
 * Queries on authorization codes. A code is redeemed once: {@link AuthCodeQueries.consume}
 * marks it used in one `UPDATE … WHERE used_at IS NULL`, so two concurrent redemptions cannot
 * both win, and tells the loser it is a reuse. The row is kept after use (until purged) with what
 * its redemption issued, so that a reused code revokes those tokens (RFC 6749 §4.1.2, OAuth 2.1
 * §4.1.3), and its nonce, so that a nonce cannot be replayed with the same client.
 */

import { splitWords } from "./oidc_sessions.ts";
import type { AuthCodeRecord, CodeIssued } from "./oidc_types.ts";
import type { SqlDb } from "./sql.ts";

/** The outcome of a redemption attempt. */
export type CodeConsumption =
  /** No such code (never issued, or purged). */
  | { readonly kind: "unknown" }
  /** This call marked it used: the caller may redeem it (after its other checks). */
  | { readonly kind: "first"; readonly code: AuthCodeRecord }
  /** It had been used before: a replay, and what it issued must be revoked. */
  | { readonly kind: "reused"; readonly code: AuthCodeRecord };

/** Authorization code queries. */
export interface AuthCodeQueries {
  insert(c: AuthCodeRecord): Promise<void>;
  byHash(hash: string): Promise<AuthCodeRecord | undefined>;
  /** Mark the code used at `at`, atomically; see {@link CodeConsumption}. */
  consume(hash: string, at: number): Promise<CodeConsumption>;
  /** Record what the redemption issued (jtis, refresh family). */
  recordIssued(hash: string, issued: CodeIssued): Promise<void>;
  /** Whether `clientId` already had a code for `nonce` created at or after `since`. */
  nonceSeen(clientId: string, nonce: string, since: number): Promise<boolean>;
  /** Delete codes that expired before `before`. */
  purge(before: number): Promise<number>;
}

type Row = Record<string, unknown>;

function _issued(v: unknown): CodeIssued | null {
  if (v === null || v === undefined) return null;
  try {
    const o = JSON.parse(String(v)) as Record<string, unknown>;
    return {
      jtis: Array.isArray(o.jtis) ? o.jtis.map(String) : [],
      familyId: typeof o.familyId === "string" ? o.familyId : null,
      expiresAt: Number(o.expiresAt),
    };
  } catch {
    return null;
  }
}

function _code(r: Row): AuthCodeRecord {
  return {
    hash: String(r.hash),
    clientId: String(r.client_id),
    redirectUri: String(r.redirect_uri),
    codeChallenge: String(r.code_challenge),
    nonce: r.nonce === null || r.nonce === undefined ? null : String(r.nonce),
    scope: String(r.scope),
    sessionId: String(r.session_id),
    userId: String(r.user_id),
    authTime: Number(r.auth_time),
    amr: splitWords(r.amr),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    usedAt: r.used_at === null || r.used_at === undefined ? null : Number(r.used_at),
    issued: _issued(r.issued),
  };
}

/** Authorization code queries over a database. */
export function authCodeQueries(db: SqlDb): AuthCodeQueries {
  const byHash = async (hash: string) => {
    const rows = await db.all("SELECT * FROM oidc_codes WHERE hash = ?", [hash]);
    return rows.length === 0 ? undefined : _code(rows[0]);
  };
  return {
    async insert(c: AuthCodeRecord): Promise<void> {
      await db.run(
        `INSERT INTO oidc_codes (hash, client_id, redirect_uri, code_challenge, nonce, scope,
          session_id, user_id, auth_time, amr, created_at, expires_at, used_at, issued)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          c.hash,
          c.clientId,
          c.redirectUri,
          c.codeChallenge,
          c.nonce,
          c.scope,
          c.sessionId,
          c.userId,
          c.authTime,
          c.amr.join(" "),
          c.createdAt,
          c.expiresAt,
          c.usedAt,
          c.issued === null ? null : JSON.stringify(c.issued),
        ],
      );
    },
    byHash,
    async consume(hash: string, at: number): Promise<CodeConsumption> {
      const won = (await db.run(
        "UPDATE oidc_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL",
        [at, hash],
      )) === 1;
      const code = await byHash(hash);
      if (code === undefined) return { kind: "unknown" };
      return won ? { kind: "first", code } : { kind: "reused", code };
    },
    async recordIssued(hash: string, issued: CodeIssued): Promise<void> {
      await db.run("UPDATE oidc_codes SET issued = ? WHERE hash = ?", [
        JSON.stringify(issued),
        hash,
      ]);
    },
    async nonceSeen(clientId: string, nonce: string, since: number): Promise<boolean> {
      const rows = await db.all(
        "SELECT 1 AS x FROM oidc_codes WHERE client_id = ? AND nonce = ? AND created_at >= ? LIMIT 1",
        [clientId, nonce, since],
      );
      return rows.length > 0;
    },
    purge: (before) => db.run("DELETE FROM oidc_codes WHERE expires_at < ?", [before]),
  };
}
