/** The records of sign-in with Keypebble (issue 24). Times are seconds since the epoch. */

/** Why a browser session ended. */
export type SessionEndReason =
  | "sign_out"
  | "password_change"
  | "suspended"
  | "totp_reset"
  | "admin"
  | "replaced";

/** A browser session: the server side of the session cookie. */
export interface OidcSessionRecord {
  /** Public id, the ID token's `sid` (never the cookie value). */
  readonly id: string;
  /** Hex SHA-256 of the cookie value. */
  readonly tokenHash: string;
  readonly userId: string;
  /** When the person last authenticated (the ID token's `auth_time`). */
  readonly authTime: number;
  /** Methods used (RFC 8176): `["pwd"]` or `["pwd", "otp"]`. */
  readonly amr: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | null;
  readonly endReason: SessionEndReason | null;
}

/** What a code's redemption issued, kept so that a reused code revokes it. */
export interface CodeIssued {
  /** `jti`s of the access and ID tokens. */
  readonly jtis: readonly string[];
  /** The refresh-token family started, if any. */
  readonly familyId: string | null;
  /** Until when the jtis need revoking (the longest token's `exp`). */
  readonly expiresAt: number;
}

/** An authorization code, stored by hash only, bound to everything its redemption checks. */
export interface AuthCodeRecord {
  /** Hex SHA-256 of the code. */
  readonly hash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The S256 `code_challenge`. */
  readonly codeChallenge: string;
  readonly nonce: string | null;
  /** Space-separated granted scopes. */
  readonly scope: string;
  /** The session's public id (`sid`). */
  readonly sessionId: string;
  readonly userId: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
  readonly issued: CodeIssued | null;
}

/** An account's TOTP state. */
export interface TotpRecord {
  readonly userId: string;
  /** The sealed secret in use (`keys.ts`), null when not enrolled. */
  readonly secret: string | null;
  /** A sealed secret shown at enrolment and not yet confirmed with a code. */
  readonly pendingSecret: string | null;
  readonly pendingAt: number | null;
  /** Hashes of the recovery codes shown with the pending secret; they replace the old set at
   * confirmation. */
  readonly pendingRecoveryHashes: readonly string[];
  readonly confirmedAt: number | null;
  /** The last accepted time step: a code of this step or earlier is refused. */
  readonly lastStep: number | null;
  /** An administrator requires a second factor of this account. */
  readonly required: boolean;
  readonly updatedAt: number;
}

/** An OpenID Connect client kept in the store (the admin API; config clients are not stored). */
export interface OidcClientRecord {
  readonly id: string;
  /** Shown on the consent page. */
  readonly name: string;
  /** PBKDF2 hash of the secret; null for a public client (PKCE only). */
  readonly secretHash: string | null;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Scopes beyond `openid profile email` the client may ask for. */
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  /** No consent screen. */
  readonly firstParty: boolean;
  /** The organisation that owns it (org-scoped administration), or null for a root client. */
  readonly orgId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}
