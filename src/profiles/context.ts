/**
 * What a profile's handler is given: an already authenticated and authorised request. The token
 * routes (src/tokens/) build it from the route table's declaration (the caller, the body, the
 * authorisation step); handlers never read credentials or decide who the caller is.
 *
 * Handlers answer with a {@link Reply}, which the HTTP layer turns into a Response: this folder
 * does not import the HTTP layer.
 */

import type { Config } from "../config/mod.ts";
import type { Caller } from "../identity/mod.ts";
import type { KeyEntry } from "../jose/mod.ts";
import type { Policy } from "../policy/mod.ts";
import type { SpiffeAuthority } from "../spiffe/authority.ts";
import type { IssueRecorder } from "./mint.ts";
import type { Profiles } from "./resolve.ts";

/**
 * What the trust layer lends to handlers whose credential is in the body (the grants of
 * `POST /v2/token`): the same checks as everywhere else, never a copy.
 */
export interface GrantServices {
  /**
   * Check a user name and password exactly as a Basic login is checked (lockout, limits, equal
   * work for unknown users). Resolves to the caller, or throws `unauthorized` / `locked_out`.
   */
  checkPassword(user: string, password: string): Promise<Caller>;
  /**
   * Admit a principal that presents a grant other than a password (a refresh token): the
   * principal's lockout and rate limit apply as at login.
   */
  admitPrincipal(subject: string): Promise<void>;
  /**
   * Verify a registry refresh token as its consumer (`registry_refresh`): our signature, its kind,
   * lifetime and the revocation list. Resolves to its claims.
   */
  verifyRefresh(token: string): Promise<Readonly<Record<string, unknown>>>;
}

/** One request, as a profile handler sees it. */
export interface ProfileRequest {
  readonly config: Config;
  readonly policy?: Policy;
  readonly profiles: Profiles;
  /** Every key of the keyring (verification of refresh tokens). */
  readonly keys: readonly KeyEntry[];
  /** The authenticated caller, or null when the route allows anonymous callers. */
  readonly caller: Caller | null;
  /** Seconds since the epoch, read once per request. */
  readonly nowSec: number;
  readonly query: URLSearchParams;
  readonly headers: Headers;
  readonly params: Readonly<Record<string, string>>;
  /** The JSON body, when the route declares one. */
  readonly json: Readonly<Record<string, unknown>>;
  /** The form body, when the route declares one. */
  readonly form: URLSearchParams;
  /** The subject the authorisation step settled on, if it decided one. */
  readonly subject?: string;
  readonly grants: GrantServices;
  /**
   * Where this request's tokens are recorded: pass it to `mint()` as `record` (metrics and the
   * `token.issued` audit event, with the caller, or the user a grant authenticated, as actor).
   */
  readonly recordIssue: IssueRecorder;
  /** Note for whom a token is issued (the access log). */
  noteSubject(subject: string): void;
  /** The configured public base URL, when discovery needs one. */
  readonly publicUrl?: string;
  /** The SPIFFE issuer and the spiffile root it publishes, when `spiffe` is configured. */
  readonly spiffe?: SpiffeAuthority;
}

/**
 * A handler's answer. `json` is serialised; `jsonText` is JSON already serialised, sent as is with
 * the JSON headers; `text` is sent as is with its content type.
 */
export interface Reply {
  readonly status?: number;
  readonly json?: unknown;
  readonly jsonText?: string;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** RFC 3339 time (seconds precision, UTC) for seconds since the epoch. */
export function rfc3339(seconds: number): string {
  // Every token of one second has the same `issued_at`: format it once.
  if (seconds !== _lastSeconds) {
    _lastText = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    _lastSeconds = seconds;
  }
  return _lastText;
}

let _lastSeconds = Number.NaN;
let _lastText = "";

/** {@link rfc3339}, with `null` (a time not set) kept as `null`. */
export function rfc3339OrNull(seconds: number | null): string | null {
  return seconds === null ? null : rfc3339(seconds);
}
