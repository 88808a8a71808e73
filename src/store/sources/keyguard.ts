/**
 * Reading a keyguard database (keyguard-python 0.3.0, `keyguard/db/models.py`): tables
 * `organizations` (id, name, status, created_at), `api_keys` (id, org_id, label, prefix = the
 * first 12 characters of the key, key_hash = hex SHA-256 of the key followed by keyguard's
 * `secret_key`, is_active, scopes as JSON, rate_limit_per_minute, monthly_limit, created_at,
 * expires_at, last_used_at) and `usage_logs` (one row per request: key_id, status_code,
 * timestamp, …), on SQLite or PostgreSQL. Usage is read already summed per key and minute.
 */

import { KeypebbleError } from "../../errors.ts";
import type { SqlDb } from "../sql.ts";
import { epochSeconds } from "./times.ts";

/** A keyguard organisation. */
export interface KeyguardOrg {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly createdAt: number | null;
}

/** A keyguard API key, as stored (never the key itself). */
export interface KeyguardKey {
  readonly id: string;
  readonly orgId: string;
  readonly label: string;
  /** The first 12 characters of the key. */
  readonly prefix: string;
  /** Hex SHA-256 of the key followed by keyguard's `secret_key`. */
  readonly keyHash: string;
  readonly isActive: boolean;
  /** Decoded JSON (a list of strings when keyguard wrote it), or what could not be decoded. */
  readonly scopes: unknown;
  readonly rateLimitPerMinute: number | null;
  readonly monthlyLimit: number | null;
  readonly createdAt: number | null;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
}

/** Requests of one key in one minute, summed from keyguard's usage log. */
export interface KeyguardUsageMinute {
  readonly keyId: string;
  /** Start of the minute, seconds since the epoch. */
  readonly minute: number;
  readonly requests: number;
  /** Requests answered 400 or above (keyguard's own error count). */
  readonly errors: number;
  /** The latest request in the minute. */
  readonly last: number;
}

/** Everything read from a keyguard database. */
export interface KeyguardData {
  readonly orgs: readonly KeyguardOrg[];
  readonly keys: readonly KeyguardKey[];
  readonly usage: readonly KeyguardUsageMinute[];
  /** Usage rows without a readable time (not imported). */
  readonly usageWithoutTime: number;
}

function _n(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function _json(v: unknown): unknown {
  if (typeof v !== "string") return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function _bool(v: unknown): boolean {
  // SQLite stores 1/0 (NULL when the column default was bypassed: keyguard's default is true).
  if (v === null || v === undefined) return true;
  return v === true || v === 1 || v === "1" || v === "t" || v === "true";
}

/**
 * Read a keyguard database.
 *
 * @throws {KeypebbleError} `store_error` when the tables are not keyguard's
 */
export async function readKeyguard(db: SqlDb): Promise<KeyguardData> {
  let orgRows: Record<string, unknown>[];
  let keyRows: Record<string, unknown>[];
  try {
    orgRows = await db.all("SELECT id, name, status, created_at FROM organizations ORDER BY id");
    keyRows = await db.all(
      `SELECT id, org_id, label, prefix, key_hash, is_active, scopes, rate_limit_per_minute,
        monthly_limit, created_at, expires_at, last_used_at FROM api_keys ORDER BY id`,
    );
  } catch (e) {
    throw new KeypebbleError(
      "store_error",
      `The source is not a keyguard database (no organizations and api_keys tables as keyguard ` +
        `writes them): ${_reason(e)}`,
      { cause: e },
    );
  }
  const epoch = db.dialect === "sqlite"
    ? `CAST(strftime('%s', "timestamp") AS INTEGER)`
    : `CAST(FLOOR(EXTRACT(EPOCH FROM "timestamp")) AS BIGINT)`;
  let usageRows: Record<string, unknown>[] = [];
  let usageWithoutTime = 0;
  try {
    usageRows = await db.all(
      `SELECT key_id, (${epoch} / 60) * 60 AS minute, COUNT(*) AS requests,
         SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END) AS errors, MAX(${epoch}) AS last
       FROM usage_logs WHERE "timestamp" IS NOT NULL AND ${epoch} IS NOT NULL
       GROUP BY key_id, (${epoch} / 60) * 60 ORDER BY key_id, minute`,
    );
    const rest = await db.all<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM usage_logs WHERE "timestamp" IS NULL OR ${epoch} IS NULL`,
    );
    usageWithoutTime = Number(rest[0]?.n ?? 0);
  } catch (e) {
    throw new KeypebbleError(
      "store_error",
      `The source's usage_logs table cannot be read as keyguard writes it: ${_reason(e)}`,
      { cause: e },
    );
  }
  return {
    orgs: orgRows.map((r) => ({
      id: String(r.id),
      name: r.name === null || r.name === undefined ? "" : String(r.name),
      status: r.status === null || r.status === undefined ? "active" : String(r.status),
      createdAt: epochSeconds(r.created_at),
    })),
    keys: keyRows.map((r) => ({
      id: String(r.id),
      orgId: String(r.org_id),
      label: r.label === null || r.label === undefined ? "" : String(r.label),
      prefix: r.prefix === null || r.prefix === undefined ? "" : String(r.prefix),
      keyHash: r.key_hash === null || r.key_hash === undefined ? "" : String(r.key_hash),
      isActive: _bool(r.is_active),
      scopes: _json(r.scopes),
      rateLimitPerMinute: _n(r.rate_limit_per_minute),
      monthlyLimit: _n(r.monthly_limit),
      createdAt: epochSeconds(r.created_at),
      expiresAt: epochSeconds(r.expires_at),
      lastUsedAt: epochSeconds(r.last_used_at),
    })),
    usage: usageRows.map((r) => ({
      keyId: String(r.key_id),
      minute: Number(r.minute),
      requests: Number(r.requests),
      errors: Number(r.errors ?? 0),
      last: Number(r.last),
    })),
    usageWithoutTime,
  };
}

function _reason(e: unknown): string {
  const c = e instanceof KeypebbleError && e.cause !== undefined ? e.cause : e;
  return (c instanceof Error ? c.message : String(c)).split("\n")[0];
}
