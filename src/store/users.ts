/** Queries on stored accounts and the runtime settings they share a feature with. */

import type { SqlDb } from "./sql.ts";
import type { Role, UserRecord, UserStatus } from "./types.ts";

/** Account queries. */
export interface UserQueries {
  insert(user: UserRecord): Promise<void>;
  byId(id: string): Promise<UserRecord | undefined>;
  /** By e-mail (compared in lower case). */
  byEmail(email: string): Promise<UserRecord | undefined>;
  byUsername(username: string): Promise<UserRecord | undefined>;
  list(filter?: { orgId?: string }): Promise<UserRecord[]>;
  count(): Promise<number>;
  setRole(id: string, role: Role, at: number): Promise<boolean>;
  setStatus(id: string, status: UserStatus, at: number): Promise<boolean>;
  /** Ids of the suspended accounts. */
  suspendedIds(): Promise<string[]>;
  setPassword(
    id: string,
    hash: string,
    options: { at: number; mustChange: boolean },
  ): Promise<boolean>;
  touchLogin(id: string, at: number): Promise<void>;
  /** A runtime setting (e.g. `registration`), or undefined when never set. */
  setting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;
}

type Row = Record<string, unknown>;

const ROLES: readonly Role[] = ["superadmin", "org_admin", "operator", "viewer"];

function _user(r: Row): UserRecord {
  const role = ROLES.includes(r.role as Role) ? r.role as Role : "viewer";
  return {
    id: String(r.id),
    email: String(r.email),
    username: r.username === null || r.username === undefined ? null : String(r.username),
    displayName: String(r.display_name),
    passwordHash: String(r.password_hash),
    role,
    orgId: String(r.org_id),
    status: r.status === "suspended" ? "suspended" : "active",
    mustChangePassword: Number(r.must_change_password) === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastLoginAt: r.last_login_at === null || r.last_login_at === undefined
      ? null
      : Number(r.last_login_at),
  };
}

/** Account queries over a database. */
export function userQueries(db: SqlDb): UserQueries {
  const one = async (sql: string, v: string) => {
    const rows = await db.all(sql, [v]);
    return rows.length === 0 ? undefined : _user(rows[0]);
  };
  return {
    async insert(u: UserRecord): Promise<void> {
      await db.run(
        `INSERT INTO users (id, email, username, display_name, password_hash, role, org_id,
          status, must_change_password, created_at, updated_at, last_login_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    byId: (id) => one("SELECT * FROM users WHERE id = ?", id),
    byEmail: (email) => one("SELECT * FROM users WHERE email = ?", email.toLowerCase()),
    byUsername: (name) => one("SELECT * FROM users WHERE username = ?", name),
    async list(filter: { orgId?: string } = {}): Promise<UserRecord[]> {
      const rows = filter.orgId === undefined
        ? await db.all("SELECT * FROM users ORDER BY created_at, id")
        : await db.all("SELECT * FROM users WHERE org_id = ? ORDER BY created_at, id", [
          filter.orgId,
        ]);
      return rows.map(_user);
    },
    async count(): Promise<number> {
      const rows = await db.all<{ n: unknown }>("SELECT COUNT(*) AS n FROM users");
      return Number(rows[0].n);
    },
    async setRole(id: string, role: Role, at: number): Promise<boolean> {
      return (await db.run("UPDATE users SET role = ?, updated_at = ? WHERE id = ?", [
        role,
        at,
        id,
      ])) > 0;
    },
    async suspendedIds(): Promise<string[]> {
      const rows = await db.all("SELECT id FROM users WHERE status = 'suspended'");
      return rows.map((r) => String(r.id));
    },
    async setStatus(id: string, status: UserStatus, at: number): Promise<boolean> {
      return (await db.run("UPDATE users SET status = ?, updated_at = ? WHERE id = ?", [
        status,
        at,
        id,
      ])) > 0;
    },
    async setPassword(id, hash, options): Promise<boolean> {
      return (await db.run(
        `UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ?
         WHERE id = ?`,
        [hash, options.mustChange ? 1 : 0, options.at, id],
      )) > 0;
    },
    async touchLogin(id: string, at: number): Promise<void> {
      await db.run("UPDATE users SET last_login_at = ? WHERE id = ?", [at, id]);
    },
    async setting(name: string): Promise<string | undefined> {
      const rows = await db.all<{ value: unknown }>("SELECT value FROM settings WHERE name = ?", [
        name,
      ]);
      return rows.length === 0 ? undefined : String(rows[0].value);
    },
    async setSetting(name: string, value: string): Promise<void> {
      await db.run(
        `INSERT INTO settings (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
        [name, value],
      );
    },
  };
}
