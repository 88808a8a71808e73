/**
 * Who is calling: a user asserted by a trusted reverse proxy (`X-Authenticated-User`), or a user
 * proving a password with HTTP Basic authentication (RFC 7617).
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { Policy } from "../policy/policy.ts";
import { hasControlChars } from "../policy/scope.ts";
import { type Cidr, cidrContains } from "./cidr.ts";
import type { CredentialCache } from "./credential_cache.ts";
import { DEFAULT_ITERATIONS, dummyHashFor, parsePasswordHash, verifyPassword } from "./password.ts";

/** An authenticated caller. */
export interface Caller {
  /** The user name: the policy key for Basic, the asserted name for proxy. */
  subject: string;
  method: "basic" | "proxy" | "api_key";
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
  return new KeypebbleError("unauthorized", message, {
    headers: { "WWW-Authenticate": basicChallenge(realm) },
  });
}

function _validUserName(s: string): boolean {
  return s.length >= 1 && s.length <= MAX_USER_LENGTH && !hasControlChars(s) &&
    !s.includes(",") && !s.includes(":");
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
    new KeypebbleError("unauthorized", "Malformed Basic credentials");
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
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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

const _dummyByPolicy = new WeakMap<Policy, string>();

/**
 * A never-matching hash costing what this policy's hashes cost (their most common iteration
 * count), so an unknown user takes as long to refuse as a wrong password.
 */
function _dummyFor(policy: Policy | undefined): string {
  if (policy === undefined) return dummyHashFor(DEFAULT_ITERATIONS);
  let d = _dummyByPolicy.get(policy);
  if (d === undefined) {
    const counts = new Map<number, number>();
    for (const rule of policy.users.values()) {
      if (rule.passwordHash === undefined) continue;
      try {
        const n = parsePasswordHash(rule.passwordHash).iterations;
        counts.set(n, (counts.get(n) ?? 0) + 1);
      } catch {
        // Validated at load; a hand-built policy may hold anything.
      }
    }
    let best = DEFAULT_ITERATIONS;
    let bestCount = 0;
    for (const [n, c] of counts) {
      if (c > bestCount) [best, bestCount] = [n, c];
    }
    d = dummyHashFor(best);
    _dummyByPolicy.set(policy, d);
  }
  return d;
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
): Promise<Caller | null> {
  const asserted = req.headers.get(PROXY_HEADER);
  if (asserted !== null && cidrContains(ctx.trustedProxies, peerAddress)) {
    // Headers.get joins repeated headers with ", ", so a comma also catches duplicates.
    if (asserted.length > MAX_HEADER_LENGTH || !_validUserName(asserted)) {
      throw _unauthorized("X-Authenticated-User header is not a valid user name", ctx.realm);
    }
    return { subject: asserted, method: "proxy" };
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

  const { user, password } = creds;
  const phc = ctx.policy?.users.get(user)?.passwordHash;
  if (phc === undefined) {
    await verifyPassword(password, _dummyFor(ctx.policy));
    throw _unauthorized(INVALID_CREDENTIALS, ctx.realm);
  }
  if (await ctx.cache.get(user, password, phc, ctx.now)) return { subject: user, method: "basic" };
  if (await verifyPassword(password, phc)) {
    await ctx.cache.remember(user, password, phc, ctx.now);
    return { subject: user, method: "basic" };
  }
  throw _unauthorized(INVALID_CREDENTIALS, ctx.realm);
}
