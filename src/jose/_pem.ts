/**
 * PEM (RFC 7468) blocks and the private-key containers Keypebble reads: PKCS#8 (RFC 5208/5958),
 * PKCS#1 RSA (RFC 8017 §A.1.2) and SEC1 EC (RFC 5915), the last two wrapped into PKCS#8 so Web
 * Crypto can import them. Internal to `src/jose` (signing keys in `keys.ts`, encryption keys in
 * `jwe_keys.ts`).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import {
  children,
  concat,
  encodeTlv,
  hexBytes,
  readTlv,
  readTop,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  type Tlv,
  valueHex,
} from "./_der.ts";

// Object identifier values (hex of the DER content octets)
/** rsaEncryption, RFC 8017 §A.1 */
export const OID_RSA = "2a864886f70d010101";
/** id-ecPublicKey, RFC 5480 §2.1.1 */
export const OID_EC = "2a8648ce3d0201";
/** secp256r1, RFC 5480 §2.1.1.1 */
export const OID_P256 = "2a8648ce3d030107";
/** id-Ed25519, RFC 8410 §3 */
export const OID_ED25519 = "2b6570";
/** id-X25519, RFC 8410 §3 */
export const OID_X25519 = "2b656e";

/** Names of key types Keypebble recognises but does not use, for messages. */
export const OID_NAMES: Readonly<Record<string, string>> = {
  "2b81040022": "EC P-384",
  "2b81040023": "EC P-521",
  "2b6571": "Ed448",
  "2b656e": "X25519",
  "2b656f": "X448",
  "2a864886f70d01010a": "RSA-PSS",
  "2a8648ce380401": "DSA",
};

function _invalidKey(message: string, cause?: unknown): KeypebbleError {
  return new KeypebbleError("invalid_key", message, { cause });
}

/** One PEM block: its label, RFC 1421 headers (if any) and DER body. */
export interface PemBlock {
  readonly label: string;
  readonly headers: string;
  readonly der: Uint8Array;
}

/** Every `-----BEGIN X-----` … `-----END X-----` block of `pem`, in order. */
export function pemBlocks(pem: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of pem.matchAll(re)) {
    const label = m[1];
    let body = m[2];
    let headers = "";
    // RFC 1421 style headers (Proc-Type, DEK-Info) end at the first blank line
    if (body.includes(":")) {
      const split = body.search(/\r?\n\s*\r?\n/);
      headers = split >= 0 ? body.slice(0, split) : body;
      body = split >= 0 ? body.slice(split) : "";
    }
    out.push({ label, headers, der: _b64Decode(body.replace(/\s+/g, ""), label) });
  }
  return out;
}

function _b64Decode(s: string, label: string): Uint8Array {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch (cause) {
    throw _invalidKey(`PEM block "${label}" is not valid base64`, cause);
  }
}

/** DER as one PEM block with 64-character lines (RFC 7468 §2). */
export function pemWrap(label: string, der: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...der));
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * The private key block of `pem`: `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`. An
 * encrypted key is refused with a hint rather than asked a passphrase for.
 *
 * @throws {KeypebbleError} `invalid_key`
 */
export function privateKeyBlock(pem: string): PemBlock {
  const blocks = pemBlocks(pem);
  const block = blocks.find((b) =>
    b.label === "PRIVATE KEY" || b.label === "RSA PRIVATE KEY" || b.label === "EC PRIVATE KEY" ||
    b.label === "ENCRYPTED PRIVATE KEY"
  );
  if (block === undefined) {
    if (blocks.some((b) => b.label.endsWith("PRIVATE KEY"))) {
      throw _invalidKey(
        `Unsupported private key PEM type "${blocks[0].label}"; use PKCS#8 ("PRIVATE KEY")`,
      );
    }
    throw _invalidKey("No private key found in PEM");
  }
  if (block.label === "ENCRYPTED PRIVATE KEY" || /ENCRYPTED/i.test(block.headers)) {
    throw _invalidKey(
      'Encrypted private keys are not supported; decrypt it first, e.g. with "openssl pkey"',
    );
  }
  return block;
}

/**
 * The AlgorithmIdentifier (RFC 5280 §4.1.1.2) of a PKCS#8 PrivateKeyInfo (RFC 5208 §5) or a
 * SubjectPublicKeyInfo: its OID and, for EC keys, the curve's OID (hex).
 *
 * @throws {KeypebbleError} `invalid_key` when the DER is malformed
 */
export function algorithmOf(
  der: Uint8Array,
  what: "PKCS#8 private key" | "public key",
): { oid: string; curve?: string } {
  const top = readTop(der, TAG_SEQUENCE, what);
  const parts = children(der, top, what);
  let algId: Tlv | undefined;
  if (what === "PKCS#8 private key") {
    if (parts.length < 3 || parts[0].tag !== TAG_INTEGER || parts[2].tag !== TAG_OCTET_STRING) {
      throw _invalidKey(`Malformed DER in ${what}`);
    }
    algId = parts[1];
  } else {
    if (parts.length !== 2) throw _invalidKey(`Malformed DER in ${what}`);
    algId = parts[0];
  }
  if (algId.tag !== TAG_SEQUENCE) throw _invalidKey(`Malformed DER in ${what}`);
  const ids = children(der, algId, what);
  if (ids.length === 0 || ids[0].tag !== TAG_OID) throw _invalidKey(`Malformed DER in ${what}`);
  const oid = valueHex(der, ids[0]);
  const curve = ids[1]?.tag === TAG_OID ? valueHex(der, ids[1]) : undefined;
  return curve === undefined ? { oid } : { oid, curve };
}

const RSA_ALG_ID = encodeTlv(
  TAG_SEQUENCE,
  concat(encodeTlv(TAG_OID, hexBytes(OID_RSA)), encodeTlv(TAG_NULL, new Uint8Array())),
);
const EC_ALG_ID = encodeTlv(
  TAG_SEQUENCE,
  concat(encodeTlv(TAG_OID, hexBytes(OID_EC)), encodeTlv(TAG_OID, hexBytes(OID_P256))),
);
const VERSION_0 = encodeTlv(TAG_INTEGER, new Uint8Array([0]));

function _pkcs8(algId: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return encodeTlv(
    TAG_SEQUENCE,
    concat(VERSION_0, algId, encodeTlv(TAG_OCTET_STRING, privateKey)),
  );
}

/** Wrap a PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2) into PKCS#8. */
export function pkcs1ToPkcs8(der: Uint8Array): Uint8Array {
  const what = "PKCS#1 RSA private key";
  const top = readTop(der, TAG_SEQUENCE, what);
  const parts = children(der, top, what);
  if (parts.length < 9 || parts.some((p) => p.tag !== TAG_INTEGER)) {
    throw _invalidKey(`Malformed DER in ${what}`);
  }
  return _pkcs8(RSA_ALG_ID, der);
}

/** Wrap a SEC1 ECPrivateKey (RFC 5915 §3) into PKCS#8, dropping its curve parameters. */
export function sec1ToPkcs8(der: Uint8Array): Uint8Array {
  const what = "SEC1 EC private key";
  const top = readTop(der, TAG_SEQUENCE, what);
  const parts = children(der, top, what);
  if (parts.length < 2 || parts[0].tag !== TAG_INTEGER || parts[1].tag !== TAG_OCTET_STRING) {
    throw _invalidKey(`Malformed DER in ${what}`);
  }
  let publicKey: Uint8Array | undefined;
  for (const p of parts.slice(2)) {
    if (p.tag === 0xa0) {
      const curve = readTlv(der, p.start, p.end, what);
      if (curve.tag !== TAG_OID || valueHex(der, curve) !== OID_P256) {
        const name = curve.tag === TAG_OID ? OID_NAMES[valueHex(der, curve)] : undefined;
        throw _invalidKey(
          `Unsupported elliptic curve${
            name ? ` "${name}"` : ""
          }; only "P-256" (ES256) is supported`,
        );
      }
    } else if (p.tag === 0xa1) publicKey = der.slice(p.tlvStart, p.end);
  }
  // RFC 5915 §3: parameters are omitted inside PKCS#8, where the AlgorithmIdentifier names them
  const inner = encodeTlv(
    TAG_SEQUENCE,
    concat(
      der.slice(parts[0].tlvStart, parts[0].end),
      der.slice(parts[1].tlvStart, parts[1].end),
      publicKey ?? new Uint8Array(),
    ),
  );
  return _pkcs8(EC_ALG_ID, inner);
}
