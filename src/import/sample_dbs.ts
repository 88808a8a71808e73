/**
 * Hand-built keyguard and pico-auth databases for the import's unit tests: the tables as those
 * programs create them on SQLite (keyguard-python 0.3.0's `keyguard/db/models.py`, pico-auth
 * 0.3.0's `pico_auth/models.py`, written from their published schemas), filled row by row. The
 * end-to-end tests (tests/e2e/import_*_test.ts) use databases written by the real programs.
 */

import { DatabaseSync } from "node:sqlite";

/** SHA-256 (hex) of a string, by Web Crypto: independent of the code under test. */
export async function sha256HexOf(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A keyguard key as keyguard makes one: the prefix then 43 base64url characters. */
export function keyguardRawKey(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return prefix + btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A keyguard database on SQLite, with helpers that insert as keyguard does. */
export class KeyguardDb {
  readonly db: DatabaseSync;
  readonly secret: string;

  constructor(path: string, secret: string) {
    this.db = new DatabaseSync(path);
    this.secret = secret;
    this.db.exec(`
      CREATE TABLE organizations (id VARCHAR(36) NOT NULL, name VARCHAR NOT NULL, status VARCHAR,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id));
      CREATE TABLE api_keys (id VARCHAR(36) NOT NULL, org_id VARCHAR(36) NOT NULL,
        label VARCHAR NOT NULL, prefix VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
        is_active BOOLEAN, scopes JSON, rate_limit_per_minute INTEGER, monthly_limit BIGINT,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP, expires_at DATETIME, last_used_at DATETIME,
        PRIMARY KEY (id), FOREIGN KEY(org_id) REFERENCES organizations (id));
      CREATE UNIQUE INDEX ix_api_keys_key_hash ON api_keys (key_hash);
      CREATE TABLE usage_logs (id VARCHAR(36) NOT NULL, key_id VARCHAR(36) NOT NULL,
        path VARCHAR NOT NULL, method VARCHAR NOT NULL, status_code INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL, ip_address VARCHAR NOT NULL,
        timestamp DATETIME DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id),
        FOREIGN KEY(key_id) REFERENCES api_keys (id));`);
  }

  /** Add an organisation; resolves to its id. */
  org(name: string, status = "active"): string {
    const id = crypto.randomUUID();
    this.db.prepare("INSERT INTO organizations (id, name, status) VALUES (?, ?, ?)").run(
      id,
      name,
      status,
    );
    return id;
  }

  /** Add a key (`raw` given, or made with `prefix`); resolves to its id and raw key. */
  async key(
    orgId: string,
    options: {
      label?: string;
      prefix?: string;
      raw?: string;
      scopes?: unknown;
      rateLimit?: number | null;
      monthlyLimit?: number | null;
      active?: boolean;
      expiresAt?: string | null;
    } = {},
  ): Promise<{ id: string; raw: string }> {
    const raw = options.raw ?? keyguardRawKey(options.prefix ?? "kg_live_");
    const id = crypto.randomUUID();
    this.db.prepare(
      `INSERT INTO api_keys (id, org_id, label, prefix, key_hash, is_active, scopes,
        rate_limit_per_minute, monthly_limit, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      orgId,
      options.label ?? "key",
      raw.slice(0, 12),
      await sha256HexOf(raw + this.secret),
      options.active === false ? 0 : 1,
      JSON.stringify(options.scopes ?? ["read"]),
      options.rateLimit === undefined ? 60 : options.rateLimit,
      options.monthlyLimit ?? null,
      options.expiresAt ?? null,
    );
    return { id, raw };
  }

  /** Log one request of a key at a time (`YYYY-MM-DD HH:MM:SS`, UTC). */
  use(keyId: string, at: string, status = 200): void {
    this.db.prepare(
      `INSERT INTO usage_logs (id, key_id, path, method, status_code, latency_ms, ip_address,
        timestamp) VALUES (?, ?, '/api/data', 'GET', ?, 3, '127.0.0.1', ?)`,
    ).run(crypto.randomUUID(), keyId, status, at);
  }

  close(): void {
    this.db.close();
  }
}

/** bcrypt (cost 4) of `alice-password-1`, made by Python's bcrypt as pico-auth does. */
export const ALICE_BCRYPT = "$2b$04$2ryZqndhpEH1O/Eg5kZvHeBU.hbhX3mcF3ej5GY0JKi/5Huk7HuxO";
/** bcrypt (cost 4) of `new-password-22`. */
export const NEW_BCRYPT = "$2b$04$8gwqdICanDHrd43qL15JJ.dcGAdmZuPLrcP4/YsuHRsNDbxiiTfKG";

/** A pico-auth database on SQLite, with helpers that insert as pico-auth does. */
export class PicoAuthDb {
  readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      CREATE TABLE users (id VARCHAR(36) NOT NULL, email VARCHAR(255) NOT NULL,
        display_name VARCHAR(255) NOT NULL, password_hash VARCHAR(255) NOT NULL,
        role VARCHAR(50) NOT NULL, org_id VARCHAR(100) NOT NULL, status VARCHAR(50) NOT NULL,
        created_at VARCHAR(50) NOT NULL, last_login_at VARCHAR(50), PRIMARY KEY (id));
      CREATE UNIQUE INDEX ix_users_email ON users (email);
      CREATE TABLE groups (id VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL,
        description VARCHAR(500) NOT NULL, org_id VARCHAR(100) NOT NULL,
        created_at VARCHAR(50) NOT NULL, updated_at VARCHAR(50) NOT NULL, PRIMARY KEY (id));
      CREATE TABLE group_members (group_id VARCHAR(36) NOT NULL, user_id VARCHAR(36) NOT NULL,
        joined_at VARCHAR(50) NOT NULL, PRIMARY KEY (group_id, user_id));
      CREATE TABLE refresh_tokens (id VARCHAR(36) NOT NULL, user_id VARCHAR(36) NOT NULL,
        token_hash VARCHAR(64) NOT NULL, expires_at VARCHAR(50) NOT NULL,
        created_at VARCHAR(50) NOT NULL, PRIMARY KEY (id));
      CREATE TABLE service_tokens (id VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL,
        token_hash VARCHAR(64) NOT NULL, role VARCHAR(50) NOT NULL, org_id VARCHAR(100) NOT NULL,
        description VARCHAR(500) NOT NULL, created_at VARCHAR(50) NOT NULL,
        revoked_at VARCHAR(50), PRIMARY KEY (id));
      CREATE TABLE email_credentials (id VARCHAR(36) NOT NULL, agent_id VARCHAR(128) NOT NULL,
        email VARCHAR(256) NOT NULL, imap_host VARCHAR(256) NOT NULL, imap_port INTEGER NOT NULL,
        smtp_host VARCHAR(256) NOT NULL, smtp_port INTEGER NOT NULL,
        username VARCHAR(256) NOT NULL, password VARCHAR(512) NOT NULL, use_tls BOOLEAN NOT NULL,
        created_at VARCHAR(50) NOT NULL, PRIMARY KEY (id));`);
  }

  /** A 12-hex id as pico-auth makes them (`uuid4().hex[:12]`). */
  static id(): string {
    return crypto.randomUUID().replace(/-/g, "").slice(0, 12);
  }

  user(
    email: string,
    options: { hash?: string; role?: string; org?: string; status?: string; id?: string } = {},
  ): string {
    const id = options.id ?? PicoAuthDb.id();
    this.db.prepare(
      `INSERT INTO users (id, email, display_name, password_hash, role, org_id, status,
        created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      email,
      email.split("@")[0],
      options.hash ?? ALICE_BCRYPT,
      options.role ?? "viewer",
      options.org ?? "default",
      options.status ?? "active",
      "2026-06-01T10:00:00.000000+00:00",
    );
    return id;
  }

  group(name: string, org = "default"): string {
    const id = PicoAuthDb.id();
    this.db.prepare(
      `INSERT INTO groups (id, name, description, org_id, created_at, updated_at)
       VALUES (?, ?, 'd', ?, '2026-06-01T10:00:00+00:00', '2026-06-01T10:00:00+00:00')`,
    ).run(id, name, org);
    return id;
  }

  member(groupId: string, userId: string): void {
    this.db.prepare(
      "INSERT INTO group_members (group_id, user_id, joined_at) VALUES (?, ?, ?)",
    ).run(groupId, userId, "2026-06-01T10:00:00+00:00");
  }

  /** A refresh token as pico-auth makes one (`uuid4().hex`); resolves to its raw form and id. */
  async refresh(userId: string, expiresAt: string): Promise<{ id: string; raw: string }> {
    const raw = crypto.randomUUID().replace(/-/g, "");
    const id = PicoAuthDb.id();
    this.db.prepare(
      `INSERT INTO refresh_tokens (id, user_id, token_hash, expires_at, created_at)
       VALUES (?, ?, ?, ?, '2026-06-01T10:00:00+00:00')`,
    ).run(id, userId, await sha256HexOf(raw), expiresAt);
    return { id, raw };
  }

  /** A service token as pico-auth makes one (`pico_svc_` + 64 hex). */
  async serviceToken(
    name: string,
    options: { role?: string; org?: string; revokedAt?: string } = {},
  ): Promise<{ id: string; raw: string }> {
    const raw = "pico_svc_" +
      [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0"))
        .join("");
    const id = PicoAuthDb.id();
    this.db.prepare(
      `INSERT INTO service_tokens (id, name, token_hash, role, org_id, description, created_at,
        revoked_at) VALUES (?, ?, ?, ?, ?, '', '2026-06-01T10:00:00+00:00', ?)`,
    ).run(
      id,
      name,
      await sha256HexOf(raw),
      options.role ?? "operator",
      options.org ?? "default",
      options.revokedAt ?? null,
    );
    return { id, raw };
  }

  close(): void {
    this.db.close();
  }
}
