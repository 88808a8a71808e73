/**
 * Queries on TOTP enrolments and recovery codes. The stored secrets are sealed by the caller
 * (`src/oidc/keys.ts`); these queries never see a secret in clear. "No code accepted twice" is
 * enforced here as well as in the check: {@link TotpQueries.acceptStep} moves the last accepted
 * step forward only, in one `UPDATE`, so two sign-ins racing with the same code cannot both pass.
 */

import type { TotpRecord } from "./oidc_types.ts";
import type { SqlDb } from "./sql.ts";

/** TOTP and recovery-code queries. */
export interface TotpQueries {
  get(userId: string): Promise<TotpRecord | undefined>;
  /**
   * Keep a new sealed secret as pending with the hashes of the recovery codes shown with it (the
   * secret and codes in use, if any, stay in use until confirmation).
   */
  startEnrolment(
    userId: string,
    pending: { sealedSecret: string; recoveryHashes: readonly string[] },
    at: number,
  ): Promise<void>;
  /**
   * Make the pending secret the one in use, with `step` as its last accepted step, and its
   * recovery codes the account's set; only when the pending secret is still `sealedSecret` (the
   * one the confirming code was checked against). One transaction.
   */
  confirmEnrolment(
    userId: string,
    sealedSecret: string,
    options: { step: number; at: number },
  ): Promise<boolean>;
  /** Record `step` as accepted; false when a step at or after it was already accepted. */
  acceptStep(userId: string, step: number): Promise<boolean>;
  /** Require (or stop requiring) a second factor of this account. */
  setRequired(userId: string, required: boolean, at: number): Promise<void>;
  /** Remove the secret and the pending one (an administrator's reset); keeps `required`. */
  reset(userId: string, at: number): Promise<boolean>;
  /** Replace every recovery code of an account with these hashes. */
  replaceRecoveryCodes(userId: string, hashes: readonly string[], at: number): Promise<void>;
  /** Spend a recovery code; false when unknown or already used. */
  useRecoveryCode(userId: string, hash: string, at: number): Promise<boolean>;
  /** Unused recovery codes left. */
  recoveryCodesLeft(userId: string): Promise<number>;
  /** Delete every recovery code of an account. */
  removeRecoveryCodes(userId: string): Promise<number>;
}

type Row = Record<string, unknown>;

function _n(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function _s(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function _totp(r: Row): TotpRecord {
  return {
    userId: String(r.user_id),
    secret: _s(r.secret),
    pendingSecret: _s(r.pending_secret),
    pendingAt: _n(r.pending_at),
    pendingRecoveryHashes: _hashes(r.pending_recovery),
    confirmedAt: _n(r.confirmed_at),
    lastStep: _n(r.last_step),
    required: Number(r.required) === 1,
    updatedAt: Number(r.updated_at),
  };
}

function _hashes(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  try {
    const a = JSON.parse(String(v));
    return Array.isArray(a) ? a.map(String) : [];
  } catch {
    return [];
  }
}

async function _replaceCodes(
  db: SqlDb,
  userId: string,
  hashes: readonly string[],
  at: number,
): Promise<void> {
  await db.run("DELETE FROM recovery_codes WHERE user_id = ?", [userId]);
  for (const h of hashes) {
    await db.run(
      "INSERT INTO recovery_codes (user_id, hash, created_at, used_at) VALUES (?, ?, ?, NULL)",
      [userId, h, at],
    );
  }
}

/** TOTP queries over a database. */
export function totpQueries(db: SqlDb): TotpQueries {
  return {
    async get(userId: string): Promise<TotpRecord | undefined> {
      const rows = await db.all("SELECT * FROM account_totp WHERE user_id = ?", [userId]);
      return rows.length === 0 ? undefined : _totp(rows[0]);
    },
    async startEnrolment(userId, pending, at): Promise<void> {
      await db.run(
        `INSERT INTO account_totp (user_id, pending_secret, pending_at, pending_recovery, required,
           updated_at)
         VALUES (?, ?, ?, ?, 0, ?)
         ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret,
           pending_at = excluded.pending_at, pending_recovery = excluded.pending_recovery,
           updated_at = excluded.updated_at`,
        [userId, pending.sealedSecret, at, JSON.stringify(pending.recoveryHashes), at],
      );
    },
    confirmEnrolment(userId, sealedSecret, options): Promise<boolean> {
      return db.transaction(async (tx) => {
        const rows = await tx.all(
          "SELECT pending_recovery FROM account_totp WHERE user_id = ? AND pending_secret = ?",
          [userId, sealedSecret],
        );
        if (rows.length === 0) return false;
        const changed = await tx.run(
          `UPDATE account_totp SET secret = pending_secret, pending_secret = NULL,
             pending_at = NULL, pending_recovery = NULL, confirmed_at = ?, last_step = ?,
             updated_at = ?
           WHERE user_id = ? AND pending_secret = ?`,
          [options.at, options.step, options.at, userId, sealedSecret],
        );
        if (changed !== 1) return false;
        await _replaceCodes(tx, userId, _hashes(rows[0].pending_recovery), options.at);
        return true;
      });
    },
    async acceptStep(userId: string, step: number): Promise<boolean> {
      return (await db.run(
        `UPDATE account_totp SET last_step = ?
         WHERE user_id = ? AND secret IS NOT NULL AND (last_step IS NULL OR last_step < ?)`,
        [step, userId, step],
      )) === 1;
    },
    async setRequired(userId: string, required: boolean, at: number): Promise<void> {
      await db.run(
        `INSERT INTO account_totp (user_id, required, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET required = excluded.required,
           updated_at = excluded.updated_at`,
        [userId, required ? 1 : 0, at],
      );
    },
    async reset(userId: string, at: number): Promise<boolean> {
      return (await db.run(
        `UPDATE account_totp SET secret = NULL, pending_secret = NULL, pending_at = NULL,
           pending_recovery = NULL, confirmed_at = NULL, last_step = NULL, updated_at = ?
         WHERE user_id = ? AND (secret IS NOT NULL OR pending_secret IS NOT NULL)`,
        [at, userId],
      )) === 1;
    },
    replaceRecoveryCodes: (userId, hashes, at) =>
      db.transaction((tx) => _replaceCodes(tx, userId, hashes, at)),
    async useRecoveryCode(userId: string, hash: string, at: number): Promise<boolean> {
      return (await db.run(
        "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL",
        [at, userId, hash],
      )) === 1;
    },
    async recoveryCodesLeft(userId: string): Promise<number> {
      const rows = await db.all<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
        [userId],
      );
      return Number(rows[0].n);
    },
    removeRecoveryCodes: (userId) =>
      db.run("DELETE FROM recovery_codes WHERE user_id = ?", [userId]),
  };
}
