/**
 * JWE keys: the recipients Keypebble encrypts to (a relying party's public key, or a shared
 * secret for `dir`) and the keys it decrypts with (its own `use: enc` keys). Like signing keys,
 * each is bound to exactly one key management algorithm and one content encryption algorithm
 * at import (RFC 8725 §3.1); a token with another pair is refused.
 *
 * Accepted inputs:
 * - RSA (RSA-OAEP-256, at least 2048 bits, RFC 7518 §4.3): PKCS#8 or PKCS#1 private keys, SPKI
 *   (`PUBLIC KEY`) or a certificate's key for recipients, JWKs;
 * - EC P-256 and X25519 (ECDH-ES, ECDH-ES+A256KW): PKCS#8 or SEC1 private keys, SPKI, JWKs
 *   (X25519 only where the runtime's Web Crypto has it: Deno 2, Bun);
 * - `oct` JWKs of 32 bytes (dir with A256GCM or A128CBC-HS256).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { b64uDecode } from "./base64url.ts";
import { ecdhParams, x25519Available } from "./ecdh.ts";
import {
  type EcdhCurve,
  ENC_TABLE,
  isJweAlg,
  isJweEnc,
  type JweAlg,
  type JweEnc,
} from "./jwe_algorithms.ts";
import { certificatePublicKeySpki, jwkThumbprint } from "./keys.ts";
import {
  algorithmOf,
  OID_EC,
  OID_NAMES,
  OID_P256,
  OID_RSA,
  OID_X25519,
  pemBlocks,
  pemWrap,
  pkcs1ToPkcs8,
  privateKeyBlock,
  sec1ToPkcs8,
} from "./_pem.ts";

/** The one algorithm pair a JWE key is used with. */
export interface JweBinding {
  readonly alg: JweAlg;
  readonly enc: JweEnc;
}

/** A key to encrypt to: a relying party's public key, or the shared secret of `dir`. */
export interface JweRecipient extends JweBinding {
  /** Sent as the JWE `kid` header, when known. */
  readonly kid?: string;
  /** ECDH-ES: the curve of `publicKey`. */
  readonly curve?: EcdhCurve;
  /** RSA-OAEP-256 (`encrypt`) or ECDH-ES (the peer key of the agreement). */
  readonly publicKey?: CryptoKey;
  /** `dir`: the content encryption key itself. */
  readonly secret?: Uint8Array;
}

/** A key to decrypt with: one of ours. */
export interface JweDecryptionKey extends JweBinding {
  readonly kid?: string;
  readonly curve?: EcdhCurve;
  /** RSA-OAEP-256 (`decrypt`) or ECDH (`deriveBits`); never extractable. */
  readonly privateKey?: CryptoKey;
  /** RSA: the modulus length in bytes, the exact size of a JWE Encrypted Key. */
  readonly modulusBytes?: number;
  /** `dir`: the content encryption key itself. */
  readonly secret?: Uint8Array;
  /** The public members (RFC 7517 §4), for the JWKS; absent for `dir`. */
  readonly publicJwk?: JsonWebKey;
}

/** What kind of key material an algorithm pair needs. */
type Material = "RSA" | "P-256" | "X25519" | "oct";

const RSA_OAEP: RsaHashedImportParams = { name: "RSA-OAEP", hash: "SHA-256" };
const MIN_RSA_BITS = 2048;

function _invalidKey(message: string, cause?: unknown): KeypebbleError {
  return new KeypebbleError("invalid_key", message, { cause });
}

/**
 * The key management algorithm a key implies when none is named: RSA → `RSA-OAEP-256`, EC and
 * OKP → `ECDH-ES`, oct → `dir`.
 */
export function defaultJweAlg(kty: string): JweAlg | undefined {
  return kty === "RSA"
    ? "RSA-OAEP-256"
    : kty === "EC" || kty === "OKP"
    ? "ECDH-ES"
    : kty === "oct"
    ? "dir"
    : undefined;
}

function _fits(alg: JweAlg, material: Material): boolean {
  switch (alg) {
    case "RSA-OAEP-256":
      return material === "RSA";
    case "dir":
      return material === "oct";
    default:
      return material === "P-256" || material === "X25519";
  }
}

function _checkFits(alg: JweAlg, material: Material): void {
  if (!_fits(alg, material)) {
    throw _invalidKey(`A key of type "${material}" cannot be used with "${alg}"`);
  }
}

async function _checkCurveAvailable(material: Material): Promise<void> {
  if (material === "X25519" && !(await x25519Available())) {
    throw _invalidKey("X25519 is not available in this runtime's Web Crypto; use a P-256 key");
  }
}

function _params(material: Material): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  return material === "RSA" ? RSA_OAEP : ecdhParams(material as EcdhCurve);
}

function _publicMembers(jwk: JsonWebKey): JsonWebKey {
  switch (jwk.kty) {
    case "RSA":
      return Object.freeze({ kty: "RSA", n: jwk.n, e: jwk.e });
    case "EC":
      return Object.freeze({ kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y });
    default:
      return Object.freeze({ kty: "OKP", crv: jwk.crv, x: jwk.x });
  }
}

function _materialOfJwk(jwk: Record<string, unknown>): Material {
  if (jwk.kty === "RSA" && typeof jwk.n === "string" && typeof jwk.e === "string") return "RSA";
  if (jwk.kty === "EC" && jwk.crv === "P-256" && typeof jwk.x === "string") return "P-256";
  if (jwk.kty === "OKP" && jwk.crv === "X25519" && typeof jwk.x === "string") return "X25519";
  if (jwk.kty === "oct" && typeof jwk.k === "string") return "oct";
  throw _invalidKey(
    "Unsupported or incomplete JWK for encryption (RSA, EC P-256, OKP X25519 or oct)",
  );
}

function _checkRsaBits(key: CryptoKey): number {
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (bits < MIN_RSA_BITS) {
    throw new KeypebbleError(
      "weak_key",
      `RSA key has ${bits} bits; at least ${MIN_RSA_BITS} bits are required`,
    );
  }
  return bits / 8;
}

/**
 * The binding of a JWK: `alg` must agree with the JWK's own `alg` when both are given; `use`
 * must be absent or `enc` (RFC 7517 §4.2).
 */
function _binding(
  jwk: Record<string, unknown>,
  material: Material,
  wanted: { alg?: JweAlg; enc?: JweEnc },
): JweBinding {
  if (jwk.use !== undefined && jwk.use !== "enc") {
    throw _invalidKey('JWK is not an encryption key ("use" is not "enc")');
  }
  // A shared key for dir often names its content encryption as "alg" (RFC 7520 §5.6).
  if (material === "oct" && isJweEnc(jwk.alg)) {
    if (wanted.alg !== undefined && wanted.alg !== "dir") {
      throw _invalidKey(`A "${String(jwk.alg)}" key is used with "dir", not "${wanted.alg}"`);
    }
    if (wanted.enc !== undefined && wanted.enc !== jwk.alg) {
      throw _invalidKey(`JWK is for "${String(jwk.alg)}", not "${wanted.enc}"`);
    }
    return { alg: "dir", enc: jwk.alg as JweEnc };
  }
  if (jwk.alg !== undefined && !isJweAlg(jwk.alg)) {
    throw _invalidKey(
      `JWK algorithm ${JSON.stringify(String(jwk.alg).slice(0, 32))} is not offered`,
    );
  }
  if (wanted.alg !== undefined && jwk.alg !== undefined && jwk.alg !== wanted.alg) {
    throw _invalidKey(`JWK is for "${String(jwk.alg)}", not "${wanted.alg}"`);
  }
  const alg = wanted.alg ?? (jwk.alg as JweAlg | undefined) ?? defaultJweAlg(String(jwk.kty))!;
  _checkFits(alg, material);
  const enc = wanted.enc ?? "A256GCM";
  return { alg, enc };
}

function _secret(k: string, enc: JweEnc): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = b64uDecode(k);
  } catch (cause) {
    throw _invalidKey('JWK "k" is not base64url', cause);
  }
  // RFC 7518 §5.2.3, §5.3: dir uses the key as the CEK, whose size the enc fixes
  if (bytes.length !== ENC_TABLE[enc].cekBytes) {
    throw _invalidKey(`A "dir" key for "${enc}" must be ${ENC_TABLE[enc].cekBytes} bytes`);
  }
  return bytes;
}

function _kidOf(jwk: Record<string, unknown>): string | undefined {
  if (jwk.kid === undefined) return undefined;
  if (typeof jwk.kid !== "string" || jwk.kid === "" || jwk.kid.length > 256) {
    throw _invalidKey("JWK kid must be a string of 1 to 256 characters");
  }
  return jwk.kid;
}

// ---------------------------------------------------------------------------------------------
// Recipients

/** What both JWK importers read first: the members, the key type, its binding, its kid; a
 * symmetric (`dir`) key is complete there. */
function _readJwk(
  jwk: unknown,
  wanted: { alg?: JweAlg; enc?: JweEnc },
): {
  o: Record<string, unknown>;
  material: Material;
  binding: ReturnType<typeof _binding>;
  kid: string | undefined;
  secret?: JweRecipient & JweDecryptionKey;
} {
  if (jwk === null || typeof jwk !== "object" || Array.isArray(jwk)) {
    throw _invalidKey("JWK must be an object");
  }
  const o = jwk as Record<string, unknown>;
  const material = _materialOfJwk(o);
  const binding = _binding(o, material, wanted);
  const kid = _kidOf(o);
  if (material !== "oct") return { o, material, binding, kid };
  const secret = Object.freeze({
    ...binding,
    ...(kid === undefined ? {} : { kid }),
    secret: _secret(o.k as string, binding.enc),
  }) as JweRecipient & JweDecryptionKey;
  return { o, material, binding, kid, secret };
}

/**
 * Import a recipient from a public (or private: only its public part is used) JWK. The kid is
 * the JWK's `kid`, else, for a public key, its RFC 7638 thumbprint.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweRecipientJwk(
  jwk: unknown,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweRecipient> {
  const { o, material, binding, kid, secret } = _readJwk(jwk, wanted);
  if (secret !== undefined) return secret;
  await _checkCurveAvailable(material);
  const pub = _publicMembers(o as JsonWebKey);
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey(
      "jwk",
      pub,
      _params(material),
      true,
      material === "RSA" ? ["encrypt"] : [],
    );
  } catch (cause) {
    throw _invalidKey(`Public key of type "${material}" could not be imported`, cause);
  }
  if (material === "RSA") _checkRsaBits(publicKey);
  return Object.freeze({
    ...binding,
    kid: kid ?? await jwkThumbprint(pub),
    publicKey,
    ...(material === "RSA" ? {} : { curve: material as EcdhCurve }),
  });
}

function _materialOfSpki(
  der: Uint8Array,
  what: "PKCS#8 private key" | "public key",
): Material {
  const { oid, curve } = algorithmOf(der, what);
  if (oid === OID_RSA) return "RSA";
  if (oid === OID_X25519) return "X25519";
  if (oid === OID_EC && curve === OID_P256) return "P-256";
  const name = OID_NAMES[curve ?? oid] ?? OID_NAMES[oid];
  throw _invalidKey(
    `Unsupported key type${name ? ` "${name}"` : ""} for encryption; use RSA, EC P-256 or X25519`,
  );
}

/**
 * Import a recipient from PEM: a `PUBLIC KEY` (SPKI), the first `CERTIFICATE`'s key, or a
 * private key (only its public part is used). `kid` is the public key's RFC 7638 thumbprint.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweRecipientPem(
  pem: string,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweRecipient> {
  const blocks = pemBlocks(pem);
  const pub = blocks.find((b) => b.label === "PUBLIC KEY");
  const cert = blocks.find((b) => b.label === "CERTIFICATE");
  let spki: Uint8Array;
  if (pub !== undefined) spki = pub.der;
  else if (cert !== undefined) spki = certificatePublicKeySpki(cert.der);
  else {
    const key = await importJweDecryptionKeyPem(pem, wanted);
    return await importJweRecipientJwk(
      { ...key.publicJwk, ...(key.kid === undefined ? {} : { kid: key.kid }) },
      { alg: key.alg, enc: key.enc },
    );
  }
  const material = _materialOfSpki(spki, "public key");
  await _checkCurveAvailable(material);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "spki",
      new Uint8Array(spki),
      _params(material),
      true,
      material === "RSA" ? ["encrypt"] : [],
    );
  } catch (cause) {
    throw _invalidKey(`Public key of type "${material}" could not be imported`, cause);
  }
  const jwk = await crypto.subtle.exportKey("jwk", key);
  return await importJweRecipientJwk(_publicMembers(jwk), {
    alg: wanted.alg ?? defaultJweAlg(String(jwk.kty))!,
    ...(wanted.enc === undefined ? {} : { enc: wanted.enc }),
  });
}

/**
 * A recipient from a file's text: a JWK, a JWKS (the first key marked for encryption whose
 * algorithm and type fit), or PEM.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweRecipientText(
  text: string,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweRecipient> {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return await importJweRecipientPem(text, wanted);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (cause) {
    throw _invalidKey("The key file is neither PEM nor JSON", cause);
  }
  return await recipientFromJwkOrSet(doc, wanted);
}

/**
 * A recipient from a parsed JWK or JWKS (RFC 7517 §5). From a set, the first key that is for
 * encryption (`use` absent or `enc`), whose `alg` (when present) is the wanted one and whose
 * type fits it, is taken.
 *
 * @throws {KeypebbleError} `invalid_key`
 */
export async function recipientFromJwkOrSet(
  doc: unknown,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweRecipient> {
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return await importJweRecipientJwk(doc, wanted);
  for (const jwk of keys.slice(0, 64)) {
    if (jwk === null || typeof jwk !== "object") continue;
    const o = jwk as Record<string, unknown>;
    if (o.use !== undefined && o.use !== "enc") continue;
    if (wanted.alg !== undefined && o.alg !== undefined && o.alg !== wanted.alg) continue;
    if (wanted.alg === undefined && !isJweAlg(o.alg)) continue;
    let material: Material;
    try {
      material = _materialOfJwk(o);
    } catch {
      continue;
    }
    const alg = wanted.alg ?? (o.alg as JweAlg);
    if (!_fits(alg, material)) continue;
    return await importJweRecipientJwk(o, { ...wanted, alg });
  }
  throw _invalidKey(
    `The key set has no encryption key${wanted.alg === undefined ? "" : ` for "${wanted.alg}"`}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Decryption keys

async function _decryptionKey(
  material: Exclude<Material, "oct">,
  pkcs8: Uint8Array,
  binding: JweBinding,
): Promise<JweDecryptionKey> {
  _checkFits(binding.alg, material);
  await _checkCurveAvailable(material);
  const usages: KeyUsage[] = material === "RSA" ? ["decrypt"] : ["deriveBits"];
  const bytes = new Uint8Array(pkcs8);
  let exportable: CryptoKey;
  try {
    exportable = await crypto.subtle.importKey("pkcs8", bytes, _params(material), true, usages);
  } catch (cause) {
    throw _invalidKey(`Private key of type "${material}" could not be imported`, cause);
  }
  const modulusBytes = material === "RSA" ? _checkRsaBits(exportable) : undefined;
  const publicJwk = _publicMembers(await crypto.subtle.exportKey("jwk", exportable));
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    bytes,
    _params(material),
    false,
    usages,
  );
  bytes.fill(0);
  return Object.freeze({
    ...binding,
    // Like signing keys: the RFC 7638 thumbprint unless the config or the JWK names one.
    kid: await jwkThumbprint(publicJwk),
    privateKey,
    publicJwk,
    ...(modulusBytes === undefined ? { curve: material as EcdhCurve } : { modulusBytes }),
  });
}

/**
 * Import one of our decryption keys from PEM (PKCS#8 RSA, EC P-256 or X25519; PKCS#1 RSA; SEC1
 * EC), bound to one pair: `wanted`, by default the key type's algorithm (`RSA-OAEP-256` or
 * `ECDH-ES`) with `A256GCM`. Its kid is the RFC 7638 thumbprint.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweDecryptionKeyPem(
  pem: string,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweDecryptionKey> {
  const block = privateKeyBlock(pem);
  let pkcs8: Uint8Array;
  let material: Material;
  if (block.label === "RSA PRIVATE KEY") {
    pkcs8 = pkcs1ToPkcs8(block.der);
    material = "RSA";
  } else if (block.label === "EC PRIVATE KEY") {
    pkcs8 = sec1ToPkcs8(block.der);
    material = "P-256";
  } else {
    pkcs8 = block.der;
    material = _materialOfSpki(pkcs8, "PKCS#8 private key");
  }
  const kty = material === "RSA" ? "RSA" : material === "P-256" ? "EC" : "OKP";
  return await _decryptionKey(material as Exclude<Material, "oct">, pkcs8, {
    alg: wanted.alg ?? defaultJweAlg(kty)!,
    enc: wanted.enc ?? "A256GCM",
  });
}

/**
 * Import one of our decryption keys from a private JWK (with `d`, or `k` for `dir`). The kid is
 * the JWK's `kid` when it has one, else (not for `dir`) its RFC 7638 thumbprint.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweDecryptionJwk(
  jwk: unknown,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweDecryptionKey> {
  const { o, material, binding, kid, secret } = _readJwk(jwk, wanted);
  if (secret !== undefined) return secret;
  if (typeof o.d !== "string") throw _invalidKey('JWK has no private part ("d")');
  await _checkCurveAvailable(material);
  const usages: KeyUsage[] = material === "RSA" ? ["decrypt"] : ["deriveBits"];
  const { use: _u, alg: _a, key_ops: _k, kid: _i, ...members } = o;
  let exportable: CryptoKey;
  try {
    exportable = await crypto.subtle.importKey(
      "jwk",
      { ...(members as JsonWebKey), ext: true },
      _params(material),
      true,
      usages,
    );
  } catch (cause) {
    throw _invalidKey(`Private key of type "${material}" could not be imported`, cause);
  }
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", exportable));
  const key = await _decryptionKey(material as Exclude<Material, "oct">, pkcs8, binding);
  return kid === undefined ? key : Object.freeze({ ...key, kid });
}

/**
 * One of our decryption keys from a file's text: a private JWK or PEM.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importJweDecryptionKeyText(
  text: string,
  wanted: { alg?: JweAlg; enc?: JweEnc } = {},
): Promise<JweDecryptionKey> {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return await importJweDecryptionKeyPem(text, wanted);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (cause) {
    throw _invalidKey("The key file is neither PEM nor JSON", cause);
  }
  return await importJweDecryptionJwk(doc, wanted);
}

/** A copy of `key` with its key id set. */
export function withJweKid<T extends JweDecryptionKey | JweRecipient>(key: T, kid: string): T {
  const copy: T = { ...key, kid };
  return Object.freeze(copy);
}

// ---------------------------------------------------------------------------------------------
// Generation

/** The key types `keygen --use enc` makes. */
export type JweKeyType = "RSA" | "P-256" | "X25519";

/**
 * Generate a new encryption key with Web Crypto and return it as a PKCS#8 PEM.
 *
 * @throws {KeypebbleError} `invalid_key` for X25519 on a runtime without it
 */
export async function generateJweKeyPem(
  type: JweKeyType,
  options: { bits?: 2048 | 3072 | 4096 } = {},
): Promise<string> {
  await _checkCurveAvailable(type);
  const params = type === "RSA"
    ? {
      ...RSA_OAEP,
      modulusLength: options.bits ?? 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
    } as RsaHashedKeyGenParams
    : ecdhParams(type);
  const usages: KeyUsage[] = type === "RSA" ? ["encrypt", "decrypt"] : ["deriveBits"];
  const pair = await crypto.subtle.generateKey(params, true, usages) as CryptoKeyPair;
  return pemWrap(
    "PRIVATE KEY",
    new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
  );
}
