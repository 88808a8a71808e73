/**
 * Who is calling: a user asserted by a trusted reverse proxy (`X-Authenticated-User`), or a user
 * proving a password with HTTP Basic authentication (RFC 7617).
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { OAuthClientConfig } from "../config/mod.ts";
import type { Policy } from "../policy/policy.ts";
import type { ApiKeyWithOrg, UserRecord } from "../store/mod.ts";
import { hasControlChars } from "../policy/scope.ts";
import { type Cidr, cidrContains } from "./cidr.ts";
import type { CredentialCache } from "./credential_cache.ts";
import {
  DEFAULT_ITERATIONS,
  dummyHashFor,
  MIN_ITERATIONS,
  parsePasswordHash,
  verifyPassword,
} from "./password.ts";

/**
 * An authenticated caller: one shape for every route, made by the one authentication step
 * (`src/trust/authenticate.ts`) from the route's declaration. `subject` is who the caller is to
 * the policy and the logs: the policy user, the key's id, the account's id, the client's id or
 * the SPIFFE ID. An anonymous caller is `null` wherever a `Caller` is expected.
 */
export type Caller = UserCaller | KeyCaller | AccountCaller | ClientCaller | SpiffeCaller;

/** A user of the policy file: Basic, a trusted proxy's header, or a client certificate. */
export interface UserCaller {
  readonly kind: "user";
  readonly subject: string;
  readonly method: "basic" | "proxy" | "mtls";
}

/** An API key that passed every check (blocks, expiry, its organisation, its limit). */
export interface KeyCaller {
  readonly kind: "api_key";
  readonly subject: string;
  readonly method: "api_key";
  readonly key: ApiKeyWithOrg;
  /** What the key's rate limit said, for the `RateLimit` headers. */
  readonly admission?: KeyAdmission;
}

/** An account signed in with one of its access tokens. */
export interface AccountCaller {
  readonly kind: "account";
  readonly subject: string;
  readonly method: "account";
  /** The account as stored now (its role and status are the store's, never the token's). */
  readonly account: UserRecord;
  /** The access token it presented: `jti`, issue time, expiry and `scope` (sign-in's tokens). */
  readonly token: {
    readonly jti?: string;
    readonly iat: number;
    readonly exp: number;
    readonly scope?: string;
  };
}

/** An OAuth2 client declared in `oauth.clients`, authenticated with its secret. */
export interface ClientCaller {
  readonly kind: "client";
  readonly subject: string;
  readonly method: "client";
  readonly client: OAuthClientConfig;
  /**
   * A sign-in client kept in the store (the admin API), not declared in `oauth.clients`: it
   * signs people in only (no client credentials, no introspection).
   */
  readonly stored?: true;
}

/** A workload presenting a client certificate whose URI SAN is a SPIFFE ID. */
export interface SpiffeCaller {
  readonly kind: "spiffe";
  readonly subject: string;
  readonly method: "mtls";
}

/** A key's rate-limit decision, for the response headers. */
export interface KeyAdmission {
  readonly allowed: boolean;
  readonly reason?: "rate_limited" | "quota_exceeded";
  readonly limit?: number;
  readonly remaining?: number;
  readonly resetSeconds?: number;
}

/** Everything {@link identifyCaller} needs besides the request. */
export interface IdentifyContext {
  /** The policy holding password hashes; without one, Basic credentials never verify. */
  policy?: Policy;
  /** Peers allowed to assert `X-Authenticated-User`. */
  trustedProxies: readonly Cidr[];
  cache: CredentialCache;
  /** Current time, milliseconds since the epoch (for the credential cache). */
  now: number;
  /** Realm for the `WWW-Authenticate: Basic` challenge attached to `unauthorized` errors. */
  realm: string;
}

const MAX_HEADER_LENGTH = 4096;
const MAX_USER_LENGTH = 128;
const PROXY_HEADER = "x-authenticated-user";
const INVALID_CREDENTIALS = "Invalid username or password";
/** The answer to a password when no policy is loaded (no user can exist). */
export const NO_POLICY =
  "No policy is loaded, so no user can sign in: the operator must set policy_path";

/** The `WWW-Authenticate` challenge for a realm (RFC 7617 §2, quoted-string per RFC 9110 §5.6.4). */
export function basicChallenge(realm: string): string {
  let quoted = "";
  for (const ch of realm) {
    if (hasControlChars(ch)) continue; // never let CR/LF into a header
    quoted += ch === "\\" || ch === '"' ? `\\${ch}` : ch;
  }
  return `Basic realm="${quoted}", charset="UTF-8"`;
}

function _unauthorized(message: string, realm: string): KeypebbleError {
  return KeypebbleError.answer("unauthorized", message, {
    headers: { "WWW-Authenticate": basicChallenge(realm) },
  });
}

function _validUserName(s: string): boolean {
  return s.length >= 1 && s.length <= MAX_USER_LENGTH && !hasControlChars(s) &&
    !s.includes(",") && !s.includes(":");
}

const _utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A header value as the UTF-8 text its bytes spell. Fetch hands header values over as byte
 * strings (one char per byte, RFC 9110 §5.5), so "ålice" sent as UTF-8 arrives as "Ã¥lice";
 * decode it properly, or return undefined when the bytes are not UTF-8.
 */
export function decodeHeaderUtf8(value: string): string | undefined {
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return value; // already text (a runtime that decoded it)
    if (c > 0x7f) ascii = false;
  }
  if (ascii) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  try {
    return _utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Parses an `Authorization` header value with the Basic scheme (RFC 7617 §2): strict base64 of
 * UTF-8 `user:password`, split at the first `:`.
 *
 * @returns null when the header uses another scheme
 * @throws {KeypebbleError} `unauthorized` for a malformed Basic value
 */
export function parseBasicAuth(header: string): { user: string; password: string } | null {
  const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?: +(.*))?$/.exec(header.trim());
  // Auth schemes are case-insensitive (RFC 9110 §11.1).
  if (m === null || m[1].toLowerCase() !== "basic") return null;
  const malformed = (): KeypebbleError =>
    KeypebbleError.answer("unauthorized", "Malformed Basic credentials");
  const token = m[2] ?? "";
  if (
    token.length === 0 || token.length > MAX_HEADER_LENGTH || token.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(token)
  ) {
    throw malformed();
  }
  let text: string;
  try {
    const bin = atob(token);
    // ASCII (the usual user and password) is its own UTF-8: no decoder, no byte array.
    let ascii = true;
    for (let i = 0; i < bin.length; i++) {
      if (bin.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) text = bin;
    else {
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      text = _utf8.decode(bytes);
    }
  } catch {
    throw malformed();
  }
  const colon = text.indexOf(":");
  if (colon < 0) throw malformed();
  const user = text.slice(0, colon);
  const password = text.slice(colon + 1);
  // RFC 7617 §2: control characters are not allowed in user-id or password.
  if (user.length === 0 || user.length > MAX_USER_LENGTH || hasControlChars(user)) {
    throw malformed();
  }
  if (hasControlChars(password)) throw malformed();
  return { user, password };
}

const _maxByPolicy = new WeakMap<Policy, number>();

/** The highest iteration count among the policy's hashes (the default without any). */
function _maxIterations(policy: Policy | undefined): number {
  if (policy === undefined) return DEFAULT_ITERATIONS;
  let max = _maxByPolicy.get(policy);
  if (max === undefined) {
    max = 0;
    for (const rule of policy.users.values()) {
      if (rule.passwordHash === undefined) continue;
      try {
        max = Math.max(max, parsePasswordHash(rule.passwordHash).iterations);
      } catch {
        // Validated at load; a hand-built policy may hold anything.
      }
    }
    if (max === 0) max = DEFAULT_ITERATIONS;
    _maxByPolicy.set(policy, max);
  }
  return max;
}

/**
 * Check a user name and password against the policy. Every failure costs the same PBKDF2 work,
 * the policy's highest iteration count, whatever the user's own count and whether the user
 * exists: an unknown user is checked against a dummy hash of that count, and a known user's
 * wrong password is topped up with dummy work to it. So timing does not tell which users exist.
 *
 * @throws {KeypebbleError} `unauthorized` for bad credentials
 */
export async function verifyCredentials(
  user: string,
  password: string,
  ctx: Omit<IdentifyContext, "trustedProxies">,
): Promise<UserCaller> {
  const max = _maxIterations(ctx.policy);
  const phc = ctx.policy?.users.get(user)?.passwordHash;
  if (ctx.policy === undefined) {
    // No user exists at all: say why, instead of sending the operator hunting for a typo.
    throw _unauthorized(NO_POLICY, ctx.realm);
  }
  if (phc === undefined) {
    await verifyPassword(password, dummyHashFor(max));
    throw _unauthorized(INVALID_CREDENTIALS, ctx.realm);
  }
  if (await ctx.cache.get(user, password, phc, ctx.now)) {
    return { kind: "user", subject: user, method: "basic" };
  }
  if (await verifyPassword(password, phc)) {
    await ctx.cache.remember(user, password, phc, ctx.now);
    return { kind: "user", subject: user, method: "basic" };
  }
  let own = max;
  try {
    own = parsePasswordHash(phc).iterations;
  } catch {
    // A malformed stored hash verified as false without work: pad it all.
    own = 0;
  }
  if (max - own >= MIN_ITERATIONS) await verifyPassword(password, dummyHashFor(max - own));
  throw _unauthorized(INVALID_CREDENTIALS, ctx.realm);
}

/**
 * Identifies the caller of a request.
 *
 * 1. `X-Authenticated-User` from a peer inside `trustedProxies`: the value (1–128 characters,
 *    no control characters, `,` or `:`) is the subject. From any other peer the header is
 *    ignored.
 * 2. `Authorization: Basic`: the password is checked against the user's `password_hash` (the
 *    credential cache first). Unknown users are checked against a dummy hash so they cost the
 *    same, and get the same error as a wrong password.
 * 3. Otherwise null: the caller is anonymous (answer 401 with {@link basicChallenge}).
 *
 * @param peerAddress the TCP peer's IP address
 * @throws {KeypebbleError} `unauthorized` (with a `WWW-Authenticate` header) for bad credentials
 */
export async function identifyCaller(
  req: Request,
  peerAddress: string,
  ctx: IdentifyContext,
): Promise<UserCaller | null> {
  const raw = req.headers.get(PROXY_HEADER);
  if (raw !== null && cidrContains(ctx.trustedProxies, peerAddress)) {
    const asserted = decodeHeaderUtf8(raw);
    if (asserted === undefined) {
      throw _unauthorized("X-Authenticated-User header is not valid UTF-8", ctx.realm);
    }
    // Headers.get joins repeated headers with ", ", so a comma also catches duplicates.
    if (asserted.length > MAX_HEADER_LENGTH || !_validUserName(asserted)) {
      throw _unauthorized("X-Authenticated-User header is not a valid user name", ctx.realm);
    }
    return { kind: "user", subject: asserted, method: "proxy" };
  }

  const authorization = req.headers.get("authorization");
  if (authorization === null) return null;
  if (authorization.length > MAX_HEADER_LENGTH) {
    throw _unauthorized("Authorization header is too long", ctx.realm);
  }
  let creds: { user: string; password: string } | null;
  try {
    creds = parseBasicAuth(authorization);
  } catch (e) {
    throw _unauthorized((e as Error).message, ctx.realm);
  }
  if (creds === null) return null;

  return await verifyCredentials(creds.user, creds.password, ctx);
}
