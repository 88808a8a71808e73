/**
 * JOSE for Keypebble: base64url, the algorithm table, key import and key ids, and compact JWS
 * signing and verification.
 *
 * @example
 * ```ts
 * import { importPrivateKeyPem, JwsSigner, verifyJws, withKid } from "./mod.ts";
 * const key = withKid(await importPrivateKeyPem(pem), "k1");
 * const jwt = await (await JwsSigner.create(key)).sign({ iss: "me", exp: 2000000000 });
 * await verifyJws(jwt, [key], { now: 1900000000 });
 * ```
 *
 * @module
 */

export { b64Encode, b64uDecode, b64uEncode } from "./base64url.ts";
export {
  type Alg,
  ALG_TABLE,
  ALGS,
  type AlgSpec,
  algSpec,
  isAlg,
  type KeyType,
  keyTypeOfAlg,
} from "./algorithms.ts";
export {
  certificatePublicKeySpki,
  generateKeyPem,
  importHmacSecret,
  importPrivateKeyPem,
  importPublicJwk,
  jwkThumbprint,
  type KeyEntry,
  libtrustKeyId,
  parseCertificateChainPem,
  withKid,
} from "./keys.ts";
export {
  decodeJws,
  type JwsHeader,
  JwsSigner,
  MAX_KID_LENGTH,
  MAX_TOKEN_LENGTH,
  verifyJws,
  type VerifyOptions,
} from "./jws.ts";
export {
  assertKeyMatchesCertificate,
  type Certificate,
  parseCertificate,
  TLS_KEY_TYPES,
} from "./x509.ts";
