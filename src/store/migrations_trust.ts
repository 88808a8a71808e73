/**
 * Issue 19's schema block (versions 20–29): the trust model. Admin keys get a reach (their own
 * organisation, or every one), and subjects get a cutoff: tokens issued before it are revoked (a
 * password change, a reset, a suspension).
 */

import type { Migration } from "./migrations.ts";

/** Key reach and token cutoffs. */
export const TRUST_MIGRATIONS: readonly Migration[] = [
  {
    version: 20,
    name: "key_reach_token_cutoffs",
    tables: ["token_cutoffs"],
    up: [
      // `all`: an admin key of every organisation (a root principal's); NULL: its own only.
      `ALTER TABLE api_keys ADD COLUMN reach TEXT`,
      // Admin keys made before the trust model reached every organisation: they keep it (an
      // upgrade invalidates nothing a client holds); docs/operations.md ("Upgrading") says how to review them.
      `UPDATE api_keys SET reach = 'all' WHERE scopes LIKE '%"admin"%'`,
      `CREATE INDEX api_keys_revoked ON api_keys (revoked_at)`,
      `CREATE TABLE token_cutoffs (
        subject TEXT PRIMARY KEY,
        not_before BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
    ],
  },
];
