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

/** A fresh random token id: 128 bits, hex. */
export function randomJti(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}
