/**
 * Browser sessions: the server side of the session cookie. The cookie holds 256 random bits; the
 * store holds only their SHA-256 (a copied database gives no session away) and a separate public
 * id, the ID token's `sid`. A session has a fixed lifetime from sign-in (no sliding renewal:
 * `max_age` and `auth_time` stay honest) and ends early by sign-out, password change, account
 * suspension or a TOTP reset ({@link endAccountSessions}). Each sign-in makes a new session and a
 * new cookie, so a cookie planted before sign-in is worthless after it (session fixation).
 *
 * @module
 */

import { b64uEncode } from "../jose/base64url.ts";
import { sha256 } from "../jose/hmac_sha256.ts";
import type { OidcSessionRecord, SessionEndReason, Store, UserRecord } from "../store/mod.ts";
import { bytesToHex } from "./_hex.ts";
import { newCookieValue } from "./cookies.ts";

/** Default lifetime of a sign-in session: a working day (`accounts.session_ttl_seconds`). */
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 3600;

/** The stored form of a session cookie: hex SHA-256. */
export function sessionTokenHash(cookieValue: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(cookieValue)));
}

/** Start a session for `userId` (after the password and any second factor were right). */
export async function startSession(
  store: Pick<Store, "oidcSessions">,
  input: {
    userId: string;
    amr: readonly string[];
    now: number;
    ttlSeconds?: number;
    /** The session this sign-in replaces (ended as `replaced`). */
    replaces?: string;
  },
): Promise<{ cookie: string; session: OidcSessionRecord }> {
  const cookie = newCookieValue();
  const session: OidcSessionRecord = {
    id: b64uEncode(crypto.getRandomValues(new Uint8Array(16))),
    tokenHash: sessionTokenHash(cookie),
    userId: input.userId,
    authTime: input.now,
    amr: [...input.amr],
    createdAt: input.now,
    expiresAt: input.now + (input.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS),
    endedAt: null,
    endReason: null,
  };
  await store.oidcSessions.insert(session);
  if (input.replaces !== undefined) {
    await store.oidcSessions.end(input.replaces, input.now, "replaced");
  }
  return { cookie, session };
}

/** Where a browser's session stands. */
export type SessionStatus =
  | "active"
  /** No cookie, or one the store does not know. */
  | "none"
  | "ended"
  | "expired"
  /** The account is gone or suspended. */
  | "account_inactive";

/** The status of a stored session for its account at `now`. */
export function sessionStatus(
  session: OidcSessionRecord | undefined,
  user: UserRecord | undefined,
  now: number,
): SessionStatus {
  if (session === undefined) return "none";
  if (session.endedAt !== null) return "ended";
  if (now >= session.expiresAt) return "expired";
  if (user === undefined || user.id !== session.userId || user.status !== "active") {
    return "account_inactive";
  }
  return "active";
}

/**
 * The session of a cookie with its account and status. A session found for an inactive account
 * is ended on the spot (reason `suspended`), so it stays ended if the account comes back.
 */
export async function currentSession(
  store: Pick<Store, "oidcSessions" | "users">,
  cookieValue: string | null,
  now: number,
): Promise<{ session?: OidcSessionRecord; user?: UserRecord; status: SessionStatus }> {
  if (cookieValue === null) return { status: "none" };
  const session = await store.oidcSessions.byTokenHash(sessionTokenHash(cookieValue));
  if (session === undefined) return { status: "none" };
  const user = await store.users.byId(session.userId);
  const status = sessionStatus(session, user, now);
  if (status === "account_inactive") {
    await store.oidcSessions.end(session.id, now, "suspended");
  }
  return { session, ...(user === undefined ? {} : { user }), status };
}

/** End one session (sign-out). */
export function endSession(
  store: Pick<Store, "oidcSessions">,
  sessionId: string,
  now: number,
): Promise<boolean> {
  return store.oidcSessions.end(sessionId, now, "sign_out");
}

/**
 * End every session of an account: call on a password change, a suspension, a TOTP reset or
 * when an administrator signs someone out.
 */
export function endAccountSessions(
  store: Pick<Store, "oidcSessions">,
  userId: string,
  reason: SessionEndReason,
  now: number,
): Promise<number> {
  return store.oidcSessions.endForUser(userId, now, reason);
}
