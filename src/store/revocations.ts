/**
 * Revoked token ids (RFC 7009): a JWT's `jti` is kept until the token's own expiry, after which
 * the token is refused for being expired anyway and the row can go.
 */

import type { SqlDb } from "./sql.ts";

/** Revoked jti queries. */
export interface RevocationQueries {
  /** Record `jti` as revoked until `expiresAt` (idempotent). */
  revoke(jti: string, expiresAt: number, at: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
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
    purge: (before) => db.run("DELETE FROM revoked_jtis WHERE expires_at < ?", [before]),
  };
}
