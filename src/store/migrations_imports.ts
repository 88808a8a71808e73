/**
 * Issue 22's schema block (versions 40–49): data brought over from keyguard and pico-auth.
 *
 * - `api_keys.hash_scheme`: how the row's `hash` was made. `hmac` (ours: HMAC-SHA-256 under the
 *   pepper) for every key Keypebble creates; `keyguard` (SHA-256 of the key followed by
 *   keyguard's `secret_key`) and `sha256` (pico-auth's service tokens: SHA-256 of the token) for
 *   imported rows until their key is first presented, when the row moves to `hmac`.
 * - `api_keys.origin`: `keyguard` or `pico-auth` for imported keys (which keep their own prefix,
 *   whatever `store.accepted_prefixes` says), NULL for ours.
 * - `refresh_tokens.origin`: `pico-auth` for refresh tokens imported from pico-auth (whose raw
 *   form is not ours), NULL for ours.
 * - `import_records`: one row per imported source record (by peer, kind and the peer's id), with
 *   digests of what was imported, so that a second import updates instead of duplicating and
 *   never puts back a secret that has since moved to our scheme.
 */

import type { Migration } from "./migrations.ts";

/** Hash schemes, refresh-token origins and import bookkeeping. */
export const IMPORT_MIGRATIONS: readonly Migration[] = [
  {
    version: 40,
    name: "imports_hash_schemes",
    tables: ["import_records"],
    up: [
      `ALTER TABLE api_keys ADD COLUMN hash_scheme TEXT NOT NULL DEFAULT 'hmac'`,
      `ALTER TABLE api_keys ADD COLUMN origin TEXT`,
      `ALTER TABLE refresh_tokens ADD COLUMN origin TEXT`,
      `CREATE TABLE import_records (
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        local_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        secret_digest TEXT,
        imported_at BIGINT NOT NULL,
        PRIMARY KEY (source, kind, source_id)
      )`,
    ],
  },
];
