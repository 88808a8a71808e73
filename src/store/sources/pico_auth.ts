/**
 * Reading a pico-auth database (pico-auth 0.3.0, `pico_auth/models.py`): `users` (id, email,
 * display_name, password_hash = bcrypt, role, org_id, status, created_at, last_login_at),
 * `groups` and `group_members`, `refresh_tokens` (id, user_id, token_hash = hex SHA-256 of the
 * raw token, expires_at, created_at) and `service_tokens` (id, name, token_hash = hex SHA-256 of
 * the raw `pico_svc_…` token, role, org_id, description, created_at, revoked_at). Times are ISO
 * 8601 strings. `email_credentials` is only counted: Keypebble has no e-mail credential store.
 */

import { KeypebbleError } from "../../errors.ts";
import type { SqlDb } from "../sql.ts";
import { epochSeconds } from "./times.ts";

/** A pico-auth account. */
export interface PicoUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly role: string;
  readonly orgId: string;
  readonly status: string;
  readonly createdAt: number | null;
  readonly lastLoginAt: number | null;
}

/** A pico-auth group. */
export interface PicoGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly orgId: string;
  readonly createdAt: number | null;
  readonly updatedAt: number | null;
}

/** A member of a pico-auth group. */
export interface PicoMember {
  readonly groupId: string;
  readonly userId: string;
  readonly joinedAt: number | null;
}

/** A pico-auth refresh token (hash only). */
export interface PicoRefreshToken {
  readonly id: string;
  readonly userId: string;
  /** Hex SHA-256 of the raw token. */
  readonly tokenHash: string;
  readonly expiresAt: number | null;
  readonly createdAt: number | null;
}

/** A pico-auth service token (hash only). */
export interface PicoServiceToken {
  readonly id: string;
  readonly name: string;
  /** Hex SHA-256 of the raw `pico_svc_…` token. */
  readonly tokenHash: string;
  readonly role: string;
  readonly orgId: string;
  readonly description: string;
  readonly createdAt: number | null;
  readonly revokedAt: number | null;
}

/** Everything read from a pico-auth database. */
export interface PicoAuthData {
  readonly users: readonly PicoUser[];
  readonly groups: readonly PicoGroup[];
  readonly members: readonly PicoMember[];
  readonly refreshTokens: readonly PicoRefreshToken[];
  readonly serviceTokens: readonly PicoServiceToken[];
  /** Rows of `email_credentials` (not imported). */
  readonly emailCredentials: number;
}

const _s = (v: unknown, dflt = ""): string => v === null || v === undefined ? dflt : String(v);

/**
 * Read a pico-auth database. Tables pico-auth creates on first use (`groups`, `service_tokens`,
 * …) are read as empty when absent; `users` must exist.
 *
 * @throws {KeypebbleError} `store_error` when `users` is not pico-auth's
 */
export async function readPicoAuth(db: SqlDb): Promise<PicoAuthData> {
  let users: Record<string, unknown>[];
  try {
    users = await db.all(
      `SELECT id, email, display_name, password_hash, role, org_id, status, created_at,
        last_login_at FROM users ORDER BY id`,
    );
  } catch (e) {
    throw new KeypebbleError(
      "store_error",
      `The source is not a pico-auth database (no users table as pico-auth writes it): ${
        _reason(e)
      }`,
      { cause: e },
    );
  }
  const tables = new Set(
    (await db.all<{ name: unknown }>(
      db.dialect === "sqlite"
        ? "SELECT name FROM sqlite_master WHERE type = 'table'"
        : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
    )).map((r) => String(r.name)),
  );
  const read = async (table: string, sql: string): Promise<Record<string, unknown>[]> => {
    if (!tables.has(table)) return [];
    try {
      return await db.all(sql);
    } catch (e) {
      throw new KeypebbleError(
        "store_error",
        `The source's ${table} table cannot be read as pico-auth writes it: ${_reason(e)}`,
        { cause: e },
      );
    }
  };
  const groups = await read(
    "groups",
    "SELECT id, name, description, org_id, created_at, updated_at FROM groups ORDER BY id",
  );
  const members = await read(
    "group_members",
    "SELECT group_id, user_id, joined_at FROM group_members ORDER BY group_id, user_id",
  );
  const refresh = await read(
    "refresh_tokens",
    "SELECT id, user_id, token_hash, expires_at, created_at FROM refresh_tokens ORDER BY id",
  );
  const service = await read(
    "service_tokens",
    `SELECT id, name, token_hash, role, org_id, description, created_at, revoked_at
     FROM service_tokens ORDER BY id`,
  );
  const creds = await read("email_credentials", "SELECT COUNT(*) AS n FROM email_credentials");
  return {
    users: users.map((r) => ({
      id: _s(r.id),
      email: _s(r.email),
      displayName: _s(r.display_name),
      passwordHash: _s(r.password_hash),
      role: _s(r.role, "viewer"),
      orgId: _s(r.org_id, "default"),
      status: _s(r.status, "active"),
      createdAt: epochSeconds(r.created_at),
      lastLoginAt: epochSeconds(r.last_login_at),
    })),
    groups: groups.map((r) => ({
      id: _s(r.id),
      name: _s(r.name),
      description: _s(r.description),
      orgId: _s(r.org_id, "default"),
      createdAt: epochSeconds(r.created_at),
      updatedAt: epochSeconds(r.updated_at),
    })),
    members: members.map((r) => ({
      groupId: _s(r.group_id),
      userId: _s(r.user_id),
      joinedAt: epochSeconds(r.joined_at),
    })),
    refreshTokens: refresh.map((r) => ({
      id: _s(r.id),
      userId: _s(r.user_id),
      tokenHash: _s(r.token_hash),
      expiresAt: epochSeconds(r.expires_at),
      createdAt: epochSeconds(r.created_at),
    })),
    serviceTokens: service.map((r) => ({
      id: _s(r.id),
      name: _s(r.name),
      tokenHash: _s(r.token_hash),
      role: _s(r.role, "operator"),
      orgId: _s(r.org_id, "default"),
      description: _s(r.description),
      createdAt: epochSeconds(r.created_at),
      revokedAt: epochSeconds(r.revoked_at),
    })),
    emailCredentials: Number(creds[0]?.n ?? 0),
  };
}

function _reason(e: unknown): string {
  const c = e instanceof KeypebbleError && e.cause !== undefined ? e.cause : e;
  return (c instanceof Error ? c.message : String(c)).split("\n")[0];
}
