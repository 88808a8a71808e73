/**
 * Just enough X.509 (RFC 5280) to run TLS without surprises: the subject and issuer as RFC 4514
 * strings, the validity window, the subject alternative names, whether a certificate is a CA,
 * and its SubjectPublicKeyInfo; and a proof that a private key belongs to a certificate.
 *
 * The TLS libraries of the runtimes verify chains; this file only reads what they verified (the
 * client certificate a handler is told about) and checks an operator's files before they are
 * served (`service.tls`), so `keypebble check` and a reload can refuse a bad pair with a reason.
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

/** What Keypebble reads from one certificate. */
export interface Certificate {
  /** The subject, RFC 4514 (most specific RDN first), e.g. `CN=alice,O=Edge`. */
  readonly subject: string;
  readonly issuer: string;
  /** Milliseconds since the epoch (RFC 5280 §4.1.2.5). */
  readonly notBefore: number;
  readonly notAfter: number;
  /** `uniformResourceIdentifier` names (a SPIFFE ID is one, SPIFFE X509-SVID §2). */
  readonly sanUris: readonly string[];
  readonly sanDns: readonly string[];
  /** `iPAddress` names, dotted or colon-separated. */
  readonly sanIps: readonly string[];
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  readonly isCa: boolean;
  /** The SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** The public key's kind: `RSA`, `EC P-256`, `EC P-384`, `EC P-521`, `Ed25519`, or the OID. */
  readonly keyType: string;
}

const OID_RSA = "2a864886f70d010101";
const OID_EC = "2a8648ce3d0201";
const OID_ED25519 = "2b6570";
const CURVES: Readonly<Record<string, string>> = {
  "2a8648ce3d030107": "P-256",
  "2b81040022": "P-384",
  "2b81040023": "P-521",
};
const OID_SAN = "551d11"; // 2.5.29.17
const OID_BASIC_CONSTRAINTS = "551d13"; // 2.5.29.19

/**
 * RFC 4514 §3 short names (and two OpenSSL ones); any other attribute is written as its dotted
 * OID, so a subject reads as `openssl x509 -noout -subject -nameopt RFC2253` prints it.
 */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  "550403": "CN",
  "550407": "L",
  "550408": "ST",
  "55040a": "O",
  "55040b": "OU",
  "550406": "C",
  "550409": "STREET",
  "0992268993f22c640119": "DC",
  "0992268993f22c640101": "UID",
  // Not in RFC 4514's table, but how `openssl x509 -nameopt RFC2253` writes them
  "2a864886f70d010901": "emailAddress",
  "550405": "serialNumber",
};

function _bad(what: string): KeypebbleError {
  return new KeypebbleError("invalid_key", `Malformed ${what}`);
}

/**
 * Read a DER certificate.
 *
 * @throws {KeypebbleError} `invalid_key` when it is not an X.509 certificate
 * @example
 * ```ts
 * const cert = parseCertificate(parseCertificateChainPem(pem)[0]);
 * cert.sanUris; // ["spiffe://example.org/web"]
 * ```
 */
export function parseCertificate(der: Uint8Array): Certificate {
  const what = "certificate";
  const top = readTop(der, TAG_SEQUENCE, what);
  const [tbs] = children(der, top, what);
  if (tbs?.tag !== TAG_SEQUENCE) throw _bad(what);
  const f = children(der, tbs, what);
  // RFC 5280 §4.1: [0] version, serialNumber, signature, issuer, validity, subject, spki, ...
  const o = f[0]?.tag === 0xa0 ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = f.slice(o, o + 6);
  if (
    serial?.tag !== TAG_INTEGER || issuer?.tag !== TAG_SEQUENCE ||
    validity?.tag !== TAG_SEQUENCE || subject?.tag !== TAG_SEQUENCE || spki?.tag !== TAG_SEQUENCE
  ) throw _bad(what);
  const [nb, na] = children(der, validity, what);
  if (nb === undefined || na === undefined) throw _bad(what);
  const sanUris: string[] = [];
  const sanDns: string[] = [];
  const sanIps: string[] = [];
  let isCa = false;
  const ext = f.slice(o + 6).find((t) => t.tag === 0xa3);
  if (ext !== undefined) {
    const [list] = children(der, ext, what);
    if (list?.tag !== TAG_SEQUENCE) throw _bad(what);
    for (const e of children(der, list, what)) {
      const parts = children(der, e, what);
      if (parts[0]?.tag !== TAG_OID) throw _bad(what);
      const value = parts[parts.length - 1];
      if (value?.tag !== TAG_OCTET_STRING) throw _bad(what);
      const oid = valueHex(der, parts[0]);
      if (oid === OID_SAN) {
        // RFC 5280 §4.2.1.6: GeneralNames, context tags [1] rfc822, [2] dNSName, [6] URI, [7] IP
        const names = readTlv(der, value.start, value.end, what);
        for (const n of children(der, names, what)) {
          const bytes = der.subarray(n.start, n.end);
          if (n.tag === 0x82) sanDns.push(_ascii(bytes));
          else if (n.tag === 0x86) sanUris.push(_ascii(bytes));
          else if (n.tag === 0x87) sanIps.push(_ip(bytes));
        }
      } else if (oid === OID_BASIC_CONSTRAINTS) {
        const bc = readTlv(der, value.start, value.end, what);
        const [flag] = children(der, bc, what);
        isCa = flag?.tag === 0x01 && der[flag.start] !== 0;
      }
    }
  }
  const spkiDer = der.slice(spki.tlvStart, spki.end);
  return Object.freeze({
    subject: _name(der, subject),
    issuer: _name(der, issuer),
    notBefore: _time(der, nb),
    notAfter: _time(der, na),
    sanUris: Object.freeze(sanUris),
    sanDns: Object.freeze(sanDns),
    sanIps: Object.freeze(sanIps),
    isCa,
    spki: spkiDer,
    keyType: _keyType(spkiDer),
  });
}

/** `CN=alice,O=Edge` from a Name (RFC 4514 §2.1: the last RDN first). */
function _name(der: Uint8Array, name: Tlv): string {
  const what = "certificate name";
  const rdns: string[] = [];
  for (const rdn of children(der, name, what)) {
    const parts: string[] = [];
    for (const atv of children(der, rdn, what)) {
      const [type, value] = children(der, atv, what);
      if (type?.tag !== TAG_OID || value === undefined) throw _bad(what);
      const oid = valueHex(der, type);
      const short = ATTRIBUTE_NAMES[oid];
      const text = _string(der, value);
      if (short !== undefined && text !== undefined) parts.push(`${short}=${_escape(text)}`);
      // RFC 4514 §2.4: an attribute without a string form is its dotted OID and the BER in hex
      else parts.push(`${_dotted(der.subarray(type.start, type.end))}=#${_hex(der, value)}`);
    }
    rdns.unshift(parts.join("+"));
  }
  return rdns.join(",");
}

/** The text of a DirectoryString-like value, or undefined for a type without one. */
function _string(der: Uint8Array, t: Tlv): string | undefined {
  const b = der.subarray(t.start, t.end);
  switch (t.tag) {
    case 0x0c: // UTF8String
      return new TextDecoder("utf-8", { fatal: false }).decode(b);
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // TeletexString (read as Latin-1, as OpenSSL does)
      return _ascii(b);
    case 0x1e: { // BMPString: UTF-16BE
      let s = "";
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i] << 8) | b[i + 1]);
      return s;
    }
    case 0x1c: { // UniversalString: UTF-32BE
      let s = "";
      for (let i = 0; i + 3 < b.length; i += 4) {
        s += String.fromCodePoint(
          ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0,
        );
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** RFC 4514 §2.4 escaping of one attribute value. */
function _escape(v: string): string {
  let out = v.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replaceAll("\0", "\\00");
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function _ascii(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

function _hex(der: Uint8Array, t: Tlv): string {
  let s = "";
  for (let i = t.tlvStart; i < t.end; i++) s += der[i].toString(16).padStart(2, "0");
  return s;
}

/** An OID's dotted form (X.690 §8.19). */
function _dotted(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const c of b) {
    v = v * 128 + (c & 0x7f);
    if ((c & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}

function _ip(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    return groups.join(":");
  }
  return `#${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

/** UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5.1–2) in milliseconds. */
function _time(der: Uint8Array, t: Tlv): number {
  const s = _ascii(der.subarray(t.start, t.end));
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (t.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    year = Number(m[1]);
  } else throw _bad("certificate validity");
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function _keyType(spki: Uint8Array): string {
  const what = "certificate public key";
  const top = readTop(spki, TAG_SEQUENCE, what);
  const [algId] = children(spki, top, what);
  if (algId?.tag !== TAG_SEQUENCE) throw _bad(what);
  const [oid, param] = children(spki, algId, what);
  if (oid?.tag !== TAG_OID) throw _bad(what);
  const o = valueHex(spki, oid);
  if (o === OID_RSA) return "RSA";
  if (o === OID_ED25519) return "Ed25519";
  if (o === OID_EC) {
    const curve = param?.tag === TAG_OID ? CURVES[valueHex(spki, param)] : undefined;
    return curve === undefined ? "EC (unsupported curve)" : `EC ${curve}`;
  }
  return _dotted(spki.subarray(oid.start, oid.end));
}

/** Key types a TLS certificate may carry here (rustls in Deno and BoringSSL in Bun both do). */
export const TLS_KEY_TYPES: readonly string[] = ["RSA", "EC P-256", "EC P-384", "Ed25519"];

/**
 * Prove that `keyPem` is the private key of a certificate: sign a random challenge with it and
 * verify the signature with the certificate's public key (Web Crypto; nothing is kept).
 * Accepts PKCS#8, PKCS#1 (RSA) and SEC1 (EC) PEM, unencrypted.
 *
 * @throws {KeypebbleError} `invalid_key` (unreadable, encrypted, a type TLS cannot use here, or
 *   not the certificate's key), `weak_key` (RSA under 2048 bits)
 */
export async function assertKeyMatchesCertificate(
  keyPem: string,
  cert: Certificate,
): Promise<void> {
  if (!TLS_KEY_TYPES.includes(cert.keyType)) {
    throw new KeypebbleError(
      "invalid_key",
      `the certificate's key is ${cert.keyType}; use one of ${TLS_KEY_TYPES.join(", ")}`,
    );
  }
  const pkcs8 = new Uint8Array(_pkcs8(keyPem, cert));
  let params: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  let sign: Algorithm | EcdsaParams;
  if (cert.keyType === "RSA") {
    params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    sign = params;
  } else if (cert.keyType === "Ed25519") {
    params = { name: "Ed25519" };
    sign = params;
  } else {
    params = { name: "ECDSA", namedCurve: cert.keyType.slice(3) };
    sign = { name: "ECDSA", hash: "SHA-256" } as EcdsaParams;
  }
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
  } catch {
    throw new KeypebbleError(
      "invalid_key",
      `the private key does not fit the certificate's ${cert.keyType} key`,
    );
  } finally {
    pkcs8.fill(0);
  }
  try {
    publicKey = await crypto.subtle.importKey("spki", new Uint8Array(cert.spki), params, false, [
      "verify",
    ]);
  } catch {
    throw new KeypebbleError("invalid_key", "the certificate's public key cannot be read");
  }
  if (cert.keyType === "RSA") {
    const bits = (publicKey.algorithm as RsaHashedKeyAlgorithm).modulusLength;
    if (bits < 2048) {
      throw new KeypebbleError(
        "weak_key",
        `the RSA key has ${bits} bits; at least 2048 are required`,
      );
    }
  }
  const challenge = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(sign, privateKey, challenge);
  if (!(await crypto.subtle.verify(sign, publicKey, sig, challenge))) {
    throw new KeypebbleError("invalid_key", "the private key does not belong to the certificate");
  }
}

const PRIVATE_PEM =
  /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----([\s\S]*?)-----END \1-----/;

/** The PKCS#8 DER of an unencrypted PEM private key (RFC 5208, RFC 8017 §A.1.2, RFC 5915). */
function _pkcs8(pem: string, cert: Certificate): Uint8Array {
  const m = PRIVATE_PEM.exec(pem);
  if (m === null) throw new KeypebbleError("invalid_key", "no private key found in the PEM file");
  if (m[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type:.*ENCRYPTED/i.test(m[2])) {
    throw new KeypebbleError(
      "invalid_key",
      'the private key is encrypted; decrypt it first, e.g. with "openssl pkey"',
    );
  }
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(m[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new KeypebbleError("invalid_key", "the private key PEM is not valid base64");
  }
  const version = encodeTlv(TAG_INTEGER, new Uint8Array([0]));
  const wrap = (algId: Uint8Array, key: Uint8Array) =>
    encodeTlv(TAG_SEQUENCE, concat(version, algId, encodeTlv(TAG_OCTET_STRING, key)));
  if (m[1] === "PRIVATE KEY") return der;
  if (m[1] === "RSA PRIVATE KEY") {
    readTop(der, TAG_SEQUENCE, "PKCS#1 RSA private key");
    const algId = concat(
      encodeTlv(TAG_OID, hexBytes(OID_RSA)),
      encodeTlv(TAG_NULL, new Uint8Array()),
    );
    return wrap(encodeTlv(TAG_SEQUENCE, algId), der);
  }
  // SEC1: the curve comes from the key's own parameters, else from the certificate
  const what = "SEC1 EC private key";
  const top = readTop(der, TAG_SEQUENCE, what);
  const parts = children(der, top, what);
  if (parts[0]?.tag !== TAG_INTEGER || parts[1]?.tag !== TAG_OCTET_STRING) throw _bad(what);
  const curveName = cert.keyType.startsWith("EC P-") ? cert.keyType.slice(3) : undefined;
  let curveOid = Object.entries(CURVES).find(([, n]) => n === curveName)?.[0];
  const inner: Uint8Array[] = [
    der.slice(parts[0].tlvStart, parts[0].end),
    der.slice(parts[1].tlvStart, parts[1].end),
  ];
  for (const p of parts.slice(2)) {
    if (p.tag === 0xa0) {
      const c = readTlv(der, p.start, p.end, what);
      if (c.tag === TAG_OID) curveOid = valueHex(der, c);
    } else if (p.tag === 0xa1) inner.push(der.slice(p.tlvStart, p.end));
  }
  if (curveOid === undefined) {
    throw new KeypebbleError(
      "invalid_key",
      "the private key is EC but the certificate's key is not",
    );
  }
  // RFC 5915 §3: inside PKCS#8 the parameters live in the AlgorithmIdentifier
  const algId = concat(
    encodeTlv(TAG_OID, hexBytes(OID_EC)),
    encodeTlv(TAG_OID, hexBytes(curveOid)),
  );
  return wrap(encodeTlv(TAG_SEQUENCE, algId), encodeTlv(TAG_SEQUENCE, concat(...inner)));
}
