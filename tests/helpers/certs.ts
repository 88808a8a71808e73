/**
 * X.509 certificates made with Web Crypto alone (ECDSA P-256, RFC 5280 §4.1), so unit and
 * integration tests can build TLS material without openssl. The e2e suite uses openssl-made
 * certificates for the real servers.
 */

/** A key pair with its certificate, as PEM. */
export interface TestCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly keys: CryptoKeyPair;
  readonly subject: string;
}

/** Options of {@link makeCert}. */
export interface MakeCertOptions {
  /** RDNs, most general first as in the DER: `[["O", "Edge"], ["CN", "alice"]]`. */
  readonly subject: readonly (readonly [string, string])[];
  readonly dns?: readonly string[];
  readonly uris?: readonly string[];
  readonly ips?: readonly string[];
  readonly ca?: boolean;
  /** Signs the certificate; self-signed without. */
  readonly issuer?: TestCert;
  /** Milliseconds since the epoch. */
  readonly notBefore?: number;
  readonly notAfter?: number;
}

const ATTR: Record<string, number[]> = {
  CN: [0x55, 0x04, 0x03],
  O: [0x55, 0x04, 0x0a],
  OU: [0x55, 0x04, 0x0b],
  C: [0x55, 0x04, 0x06],
};

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let len = 0;
  for (const p of parts) len += p.length;
  const head = len < 0x80
    ? [tag, len]
    : len < 0x100
    ? [tag, 0x81, len]
    : [tag, 0x82, len >> 8, len & 0xff];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let o = head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const b = (...x: number[]) => new Uint8Array(x);
const utf8 = (s: string) => new TextEncoder().encode(s);
const SEQ = 0x30;
const ECDSA_SHA256 = tlv(SEQ, tlv(0x06, b(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)));

function name(rdns: readonly (readonly [string, string])[]): Uint8Array {
  return tlv(
    SEQ,
    ...rdns.map(([k, v]) =>
      tlv(0x31, tlv(SEQ, tlv(0x06, new Uint8Array(ATTR[k])), tlv(0x0c, utf8(v))))
    ),
  );
}

function utcTime(ms: number): Uint8Array {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return tlv(
    0x17,
    utf8(
      `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${
        p(d.getUTCHours())
      }${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`,
    ),
  );
}

function integer(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.slice(i);
  if (v[0] & 0x80) v = new Uint8Array([0, ...v]);
  return tlv(0x02, v);
}

function pem(label: string, der: Uint8Array): string {
  const s = btoa(String.fromCharCode(...der));
  return `-----BEGIN ${label}-----\n${s.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

/** Make a certificate (a P-256 key of its own, signed by `issuer` or by itself). */
export async function makeCert(o: MakeCertOptions): Promise<TestCert> {
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const cert = await _certificate(o, spki, o.issuer?.keys.privateKey ?? keys.privateKey);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const subject = [...o.subject].reverse().map(([k, v]) => `${k}=${v}`).join(",");
  _subjects.set(subject, o.subject);
  return { certPem: pem("CERTIFICATE", cert), keyPem: pem("PRIVATE KEY", pkcs8), keys, subject };
}

/**
 * A certificate (PEM) for a public key made elsewhere, of any type (say the RSA signing key of
 * an `x5c` chain), given as its SubjectPublicKeyInfo (DER) and signed by `o.issuer`.
 */
export async function certifyKey(
  spki: Uint8Array,
  o: MakeCertOptions & { readonly issuer: TestCert },
): Promise<string> {
  return pem("CERTIFICATE", await _certificate(o, spki, o.issuer.keys.privateKey));
}

/** The DER of a certificate for `spki`, signed with `signer` (ECDSA P-256, SHA-256). */
async function _certificate(
  o: MakeCertOptions,
  spki: Uint8Array,
  signer: CryptoKey,
): Promise<Uint8Array> {
  const now = Date.now();
  const sans: Uint8Array[] = [
    ...(o.dns ?? []).map((d) => tlv(0x82, utf8(d))),
    ...(o.uris ?? []).map((u) => tlv(0x86, utf8(u))),
    ...(o.ips ?? []).map((ip) => tlv(0x87, new Uint8Array(ip.split(".").map(Number)))),
  ];
  const exts: Uint8Array[] = [];
  if (sans.length > 0) {
    exts.push(tlv(SEQ, tlv(0x06, b(0x55, 0x1d, 0x11)), tlv(0x04, tlv(SEQ, ...sans))));
  }
  exts.push(
    tlv(
      SEQ,
      tlv(0x06, b(0x55, 0x1d, 0x13)),
      tlv(0x04, o.ca ? tlv(SEQ, tlv(0x01, b(0xff))) : tlv(SEQ)),
    ),
  );
  const tbs = tlv(
    SEQ,
    tlv(0xa0, tlv(0x02, b(2))),
    integer(crypto.getRandomValues(new Uint8Array(12))),
    ECDSA_SHA256,
    name(o.issuer === undefined ? o.subject : _subjectOf(o.issuer)),
    tlv(SEQ, utcTime(o.notBefore ?? now - 60_000), utcTime(o.notAfter ?? now + 86_400_000)),
    name(o.subject),
    spki,
    tlv(0xa3, tlv(SEQ, ...exts)),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer, tbs),
  );
  // X.509 carries ECDSA-Sig-Value (RFC 5480 §2.2... RFC 3279 §2.2.3): SEQUENCE { r, s }
  const sig = tlv(SEQ, integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return tlv(SEQ, tbs, ECDSA_SHA256, tlv(0x03, b(0), sig));
}

const _subjects = new Map<string, readonly (readonly [string, string])[]>();

function _subjectOf(c: TestCert): readonly (readonly [string, string])[] {
  return _subjects.get(c.subject)!;
}
