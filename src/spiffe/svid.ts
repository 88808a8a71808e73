/**
 * JWT-SVIDs as spiffile's PROFILE §3 and §4 require them, with Web Crypto only.
 *
 * Minting: header `{alg: "ES256", kid, typ: "JWT"}` (no `x5c`), claims `sub`, `aud` (one string),
 * `iat` and `exp`; lifetime 60 s by default and at most 300 s.
 *
 * Verification (PROFILE §4): the key is looked up by the identity in `sub`, never globally, so
 * one service's key can never vouch for another; the algorithm is ES256 whatever the header
 * says; `aud` must be exactly the verifier's ID and a single string; `exp`/`iat`/`nbf` with a
 * 30 s leeway. Two outcomes are told apart: `unknown_identity` (the `sub` has no keys in the
 * bundle: not provisioned, removed, or another trust domain) and `invalid_token` (everything
 * else).
 *
 * @module
 */

import type { SpiffileBundle } from "./bundle.ts";
import {
  b64u,
  b64uDecode,
  importSvidPublicJwk,
  type SvidJwk,
  type SvidSigningKey,
} from "./ec_keys.ts";
import { isSpiffeId, parseSpiffeId } from "./spiffe_id.ts";

/** Default JWT-SVID lifetime (PROFILE §3: 60 s is the reference default). */
export const SVID_DEFAULT_TTL_SECONDS = 60;
/** Longest JWT-SVID lifetime minted (PROFILE §3: over 300 s is not recommended). */
export const SVID_MAX_TTL_SECONDS = 300;
/** Clock-skew leeway when verifying (PROFILE §4 step 4, §6). */
export const SVID_LEEWAY_SECONDS = 30;
/** Longest token accepted for parsing. */
export const SVID_MAX_TOKEN_LENGTH = 8192;

/** Why a JWT-SVID was refused. */
export class SvidError extends Error {
  /** `unknown_identity` or `invalid_token`. */
  readonly code: "unknown_identity" | "invalid_token";
  /** A refusal with its code and a sentence saying why. */
  constructor(code: "unknown_identity" | "invalid_token", message: string) {
    super(message);
    this.name = "SvidError";
    this.code = code;
  }
}

/** A verified JWT-SVID. */
export interface VerifiedSvid {
  /** The caller's identity: the verified `sub`. */
  readonly spiffeId: string;
  /** The token's claims, verified. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token's protected header. */
  readonly header: Readonly<Record<string, unknown>>;
}

const EC_SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function _invalid(message: string): SvidError {
  return new SvidError("invalid_token", message);
}

function _segmentJson(seg: string, what: string): Record<string, unknown> {
  const bytes = b64uDecode(seg);
  if (bytes === undefined) throw _invalid(`Token ${what} is not base64url`);
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch {
    throw _invalid(`Token ${what} is not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw _invalid(`Token ${what} is not a JSON object`);
  }
  return v as Record<string, unknown>;
}

/** Claims of a JWT-SVID for `sub` → `aud`, with the lifetime clamped to 1..300 s. */
export function svidClaims(
  sub: string,
  aud: string,
  options: { now: number; ttlSeconds?: number },
): { sub: string; aud: string; iat: number; exp: number } {
  parseSpiffeId(sub);
  parseSpiffeId(aud);
  const ttl = Math.min(
    Math.max(Math.floor(options.ttlSeconds ?? SVID_DEFAULT_TTL_SECONDS), 1),
    SVID_MAX_TTL_SECONDS,
  );
  return { sub, aud, iat: options.now, exp: options.now + ttl };
}

/** Sign JWT-SVID claims with a P-256 key: `{alg: ES256, kid, typ: JWT}` (PROFILE §3). */
export async function signSvid(
  key: SvidSigningKey,
  claims: Record<string, unknown>,
): Promise<string> {
  const input = `${b64u(JSON.stringify({ alg: "ES256", kid: key.kid, typ: "JWT" }))}.${
    b64u(JSON.stringify(claims))
  }`;
  const sig = await crypto.subtle.sign(EC_SIGN, key.privateKey, encoder.encode(input));
  return `${input}.${b64u(new Uint8Array(sig))}`;
}

const _keyCache = new WeakMap<object, Promise<CryptoKey | undefined>>();

function _verifyKey(jwk: SvidJwk): Promise<CryptoKey | undefined> {
  // Bundles are parsed once per change; their JWK objects are stable, so each key is imported
  // once per bundle version, not per token.
  let p = _keyCache.get(jwk);
  if (p === undefined) {
    p = importSvidPublicJwk(jwk);
    _keyCache.set(jwk, p);
  }
  return p;
}

function _numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw _invalid(`Claim "${name}" must be a number`);
  }
  return v;
}

/**
 * Verify a JWT-SVID against a spiffile bundle (PROFILE §4).
 *
 * @param options.audience the verifier's own SPIFFE ID; `aud` must equal it
 * @param options.now seconds since the epoch
 * @throws {SvidError} `unknown_identity` or `invalid_token`, with a sentence saying why
 */
export async function verifySvid(
  token: string,
  bundle: SpiffileBundle,
  options: { audience: string; now: number; leeway?: number },
): Promise<VerifiedSvid> {
  if (typeof token !== "string" || token.length === 0) throw _invalid("Token is empty");
  if (token.length > SVID_MAX_TOKEN_LENGTH) throw _invalid("Token is too long");
  const parts = token.split(".");
  if (parts.length !== 3) throw _invalid("Token is not a compact JWS (three segments)");
  const header = _segmentJson(parts[0], "header");
  const claims = _segmentJson(parts[1], "payload");

  // §4 step 1: sub, aud and exp are required; aud is one string
  if (typeof claims.sub !== "string") throw _invalid('Token has no "sub" claim');
  if (Array.isArray(claims.aud)) {
    throw _invalid('Token "aud" must be a single string, not an array (PROFILE §3)');
  }
  if (typeof claims.aud !== "string") throw _invalid('Token has no "aud" claim');
  const exp = _numericDate(claims, "exp");
  if (exp === undefined) throw _invalid('Token has no "exp" claim');
  const iat = _numericDate(claims, "iat");
  const nbf = _numericDate(claims, "nbf");
  // §1.2: ES256 only, whatever else the header says
  if (header.alg !== "ES256") throw _invalid('Token algorithm must be "ES256"');
  // RFC 7515 §4.1.11: no extension is understood
  if ("crit" in header) throw _invalid('Header parameter "crit" is not supported');
  if (header.typ !== undefined && header.typ !== "JWT" && header.typ !== "JOSE") {
    throw _invalid('Token "typ" must be "JWT"');
  }

  // §4 step 2: the identity decides which keys count
  if (!isSpiffeId(claims.sub)) throw _invalid('Token "sub" is not a SPIFFE ID');
  const bound = bundle.identities.get(claims.sub);
  if (bound === undefined) {
    throw new SvidError(
      "unknown_identity",
      `Identity ${JSON.stringify(claims.sub.slice(0, 200))} is not in the trust bundle`,
    );
  }
  // §4 step 3: the key with the header's kid, else every key bound to the identity
  const kid = header.kid;
  const byKid = typeof kid === "string" ? bound.filter((k) => k.kid === kid) : [];
  const candidates = byKid.length > 0 ? byKid : bound;

  // §4 step 4: signature with ES256 (64-byte R || S, RFC 7518 §3.4)
  const sig = b64uDecode(parts[2]);
  let ok = false;
  if (sig !== undefined && sig.length === 64) {
    const input = encoder.encode(`${parts[0]}.${parts[1]}`);
    for (const jwk of candidates) {
      const key = await _verifyKey(jwk);
      if (key !== undefined && await crypto.subtle.verify(EC_SIGN, key, sig, input)) {
        ok = true;
        break;
      }
    }
  }
  if (!ok) {
    throw _invalid("Token signature does not verify with any key bound to its identity");
  }
  if (claims.aud !== options.audience) {
    throw _invalid(`Token audience is not ${JSON.stringify(options.audience.slice(0, 200))}`);
  }
  const leeway = options.leeway ?? SVID_LEEWAY_SECONDS;
  if (options.now >= exp + leeway) throw _invalid("Token has expired");
  if (iat !== undefined && iat > options.now + leeway) {
    throw _invalid("Token was issued in the future");
  }
  if (nbf !== undefined && nbf > options.now + leeway) throw _invalid("Token is not valid yet");
  return Object.freeze({ spiffeId: claims.sub, claims, header });
}
