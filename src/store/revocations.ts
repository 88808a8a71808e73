/**
 * Revocations kept by id: revoked token ids (RFC 7009: a JWT's `jti` is kept until the token's
 * own expiry, after which the token is refused for being expired anyway and the row can go), and
 * per-subject cutoffs (tokens of the subject issued before `not_before` are revoked: a password
 * change or reset, a suspension), kept as long as a token issued before them could live.
 */

import type { SqlDb } from "./sql.ts";

/** Revoked jti queries. */
export interface RevocationQueries {
  /** Record `jti` as revoked until `expiresAt` (idempotent). */
  revoke(jti: string, expiresAt: number, at: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Ids revoked and not yet expired at `now`. */
  activeJtis(now: number): Promise<string[]>;
  /** Revoke every token of `subject` issued before `notBefore`; the row lives until `expiresAt`. */
  setCutoff(subject: string, notBefore: number, expiresAt: number): Promise<void>;
  /** Cutoffs still in force at `now`. */
  activeCutoffs(now: number): Promise<{ subject: string; notBefore: number }[]>;
  /** Delete rows whose token expired before `before`. */
  purge(before: number): Promise<number>;
}

/** Revoked jti queries over a database. */
export function revocationQueries(db: SqlDb): RevocationQueries {
  return {
    async revoke(jti: string, expiresAt: number, at: number): Promise<void> {
      await db.run(
        `INSERT INTO revoked_jtis (jti, expires_at, revoked_at) VALUES (?, ?, ?)
         ON CONFLICT (jti) DO NOTHING`,
        [jti, expiresAt, at],
      );
    },
    async isRevoked(jti: string): Promise<boolean> {
      return (await db.all("SELECT 1 AS x FROM revoked_jtis WHERE jti = ?", [jti])).length > 0;
    },
    async activeJtis(now: number): Promise<string[]> {
      const rows = await db.all("SELECT jti FROM revoked_jtis WHERE expires_at >= ?", [now]);
      return rows.map((r) => String(r.jti));
    },
    async setCutoff(subject: string, notBefore: number, expiresAt: number): Promise<void> {
      await db.run(
        `INSERT INTO token_cutoffs (subject, not_before, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET not_before = excluded.not_before,
           expires_at = excluded.expires_at`,
        [subject, notBefore, expiresAt],
      );
    },
    async activeCutoffs(now: number): Promise<{ subject: string; notBefore: number }[]> {
      const rows = await db.all(
        "SELECT subject, not_before FROM token_cutoffs WHERE expires_at >= ?",
        [now],
      );
      return rows.map((r) => ({ subject: String(r.subject), notBefore: Number(r.not_before) }));
    },
    async purge(before: number): Promise<number> {
      const n = await db.run("DELETE FROM revoked_jtis WHERE expires_at < ?", [before]);
      return n + await db.run("DELETE FROM token_cutoffs WHERE expires_at < ?", [before]);
    },
  };
}

/**
 * A change of revocation state, told by the service that made it (an API key revoked, an
 * organisation or account suspended or resumed, a subject's cutoff, a token id) to the revocation
 * list of the same process, which applies it at once; other processes see it at their next poll.
 */
export type RevocationEvent =
  | { readonly kind: "jti"; readonly jti: string }
  | { readonly kind: "key"; readonly id: string }
  | { readonly kind: "org"; readonly name: string; readonly suspended: boolean }
  | { readonly kind: "account"; readonly id: string; readonly suspended: boolean }
  | { readonly kind: "cutoff"; readonly subject: string; readonly notBefore: number };

/** Who hears of revocation changes. */
export type RevocationListener = (event: RevocationEvent) => void;
