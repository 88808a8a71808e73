/**
 * Issue 24's schema block (versions 50–59): sign-in with Keypebble (OpenID Connect). Browser
 * sessions, authorization codes, TOTP enrolments, recovery codes and OIDC clients kept through
 * the admin API. Secrets are never stored in clear: session cookies and authorization codes as
 * SHA-256 (they are 256 random bits), recovery codes as HMAC under a pepper-derived key, TOTP
 * secrets sealed with AES-256-GCM under a pepper-derived key (they must be recoverable to compute
 * codes), client secrets as PBKDF2.
 */

import type { Migration } from "./migrations.ts";

/** Sessions, codes, TOTP, recovery codes, clients. */
export const OIDC_MIGRATIONS: readonly Migration[] = [
  {
    version: 50,
    name: "oidc_sessions_codes_totp_clients",
    tables: ["oidc_sessions", "oidc_codes", "account_totp", "recovery_codes", "oidc_clients"],
    up: [
      `CREATE TABLE oidc_sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        auth_time BIGINT NOT NULL,
        amr TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        ended_at BIGINT,
        end_reason TEXT
      )`,
      `CREATE INDEX oidc_sessions_user ON oidc_sessions (user_id)`,
      `CREATE INDEX oidc_sessions_expiry ON oidc_sessions (expires_at)`,
      `CREATE TABLE oidc_codes (
        hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        nonce TEXT,
        scope TEXT NOT NULL,
        session_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        auth_time BIGINT NOT NULL,
        amr TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        issued TEXT
      )`,
      `CREATE INDEX oidc_codes_nonce ON oidc_codes (client_id, nonce)`,
      `CREATE INDEX oidc_codes_expiry ON oidc_codes (expires_at)`,
      `CREATE TABLE account_totp (
        user_id TEXT PRIMARY KEY,
        secret TEXT,
        pending_secret TEXT,
        pending_at BIGINT,
        pending_recovery TEXT,
        confirmed_at BIGINT,
        last_step BIGINT,
        required BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE recovery_codes (
        user_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        used_at BIGINT,
        PRIMARY KEY (user_id, hash)
      )`,
      `CREATE TABLE oidc_clients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT,
        redirect_uris TEXT NOT NULL,
        post_logout_redirect_uris TEXT NOT NULL,
        scopes TEXT NOT NULL,
        audiences TEXT NOT NULL,
        first_party BIGINT NOT NULL,
        org_id TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
];
