/**
 * Issue 20's audit block (versions 60–69): the audit trail. One row per event: every token issued
 * and every change made through the admin API, the account API and the CLI (src/audit/).
 *
 * - `at` is milliseconds since the epoch (events of one second keep their order); `id` a UUIDv7
 *   (RFC 9562 §5.7: time-ordered, so new rows append to the indexes instead of landing on random
 *   pages), the tie-breaker of the newest-first order and of paging.
 * - `actor_kind` / `actor`: who (anonymous, a policy user, an API key id, an account id, an OAuth
 *   client id, a SPIFFE ID, the local user of a CLI command); `target`: what was acted on (a key
 *   id, an organisation, an account id, a token's subject); `org`: the organisation the event
 *   concerns (what an org admin may read); `client`: the client address.
 * - `kind` and `jti` for tokens (not indexed: a token's jti is random, and keeping an index of
 *   random keys cost some 20 µs per issued token in SQLite, measured; a `jti` filter walks the
 *   time index newest first, so combine it with `since` on a large trail); `details` a JSON
 *   object (a token's `aud`, `scope` or `access`, `exp`; a new role; a successor key's id).
 *   Never a token, a key or a password.
 *
 * The table is history (`history`): `store import` adds an export's events to those the store
 * holds and `store restore` keeps the events recorded since the backup, so neither rewinds the
 * trail (src/store/transfer.ts).
 */

import type { Migration } from "./migrations.ts";

/** The version that creates the audit table. */
export const AUDIT_SCHEMA_VERSION = 60;

/** The audit trail's table. */
export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: AUDIT_SCHEMA_VERSION,
    name: "audit_events",
    tables: ["audit_events"],
    history: ["audit_events"],
    up: [
      `CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor_kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        target TEXT NOT NULL,
        org TEXT,
        client TEXT,
        kind TEXT,
        jti TEXT,
        details TEXT NOT NULL
      )`,
      `CREATE INDEX audit_events_at ON audit_events (at, id)`,
      `CREATE INDEX audit_events_org ON audit_events (org, at)`,
      `CREATE INDEX audit_events_actor ON audit_events (actor, at)`,
      `CREATE INDEX audit_events_target ON audit_events (target, at)`,
    ],
  },
];
