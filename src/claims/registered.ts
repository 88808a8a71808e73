/**
 * Registered claims (RFC 7519 §4.1) are the server's alone: `iss`, `iat`, `nbf`, `exp` and `jti`
 * are always written here, after anything a request or the config supplied, so nothing else can
 * choose them.
 */

/** Claims no request and no config may set. */
export const SERVER_ONLY_CLAIMS: ReadonlySet<string> = new Set(["iss", "iat", "nbf", "exp", "jti"]);

/** Inputs for {@link registeredClaims}. */
export interface RegisteredClaimsInput {
  readonly issuer: string;
  /** Seconds since the epoch. */
  readonly now: number;
  readonly ttlSeconds: number;
  readonly jti?: string;
}

/**
 * The server-set registered claims for a token issued at `now`.
 *
 * @example
 * ```ts
 * registeredClaims({ issuer: "https://kp", now: 1700000000, ttlSeconds: 60 });
 * // { iss: "https://kp", iat: 1700000000, nbf: 1700000000, exp: 1700000060 }
 * ```
 */
export function registeredClaims(input: RegisteredClaimsInput): Record<string, unknown> {
  const iat = Math.floor(input.now);
  const out: Record<string, unknown> = {
    iss: input.issuer,
    iat,
    nbf: iat,
    exp: iat + input.ttlSeconds,
  };
  if (input.jti !== undefined) out.jti = input.jti;
  return out;
}

/**
 * Clamp a requested lifetime to `[min, max]`; `undefined` means the default. Values that are not
 * positive integers are the caller's problem to reject before this point.
 */
export function clampTtl(
  requested: number | undefined,
  limits: { defaultTtl: number; maxTtl: number; minTtl?: number },
): number {
  const wanted = requested ?? limits.defaultTtl;
  return Math.max(limits.minTtl ?? 1, Math.min(wanted, limits.maxTtl));
}

const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => i.toString(16).padStart(2, "0"),
);
/** Random bytes drawn from the CSPRNG in batches: one call serves 256 token ids. */
const POOL = new Uint8Array(4096);
/** The runtime's own hex encoder (TC39 Uint8Array base64/hex), when it has one: one string. */
const _toHex = (Uint8Array.prototype as unknown as { toHex?: (this: Uint8Array) => string })
  .toHex;
let _poolUsed = POOL.length;

/** A fresh random token id: 128 bits from the CSPRNG, hex. */
export function randomJti(): string {
  if (_poolUsed === POOL.length) {
    crypto.getRandomValues(POOL);
    _poolUsed = 0;
  }
  const i = _poolUsed;
  _poolUsed += 16;
  let s = "";
  if (_toHex !== undefined) s = _toHex.call(POOL.subarray(i, i + 16));
  else for (let j = i; j < i + 16; j++) s += HEX[POOL[j]];
  // Each id's bytes are used once: wipe them so no later id can repeat them.
  POOL.fill(0, i, i + 16);
  return s;
}
