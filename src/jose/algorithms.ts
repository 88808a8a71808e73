/**
 * The JWS algorithm table. It is the allow-list: an `alg` that is not a key of this table is
 * never signed or verified (RFC 8725 §3.1). Each entry carries its Web Crypto parameters and the
 * limits a key must meet (RFC 7518 §3).
 *
 * @module
 */

/** The JWS algorithms Keypebble signs and verifies (RFC 7518 §3.1, RFC 8037 §3.1). */
export type Alg = "HS256" | "RS256" | "ES256" | "EdDSA";

/** JWK key type that each algorithm needs (RFC 7518 §6, RFC 8037 §2). */
export type KeyType = "oct" | "RSA" | "EC" | "OKP";

/** One row of the algorithm table. */
export interface AlgSpec {
  readonly alg: Alg;
  readonly kty: KeyType;
  /** `crv` for EC and OKP keys. */
  readonly crv?: "P-256" | "Ed25519";
  /** Parameters for `crypto.subtle.importKey` / `generateKey`. */
  readonly importParams: HmacImportParams | RsaHashedImportParams | EcKeyImportParams | Algorithm;
  /** Parameters for `crypto.subtle.sign` / `verify`. */
  readonly signParams: AlgorithmIdentifier | EcdsaParams;
  /** Minimum key size in bits: HMAC secret length (RFC 7518 §3.2), RSA modulus (§3.3). */
  readonly minKeyBits?: number;
  /** Exact signature length in bytes when fixed (ES256: r||s, RFC 7518 §3.4; Ed25519). */
  readonly signatureLength?: number;
}

/** The algorithm table, one entry per allowed `alg`. */
export const ALG_TABLE: Readonly<Record<Alg, AlgSpec>> = Object.freeze(
  {
    HS256: Object.freeze({
      alg: "HS256",
      kty: "oct",
      importParams: { name: "HMAC", hash: "SHA-256" } as HmacImportParams,
      signParams: "HMAC",
      // RFC 7518 §3.2: a key of the same size as the hash output or larger
      minKeyBits: 256,
      signatureLength: 32,
    }),
    RS256: Object.freeze({
      alg: "RS256",
      kty: "RSA",
      importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as RsaHashedImportParams,
      signParams: "RSASSA-PKCS1-v1_5",
      // RFC 7518 §3.3: 2048 bits or larger
      minKeyBits: 2048,
    }),
    ES256: Object.freeze({
      alg: "ES256",
      kty: "EC",
      crv: "P-256",
      importParams: { name: "ECDSA", namedCurve: "P-256" } as EcKeyImportParams,
      signParams: { name: "ECDSA", hash: "SHA-256" } as EcdsaParams,
      // RFC 7518 §3.4: the JWS signature is R || S, 32 bytes each, not DER
      signatureLength: 64,
    }),
    EdDSA: Object.freeze({
      alg: "EdDSA",
      kty: "OKP",
      crv: "Ed25519",
      importParams: { name: "Ed25519" },
      signParams: "Ed25519",
      // RFC 8032 §5.1.6: an Ed25519 signature is 64 bytes
      signatureLength: 64,
    }),
  } satisfies Record<Alg, AlgSpec>,
);

/** Every allowed algorithm, in table order. */
export const ALGS: readonly Alg[] = Object.freeze(Object.keys(ALG_TABLE) as Alg[]);

/**
 * True when `x` is exactly one of the allowed algorithm names. `"none"`, `"HS384"`, `"hs256"`
 * and anything inherited from `Object.prototype` are all false.
 */
export function isAlg(x: unknown): x is Alg {
  return typeof x === "string" && Object.hasOwn(ALG_TABLE, x);
}

/** The table entry for an algorithm. */
export function algSpec(alg: Alg): AlgSpec {
  return ALG_TABLE[alg];
}

/** The JWK key type an algorithm needs. */
export function keyTypeOfAlg(alg: Alg): KeyType {
  return ALG_TABLE[alg].kty;
}
