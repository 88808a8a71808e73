/**
 * JOSE for Keypebble: base64url, the algorithm tables, key import and key ids, compact JWS
 * signing and verification, and compact JWE encryption and decryption (`jwe.ts`).
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
  candidateKeys,
  type DecodedJwe,
  decodeJwe,
  JweEncrypter,
  type JweHeader,
  looksLikeJwe,
  MAX_JWE_LENGTH,
  openJwe,
  plaintextText,
} from "./jwe.ts";
export {
  type EcdhCurve,
  ENC_TABLE,
  isJweAlg,
  isJweEnc,
  JWE_ALGS,
  JWE_ENCS,
  type JweAlg,
  type JweEnc,
} from "./jwe_algorithms.ts";
export {
  defaultJweAlg,
  generateJweKeyPem,
  importJweDecryptionJwk,
  importJweDecryptionKeyPem,
  importJweDecryptionKeyText,
  importJweRecipientJwk,
  importJweRecipientPem,
  importJweRecipientText,
  type JweBinding,
  type JweDecryptionKey,
  type JweKeyType,
  type JweRecipient,
  recipientFromJwkOrSet,
  withJweKid,
} from "./jwe_keys.ts";
export { x25519Available } from "./ecdh.ts";
export { type DecryptedJwe, decryptJwe, type NestedKeys, unwrapJwe } from "./nested.ts";
export {
  assertKeyMatchesCertificate,
  type Certificate,
  parseCertificate,
  TLS_KEY_TYPES,
} from "./x509.ts";
