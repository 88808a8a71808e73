/**
 * Fernet tokens for services that validate Fernet (Keystone's style): the token format
 * (`token.ts`, the Fernet spec), a Keystone-like key repository (`repository.ts`), and the two
 * functions the rest of Keypebble uses: {@link sealFernet} (the mint path) and
 * {@link verifyFernet} (`keypebble verify`, introspection).
 *
 * The message inside a Keypebble Fernet token is one JSON object (UTF-8): `{"typ": <the kind's
 * typ>, ...claims}` where the claims are exactly those a JWS of the same kind would carry
 * (`iss`, `sub`, `aud`, `iat`, `nbf`, `exp`, `jti`, and the kind's own).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { FernetRepository } from "./repository.ts";
import { fernetDecrypt, fernetEncrypt } from "./token.ts";

export {
  FERNET_VERSION,
  fernetDecrypt,
  fernetEncrypt,
  type FernetKey,
  type FernetVerifyOptions,
  importFernetKey,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_FERNET_LENGTH,
  newFernetKeyText,
} from "./token.ts";
export {
  DEFAULT_MAX_ACTIVE_KEYS,
  type FernetRepository,
  loadRepository,
  MAX_KEYS,
  MIN_MAX_ACTIVE_KEYS,
  type RepositoryChange,
  repositoryFiles,
  rotateRepository,
  setupRepository,
} from "./repository.ts";
export type { FernetFiles } from "./files.ts";

/** A repository and the lifetime its tokens are accepted for (`fernet:` in the config). */
export interface FernetKeys {
  readonly repository: FernetRepository;
  /** Tokens older than this (by their embedded timestamp) are refused. */
  readonly ttlSeconds: number;
}

/** What {@link verifyFernet} found in a valid token. */
export interface VerifiedFernet {
  /** The claims, without `typ`. */
  readonly claims: Record<string, unknown>;
  /** The kind's `typ` the token was made with. */
  readonly typ?: string;
  /** The Fernet timestamp (seconds). */
  readonly issuedAt: number;
  /** The repository file of the key that verified it (`"1"`, `"2"`, …). */
  readonly keyId: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Leeway for the claims' own `exp` and `nbf`, as for JWS (seconds). */
const LEEWAY = 60;

/**
 * Make a Fernet token of a claims object already serialised (`payload`, as the mint path has
 * it) with the repository's primary key, adding the kind's `typ`.
 */
export async function sealFernet(
  keys: FernetKeys,
  payload: string,
  typ: string,
  now: number,
): Promise<string> {
  const body = payload.trim();
  if (!body.startsWith("{")) throw new TypeError("A Fernet payload is a JSON object");
  const typMember = `"typ":${JSON.stringify(typ)}`;
  const message = body === "{}" ? `{${typMember}}` : `{${typMember},${body.slice(1)}`;
  return await fernetEncrypt(keys.repository.primary, encoder.encode(message), now);
}

/**
 * Verify a Keypebble Fernet token: the Fernet checks (version, TTL against the embedded
 * timestamp, no more than 60 s in the future, HMAC in constant time, then decryption) with
 * every key of the repository, then the message must be a JSON object whose `exp` and `nbf`
 * (when present) hold at `now` (60 s leeway).
 *
 * This is the function introspection and `keypebble verify` call:
 * `verifyFernet(token, rt.fernet, nowSeconds)`.
 *
 * @throws {KeypebbleError} `invalid_token`, `token_expired`, `token_not_yet_valid`
 */
export async function verifyFernet(
  token: string,
  keys: FernetKeys,
  now: number,
): Promise<VerifiedFernet> {
  const { message, timestamp, key } = await fernetDecrypt(token, keys.repository.keys, {
    now,
    ttlSeconds: keys.ttlSeconds,
  });
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(message));
  } catch {
    throw new KeypebbleError("invalid_token", "Token payload is not JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new KeypebbleError("invalid_token", "Token payload is not a JSON object");
  }
  const { typ, ...claims } = value as Record<string, unknown>;
  if (typ !== undefined && typeof typ !== "string") {
    throw new KeypebbleError("invalid_token_type", 'Token "typ" must be a string');
  }
  const exp = claims.exp;
  if (exp !== undefined && (typeof exp !== "number" || now >= exp + LEEWAY)) {
    throw new KeypebbleError("token_expired", "Token has expired");
  }
  const nbf = claims.nbf;
  if (nbf !== undefined && (typeof nbf !== "number" || nbf > now + LEEWAY)) {
    throw new KeypebbleError("token_not_yet_valid", "Token is not valid yet");
  }
  return {
    claims,
    ...(typ === undefined ? {} : { typ: typ as string }),
    issuedAt: timestamp,
    keyId: key.id,
  };
}

/** True when `token` has the shape of a Fernet token (version byte 0x80 in base64url: `gAAAAA`). */
export function looksLikeFernet(token: string): boolean {
  return token.startsWith("gAAAAA") && !token.includes(".");
}
