/**
 * Issue 13's schema block (versions 10–19): stored accounts, refresh-token families, revoked
 * token ids, groups and their members, and runtime settings (the registration switch).
 */

import type { Migration } from "./migrations.ts";

/** Accounts, refresh families, revoked jtis, groups, settings. */
export const ACCOUNT_MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    name: "accounts_refresh_revocations_groups",
    tables: [
      "users",
      "refresh_tokens",
      "revoked_jtis",
      "account_groups",
      "account_group_members",
      "settings",
    ],
    up: [
      `CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        username TEXT UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        org_id TEXT NOT NULL,
        status TEXT NOT NULL,
        must_change_password BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_login_at BIGINT
      )`,
      `CREATE INDEX users_org ON users (org_id)`,
      `CREATE TABLE refresh_tokens (
        hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        client_id TEXT,
        scope TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        revoked_at BIGINT
      )`,
      `CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`,
      `CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`,
      `CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at)`,
      `CREATE TABLE revoked_jtis (
        jti TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT NOT NULL
      )`,
      `CREATE INDEX revoked_jtis_expiry ON revoked_jtis (expires_at)`,
      `CREATE TABLE account_groups (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        org_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (org_id, name)
      )`,
      `CREATE TABLE account_group_members (
        group_id TEXT NOT NULL REFERENCES account_groups(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (group_id, user_id)
      )`,
      `CREATE INDEX account_group_members_user ON account_group_members (user_id)`,
      `CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      )`,
    ],
  },
];
