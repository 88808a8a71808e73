/** The records the store keeps. Times are seconds since the epoch. */

/** `active` or `suspended` (every key of a suspended organisation is refused). */
export type OrgStatus = "active" | "suspended";

/** An organisation: the owner of API keys. */
export interface Org {
  readonly id: string;
  readonly name: string;
  readonly status: OrgStatus;
  readonly createdAt: number;
}

/** An organisation with its number of keys (for listings). */
export interface OrgSummary extends Org {
  readonly keyCount: number;
}

/** `active` or `revoked`. Expiry is a time, not a status. */
export type KeyStatus = "active" | "revoked";

/**
 * How a key's stored `hash` was made: `hmac` (ours, HMAC-SHA-256 under the pepper), or the
 * scheme of the system it was imported from until it is first presented here: `keyguard`
 * (SHA-256 of the key followed by keyguard's `secret_key`), `sha256` (pico-auth service tokens).
 */
export type KeyHashScheme = "hmac" | "keyguard" | "sha256";

/** Where an imported key came from. */
export type KeyOrigin = "keyguard" | "pico-auth";

/** An API key as stored: never the key itself, only its peppered HMAC. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly orgId: string;
  readonly label: string;
  /** The configured prefix, e.g. `kp_live_`. */
  readonly prefix: string;
  /** The first characters of the key, safe to show (prefix + 4). */
  readonly displayPrefix: string;
  /** Hex HMAC-SHA-256 of the whole key under the pepper (or under `hashScheme`). */
  readonly hash: string;
  /** Absent: `hmac`. Imported rows carry their source's scheme until first presented. */
  readonly hashScheme?: KeyHashScheme;
  /** Absent or null: made here. Imported keys keep their prefix whatever is configured. */
  readonly origin?: KeyOrigin | null;
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly audiences: readonly string[];
  readonly rateLimitPerMinute: number | null;
  readonly monthlyQuota: number | null;
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly status: KeyStatus;
  readonly revokedAt: number | null;
  /** Set on a rolled key: the id of its successor. */
  readonly replacedBy: string | null;
  /**
   * How far an `admin` key reaches: `all` organisations (a root principal's key), or `org`, its
   * own. Meaningless without the `admin` scope.
   */
  readonly reach: KeyReach;
}

/** The reach of an admin key. */
export type KeyReach = "org" | "all";

/** A key with its organisation's name and status, as a key check needs it. */
export interface ApiKeyWithOrg extends ApiKeyRecord {
  readonly orgName: string;
  readonly orgStatus: OrgStatus;
}

/** What is blocked: a client address or a principal (user, key id or subject). */
export type BlockKind = "address" | "principal";

/** A block set by an administrator, until a time. */
export interface Block {
  readonly kind: BlockKind;
  readonly value: string;
  readonly until: number;
  readonly reason: string;
  readonly createdAt: number;
}

/** Requests and errors of one key in one minute, added to the stored counters. */
export interface UsageDelta {
  readonly keyId: string;
  /** Start of the minute, seconds since the epoch. */
  readonly minute: number;
  readonly requests: number;
  readonly errors: number;
  /** Latest use within the batch. */
  readonly lastUsedAt: number;
}

/** Usage totals over a period. */
export interface UsageTotals {
  readonly requests: number;
  readonly errors: number;
}

/** Which keys a usage query counts: one key, one organisation's, or (neither) every key. */
export interface UsageFilter {
  readonly keyId?: string;
  readonly orgName?: string;
}

/** Requests and errors in one time bucket. */
export interface UsageBucket {
  /** Start of the bucket, seconds since the epoch. */
  readonly start: number;
  readonly requests: number;
  readonly errors: number;
}

/** Requests of one key over a period. */
export interface KeyUsage {
  readonly keyId: string;
  readonly requests: number;
  readonly errors: number;
}

/** The four account roles (issue 13), most powerful first. */
export type Role = "superadmin" | "org_admin" | "operator" | "viewer";

/** `active` or `suspended` (a suspended account cannot log in or refresh). */
export type UserStatus = "active" | "suspended";

/** A stored account. `email` is kept in lower case; `username` is optional. */
export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly username: string | null;
  readonly displayName: string;
  /** PBKDF2 (ours or passlib), bcrypt or apr1; never shown. */
  readonly passwordHash: string;
  readonly role: Role;
  /** The organisation (by name) the account belongs to. */
  readonly orgId: string;
  readonly status: UserStatus;
  /** Set for the bootstrap admin whose password was printed: it must be changed first. */
  readonly mustChangePassword: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastLoginAt: number | null;
}

/** One refresh token of a rotation family, stored by hash only. */
export interface RefreshTokenRecord {
  /** Hex SHA-256 of the opaque token. */
  readonly hash: string;
  readonly familyId: string;
  readonly userId: string;
  readonly clientId: string | null;
  readonly scope: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it was exchanged (single use): presenting it again is reuse. */
  readonly usedAt: number | null;
  readonly revokedAt: number | null;
  /** Set when it was exchanged: the hash of its successor (the retry window returns it). */
  readonly successorHash?: string | null;
  /** The successor, sealed under a key only the holder of this token can derive. */
  readonly successorSealed?: string | null;
  /** Absent or null: ours (`kprt_…`); `pico-auth`: imported, presented in pico-auth's form. */
  readonly origin?: RefreshOrigin | null;
}

/** Where an imported refresh token came from. */
export type RefreshOrigin = "pico-auth";

/** A group of accounts within an organisation. */
export interface GroupRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly orgId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A member of a group. */
export interface GroupMember {
  readonly userId: string;
  readonly joinedAt: number;
}

/**
 * One audit event as stored (src/audit/): a token issued or a change made, by whom, to what,
 * with what outcome. Never a token, a key or a password.
 */
export interface AuditRecord {
  /** A random UUID. */
  readonly id: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** e.g. `token.issued`, `key.created` (docs/operations.md "Audit trail"). */
  readonly action: string;
  /** `success`, or the refusal's error code (`forbidden`, `not_found`, …). */
  readonly outcome: string;
  /** `anonymous`, `user`, `api_key`, `account`, `client`, `spiffe` or `cli`. */
  readonly actorKind: string;
  /** The actor's subject: a user, a key id, an account id, a client id, a local user name. */
  readonly actor: string;
  /** What was acted on (a key id, an organisation name, an account id, a token's subject). */
  readonly target: string;
  /** The organisation the event concerns (what an org admin reads), when there is one. */
  readonly org: string | null;
  /** The client address (null for the CLI). */
  readonly client: string | null;
  /** The token kind, for `token.*` events. */
  readonly kind: string | null;
  readonly jti: string | null;
  /** More facts (a token's `aud`, `scope`, `access`, `exp`; a new role; a successor's id). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Which audit events to read: all filters combine; newest first. */
export interface AuditSelection {
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number;
  /** Milliseconds since the epoch, exclusive. */
  readonly until?: number;
  readonly actor?: string;
  /** An action, or a prefix of one ending in `*` (`key.*`). */
  readonly action?: string;
  readonly target?: string;
  readonly org?: string;
  readonly jti?: string;
  readonly outcome?: string;
  /** At most this many (1–1000). */
  readonly limit: number;
  /** Only events older than this one (paging): its time and id. */
  readonly before?: { readonly at: number; readonly id: string };
}
