/**
 * Key import and key identifiers. Every key is imported once, at start, into CryptoKeys bound to
 * exactly one algorithm (RFC 8725 §3.1); the hot path never parses a key.
 *
 * Supported inputs: PKCS#8 (`BEGIN PRIVATE KEY`, RFC 5208/5958) for RSA, EC P-256 and Ed25519;
 * PKCS#1 (`BEGIN RSA PRIVATE KEY`, RFC 8017 §A.1.2); SEC1 (`BEGIN EC PRIVATE KEY`, RFC 5915);
 * raw HMAC secrets. Bare public keys are never imported: every key Keypebble holds can sign.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { type Alg, algSpec, isAlg } from "./algorithms.ts";
import { b64uEncode } from "./base64url.ts";
import {
  children,
  readTop,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  type Tlv,
  valueHex,
} from "./_der.ts";
import {
  OID_EC,
  OID_ED25519,
  OID_NAMES,
  OID_P256,
  OID_RSA,
  pemBlocks,
  pemWrap,
  pkcs1ToPkcs8,
  privateKeyBlock,
  sec1ToPkcs8,
} from "./_pem.ts";
import { HmacSha256 } from "./hmac_sha256.ts";

/** A key bound to one algorithm, ready to sign (when `privateKey` is set) and verify. */
export interface KeyEntry {
  readonly alg: Alg;
  readonly kid?: string;
  readonly privateKey?: CryptoKey;
  readonly verifyKey: CryptoKey;
  /** Public members only (RFC 7517 §4); absent for HMAC. */
  readonly publicJwk?: JsonWebKey;
  /** SubjectPublicKeyInfo DER; absent for HMAC. */
  readonly spkiDer?: Uint8Array;
  /** HS256 only: the synchronous MAC the signer uses on the hot path (see hmac_sha256.ts). */
  readonly mac?: HmacSha256;
}

const encoder = new TextEncoder();

function _invalidKey(message: string, cause?: unknown): KeypebbleError {
  return new KeypebbleError("invalid_key", message, { cause });
}

/** A copy of `entry` with its key id set. */
export function withKid(entry: KeyEntry, kid: string): KeyEntry {
  return Object.freeze({ ...entry, kid });
}

// ---------------------------------------------------------------------------------------------
// Key type detection

type KeyKind = "RSA" | "P-256" | "Ed25519";

const ALG_OF_KIND: Record<KeyKind, Alg> = { RSA: "RS256", "P-256": "ES256", Ed25519: "EdDSA" };

/** The algorithm a key kind is bound to. */
function _algFor(kind: KeyKind, wanted: Alg | undefined): Alg {
  const alg = ALG_OF_KIND[kind];
  if (wanted !== undefined && wanted !== alg) {
    throw _invalidKey(`Key type "${kind}" cannot be used with algorithm "${wanted}"`);
  }
  return alg;
}

/** Key kind from an AlgorithmIdentifier (RFC 5280 §4.1.1.2). */
function _kindOfAlgId(der: Uint8Array, algId: Tlv, what: string): KeyKind {
  if (algId.tag !== TAG_SEQUENCE) throw _invalidKey(`Malformed DER in ${what}`);
  const parts = children(der, algId, what);
  if (parts.length === 0 || parts[0].tag !== TAG_OID) {
    throw _invalidKey(`Malformed DER in ${what}`);
  }
  const oid = valueHex(der, parts[0]);
  if (oid === OID_RSA) return "RSA";
  if (oid === OID_ED25519) return "Ed25519";
  if (oid === OID_EC) {
    const curve = parts[1];
    if (curve?.tag === TAG_OID && valueHex(der, curve) === OID_P256) return "P-256";
    const name = curve?.tag === TAG_OID ? OID_NAMES[valueHex(der, curve)] : undefined;
    throw _invalidKey(
      `Unsupported elliptic curve${name ? ` "${name}"` : ""}; only "P-256" (ES256) is supported`,
    );
  }
  const name = OID_NAMES[oid];
  throw _invalidKey(
    `Unsupported key type${name ? ` "${name}"` : ""}; use RSA, EC P-256 or Ed25519`,
  );
}

/** Key kind of a PKCS#8 PrivateKeyInfo (RFC 5208 §5, RFC 5958 §2). */
function _kindOfPkcs8(der: Uint8Array): KeyKind {
  const what = "PKCS#8 private key";
  const top = readTop(der, TAG_SEQUENCE, what);
  const parts = children(der, top, what);
  if (parts.length < 3 || parts[0].tag !== TAG_INTEGER || parts[2].tag !== TAG_OCTET_STRING) {
    throw _invalidKey(`Malformed DER in ${what}`);
  }
  return _kindOfAlgId(der, parts[1], what);
}

// ---------------------------------------------------------------------------------------------
// Import

function _publicMembers(jwk: JsonWebKey): JsonWebKey {
  // Only the public members (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2); never d, p, q, ...
  switch (jwk.kty) {
    case "RSA":
      return Object.freeze({ kty: "RSA", n: jwk.n, e: jwk.e });
    case "EC":
      return Object.freeze({ kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y });
    case "OKP":
      return Object.freeze({ kty: "OKP", crv: jwk.crv, x: jwk.x });
    default:
      throw _invalidKey(`Unsupported JWK key type "${String(jwk.kty)}"`);
  }
}

function _checkStrength(alg: Alg, key: CryptoKey): void {
  const min = algSpec(alg).minKeyBits;
  if (alg === "RS256" && min !== undefined) {
    const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
    if (bits < min) {
      throw new KeypebbleError(
        "weak_key",
        `RSA key has ${bits} bits; at least ${min} bits are required`,
      );
    }
  }
}

async function _publicEntry(
  alg: Alg,
  publicJwk: JsonWebKey,
): Promise<{ verifyKey: CryptoKey; publicJwk: JsonWebKey; spkiDer: Uint8Array }> {
  const params = algSpec(alg).importParams;
  let verifyKey: CryptoKey;
  try {
    verifyKey = await crypto.subtle.importKey("jwk", publicJwk, params, true, ["verify"]);
  } catch (cause) {
    throw _invalidKey(`Public key for "${alg}" could not be imported`, cause);
  }
  _checkStrength(alg, verifyKey);
  const spkiDer = new Uint8Array(await crypto.subtle.exportKey("spki", verifyKey));
  return { verifyKey, publicJwk, spkiDer };
}

/**
 * Import a verify-only key from a trusted issuer's published JWK (RFC 7517), for RFC 8693 token
 * exchange (`src/oauth/issuer_keys.ts`). The algorithm is `jwk.alg` when present (it must be in
 * the table and fit the key type), else implied by `kty`/`crv`; private members are ignored;
 * a key marked for another use than `sig` is refused; `jwk.kid` becomes the entry's kid.
 *
 * @throws {KeypebbleError} `invalid_key`, `weak_key`
 */
export async function importPublicJwk(
  jwk: JsonWebKey & { kid?: unknown; alg?: unknown },
): Promise<KeyEntry> {
  if (jwk === null || typeof jwk !== "object") throw _invalidKey("JWK must be an object");
  let kind: KeyKind;
  if (jwk.kty === "RSA" && typeof jwk.n === "string" && typeof jwk.e === "string") kind = "RSA";
  else if (
    jwk.kty === "EC" && jwk.crv === "P-256" && typeof jwk.x === "string" &&
    typeof jwk.y === "string"
  ) kind = "P-256";
  else if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.x === "string") {
    kind = "Ed25519";
  } else throw _invalidKey("Unsupported or incomplete JWK");
  if (jwk.use !== undefined && jwk.use !== "sig") throw _invalidKey("JWK is not a signature key");
  if (jwk.alg !== undefined && !isAlg(jwk.alg)) throw _invalidKey("JWK algorithm is not supported");
  if (jwk.kid !== undefined && typeof jwk.kid !== "string") {
    throw _invalidKey("JWK kid must be a string");
  }
  const alg = _algFor(kind, jwk.alg as Alg | undefined);
  const entry: KeyEntry = Object.freeze({ alg, ...(await _publicEntry(alg, _publicMembers(jwk))) });
  return jwk.kid === undefined ? entry : withKid(entry, jwk.kid);
}

/**
 * Import a private key from PEM: PKCS#8 (RSA, EC P-256, Ed25519), PKCS#1 RSA or SEC1 EC. The key
 * type decides the algorithm; `options.alg`, when given, must agree with it.
 *
 * @throws {KeypebbleError} `invalid_key` (unparsable, encrypted, unsupported type, alg mismatch),
 *   `weak_key` (RSA under 2048 bits)
 * @example
 * ```ts
 * const entry = withKid(await importPrivateKeyPem(pem), "k1");
 * ```
 */
export async function importPrivateKeyPem(
  pem: string,
  options: { alg?: Alg } = {},
): Promise<KeyEntry> {
  const block = privateKeyBlock(pem);
  let pkcs8: Uint8Array;
  let kind: KeyKind;
  if (block.label === "RSA PRIVATE KEY") {
    pkcs8 = pkcs1ToPkcs8(block.der);
    kind = "RSA";
  } else if (block.label === "EC PRIVATE KEY") {
    pkcs8 = sec1ToPkcs8(block.der);
    kind = "P-256";
  } else {
    pkcs8 = block.der;
    kind = _kindOfPkcs8(pkcs8);
  }
  const alg = _algFor(kind, options.alg);
  const params = algSpec(alg).importParams;
  const bytes = new Uint8Array(pkcs8);
  let exportable: CryptoKey;
  try {
    exportable = await crypto.subtle.importKey("pkcs8", bytes, params, true, ["sign"]);
  } catch (cause) {
    throw _invalidKey(`Private key of type "${kind}" could not be imported`, cause);
  }
  _checkStrength(alg, exportable);
  // Derive the public key from the private one (the private JWK never leaves this function)
  const jwk = await crypto.subtle.exportKey("jwk", exportable);
  const pub = await _publicEntry(alg, _publicMembers(jwk));
  // The signing key kept around is not extractable
  const privateKey = await crypto.subtle.importKey("pkcs8", bytes, params, false, ["sign"]);
  bytes.fill(0);
  return Object.freeze({ alg, privateKey, ...pub });
}

/**
 * Import an HMAC secret for HS256. The CryptoKey is not extractable.
 *
 * @throws {KeypebbleError} `weak_key` when shorter than 32 bytes (RFC 7518 §3.2)
 */
export async function importHmacSecret(secret: Uint8Array): Promise<KeyEntry> {
  const spec = algSpec("HS256");
  const minBytes = (spec.minKeyBits ?? 256) / 8;
  if (secret.length < minBytes) {
    throw new KeypebbleError(
      "weak_key",
      `HS256 secret has ${secret.length} bytes; at least ${minBytes} bytes are required`,
    );
  }
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(secret),
    spec.importParams,
    false,
    ["sign", "verify"],
  );
  return Object.freeze({
    alg: "HS256",
    privateKey: key,
    verifyKey: key,
    mac: new HmacSha256(secret),
  });
}

// ---------------------------------------------------------------------------------------------
// Key identifiers

const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  // RFC 7638 §3.2 (RSA, EC, oct), RFC 8037 §2 (OKP); already in lexicographic order
  RSA: ["e", "kty", "n"],
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  oct: ["k", "kty"],
};

/**
 * RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order with no
 * whitespace, base64url encoded.
 *
 * @example
 * ```ts
 * const kid = await jwkThumbprint(entry.publicJwk!);
 * ```
 */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  const members = typeof jwk.kty === "string" ? THUMBPRINT_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) throw _invalidKey(`Unsupported JWK key type "${String(jwk.kty)}"`);
  const ordered: Record<string, string> = {};
  for (const m of members) {
    const v = (jwk as Record<string, unknown>)[m];
    if (typeof v !== "string") throw _invalidKey(`JWK is missing member "${m}"`);
    ordered[m] = v;
  }
  // RFC 7638 §3.3: member values are base64url strings or names, so JSON.stringify is canonical
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(JSON.stringify(ordered)));
  return b64uEncode(new Uint8Array(digest));
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; // RFC 4648 §6

/**
 * The key id of docker/libtrust, which the distribution registry checks against `kid`:
 * SHA-256 of the SPKI DER, first 240 bits, base32 (RFC 4648 §6, no padding), then 12 groups of
 * 4 characters joined by `:`.
 *
 * @example
 * ```ts
 * await libtrustKeyId(entry.spkiDer!); // "ABCD:EFGH:...:WXYZ"
 * ```
 */
export async function libtrustKeyId(spkiDer: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new Uint8Array(spkiDer)),
  ).subarray(0, 30);
  let b32 = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      b32 += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  // 240 bits is exactly 48 characters, so there is no remainder
  const groups: string[] = [];
  for (let i = 0; i < b32.length; i += 4) groups.push(b32.slice(i, i + 4));
  return groups.join(":");
}

// ---------------------------------------------------------------------------------------------
// Certificates

/**
 * The DER of every `CERTIFICATE` block, in order (leaf first, for `x5c`, RFC 7515 §4.1.6).
 *
 * @throws {KeypebbleError} `invalid_key` when there is none or one is not a DER SEQUENCE
 */
export function parseCertificateChainPem(pem: string): Uint8Array[] {
  const certs = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
  if (certs.length === 0) throw _invalidKey("No certificate found in PEM");
  for (const der of certs) readTop(der, TAG_SEQUENCE, "certificate");
  return certs;
}

/**
 * The SubjectPublicKeyInfo DER of an X.509 certificate (RFC 5280 §4.1), to check that the leaf
 * certificate matches the signing key.
 *
 * @throws {KeypebbleError} `invalid_key` when the certificate is malformed
 */
export function certificatePublicKeySpki(der: Uint8Array): Uint8Array {
  const what = "certificate";
  const cert = readTop(der, TAG_SEQUENCE, what);
  const [tbs] = children(der, cert, what);
  if (tbs?.tag !== TAG_SEQUENCE) throw _invalidKey(`Malformed DER in ${what}`);
  const fields = children(der, tbs, what);
  // RFC 5280 §4.1: [0] version (optional), serialNumber, signature, issuer, validity, subject,
  // subjectPublicKeyInfo, ...
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const spki = fields[first + 5];
  if (spki?.tag !== TAG_SEQUENCE) throw _invalidKey(`Malformed DER in ${what}`);
  return der.slice(spki.tlvStart, spki.end);
}

// ---------------------------------------------------------------------------------------------
// Generation

/**
 * Generate a new private key with Web Crypto and return it as a PKCS#8 PEM
 * (`-----BEGIN PRIVATE KEY-----`, 64-character lines).
 *
 * @example
 * ```ts
 * const pem = await generateKeyPem("ES256");
 * ```
 */
export async function generateKeyPem(
  alg: "RS256" | "ES256" | "EdDSA",
  options: { bits?: 2048 | 3072 | 4096 } = {},
): Promise<string> {
  let params: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
  if (alg === "RS256") {
    params = {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: options.bits ?? 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    };
  } else if (alg === "ES256") params = { name: "ECDSA", namedCurve: "P-256" };
  else if (alg === "EdDSA") params = { name: "Ed25519" };
  else throw _invalidKey(`Cannot generate a key for algorithm "${String(alg)}"`);
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return pemWrap("PRIVATE KEY", der);
}
