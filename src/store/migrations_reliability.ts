/**
 * Issue 20's schema block (versions 30–39): what the store needs to survive faults.
 *
 * - 30: a refresh token remembers its successor, so that presenting it again within
 *   `accounts.refresh_reuse_seconds` (a client whose answer was lost retries) returns the same
 *   successor instead of revoking the family. `successor_hash` names the successor row;
 *   `successor_sealed` is the successor itself, encrypted under a key derived from the used
 *   token (src/accounts/refresh_seal.ts): only whoever holds the used token can open it, and
 *   the store alone (whose rows keep hashes only) cannot.
 */

import type { Migration } from "./migrations.ts";

/** Refresh rotation with a retry window. */
export const RELIABILITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 30,
    name: "refresh_token_successors",
    up: [
      "ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT",
      "ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT",
    ],
  },
];
