/**
 * The JWE algorithm tables (RFC 7518 §4, §5): the allow-list of key management algorithms
 * (`alg`) and content encryption algorithms (`enc`) Keypebble encrypts and decrypts with. A value
 * that is not a key of these tables is refused, like the JWS table does for `alg`
 * (RFC 8725 §3.1).
 *
 * @module
 */

/**
 * Key management (RFC 7518 §4.1): RSAES-OAEP with SHA-256 and MGF1-SHA-256 (§4.3), ECDH-ES
 * direct key agreement and with AES-256 key wrap (§4.6), and a shared symmetric key used
 * directly (§4.5).
 */
export type JweAlg = "RSA-OAEP-256" | "ECDH-ES" | "ECDH-ES+A256KW" | "dir";

/** Content encryption (RFC 7518 §5.1): AES-256-GCM (§5.3) and AES-128-CBC + HMAC-SHA-256 (§5.2.3). */
export type JweEnc = "A256GCM" | "A128CBC-HS256";

/** The curves ECDH-ES is offered on: P-256 (RFC 7518 §6.2) and X25519 (RFC 8037 §3.2). */
export type EcdhCurve = "P-256" | "X25519";

/** One row of the content encryption table. */
export interface EncSpec {
  readonly enc: JweEnc;
  /** The content encryption key's length in bytes (RFC 7518 §5.2.3: 32 for A128CBC-HS256). */
  readonly cekBytes: number;
  /** The initialization vector's length: 96 bits for GCM (§5.3), 128 bits for CBC (§5.2.2.1). */
  readonly ivBytes: number;
  /** The authentication tag's length: 128 bits for both (§5.2.3, §5.3). */
  readonly tagBytes: number;
}

/** The content encryption table. */
export const ENC_TABLE: Readonly<Record<JweEnc, EncSpec>> = Object.freeze(
  {
    A256GCM: Object.freeze({ enc: "A256GCM", cekBytes: 32, ivBytes: 12, tagBytes: 16 }),
    "A128CBC-HS256": Object.freeze({
      enc: "A128CBC-HS256",
      cekBytes: 32,
      ivBytes: 16,
      tagBytes: 16,
    }),
  } satisfies Record<JweEnc, EncSpec>,
);

/** Every key management algorithm, in table order. */
export const JWE_ALGS: readonly JweAlg[] = Object.freeze([
  "RSA-OAEP-256",
  "ECDH-ES",
  "ECDH-ES+A256KW",
  "dir",
]);

/** Every content encryption algorithm, in table order. */
export const JWE_ENCS: readonly JweEnc[] = Object.freeze(Object.keys(ENC_TABLE) as JweEnc[]);

/** True when `x` is exactly one of the allowed key management algorithms. */
export function isJweAlg(x: unknown): x is JweAlg {
  return typeof x === "string" && (JWE_ALGS as readonly string[]).includes(x);
}

/** True when `x` is exactly one of the allowed content encryption algorithms. */
export function isJweEnc(x: unknown): x is JweEnc {
  return typeof x === "string" && Object.hasOwn(ENC_TABLE, x);
}

/** The JWK key type each key management algorithm needs. */
export function keyTypesOfJweAlg(alg: JweAlg): readonly ("RSA" | "EC" | "OKP" | "oct")[] {
  switch (alg) {
    case "RSA-OAEP-256":
      return ["RSA"];
    case "dir":
      return ["oct"];
    default:
      return ["EC", "OKP"];
  }
}
