/**
 * EC P-256 keys for JWT-SVIDs, with Web Crypto only (no dependencies, runs on Deno, Bun and
 * Node): PKCS#8 PEM import and generation, public JWKs with the RFC 7638 thumbprint as `kid`.
 *
 * @module
 */

/** A public JWK of a P-256 key as it appears in bundles (RFC 7517, RFC 7518 §6.2). */
export interface SvidJwk {
  /** Key type: always EC. */
  kty: "EC";
  /** Curve: always P-256. */
  crv: "P-256";
  /** The x coordinate, base64url. */
  x: string;
  /** The y coordinate, base64url. */
  y: string;
  /** The key id (its RFC 7638 thumbprint). */
  kid: string;
  /** "sig" when given. */
  use?: string;
  /** "ES256" when given. */
  alg?: string;
}

/** A private signing key with its public half. */
export interface SvidSigningKey {
  readonly privateKey: CryptoKey;
  readonly jwk: SvidJwk;
  readonly kid: string;
}

const EC_PARAMS = { name: "ECDSA", namedCurve: "P-256" } as const;

/** Base64url without padding (RFC 7515 §2). */
export function b64u(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict base64url decode; `undefined` for anything that is not canonical base64url. */
export function b64uDecode(s: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
  let bin: string;
  try {
    bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  } catch {
    return undefined;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Refuse non-canonical trailing bits, so one token has one encoding.
  return b64u(out) === s ? out : undefined;
}

/** RFC 7638 §3.2: SHA-256 over the required members of an EC key, in lexicographic order. */
export async function ecThumbprint(jwk: { crv: string; x: string; y: string }): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: "EC", x: jwk.x, y: jwk.y });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return b64u(new Uint8Array(digest));
}

function _pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const m = new RegExp(
    `-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`,
  ).exec(pem);
  if (m === null) throw new Error(`Key is not a PEM "${label}" block`);
  const bin = atob(m[1].replace(/\s+/g, ""));
  const der = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
  return der;
}

/**
 * Import a PKCS#8 PEM P-256 private key (`BEGIN PRIVATE KEY`, RFC 5958). The returned private
 * key is not extractable; the public JWK carries `kid` (RFC 7638 thumbprint), `use: "jwt-svid"`
 * and `alg: "ES256"`.
 * @throws {Error} for anything but a PKCS#8 EC P-256 key
 */
export async function importSvidPrivateKeyPem(pem: string): Promise<SvidSigningKey> {
  const der = _pemBody(pem, "PRIVATE KEY");
  let full: JsonWebKey;
  try {
    const extractable = await crypto.subtle.importKey("pkcs8", der, EC_PARAMS, true, ["sign"]);
    full = await crypto.subtle.exportKey("jwk", extractable);
  } catch {
    throw new Error("Key is not a PKCS#8 EC P-256 private key");
  }
  if (full.crv !== "P-256" || typeof full.x !== "string" || typeof full.y !== "string") {
    throw new Error("Key is not an EC P-256 key");
  }
  const privateKey = await crypto.subtle.importKey("pkcs8", der, EC_PARAMS, false, ["sign"]);
  const kid = await ecThumbprint({ crv: "P-256", x: full.x, y: full.y });
  const jwk: SvidJwk = {
    kty: "EC",
    crv: "P-256",
    x: full.x,
    y: full.y,
    kid,
    use: "jwt-svid",
    alg: "ES256",
  };
  return Object.freeze({ privateKey, jwk, kid });
}

/** Generate a new P-256 key as PKCS#8 PEM. */
export async function generateSvidKeyPem(): Promise<string> {
  const pair = await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"]);
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  let bin = "";
  for (let i = 0; i < der.length; i++) bin += String.fromCharCode(der[i]);
  const lines = btoa(bin).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/** Import a bundle JWK for ES256 verification; `undefined` when it is not a P-256 public key. */
export async function importSvidPublicJwk(jwk: unknown): Promise<CryptoKey | undefined> {
  if (typeof jwk !== "object" || jwk === null) return undefined;
  const k = jwk as Record<string, unknown>;
  if (k.kty !== "EC" || k.crv !== "P-256" || typeof k.x !== "string" || typeof k.y !== "string") {
    return undefined;
  }
  // RFC 7517 §4: a bundle holds public keys only; a private member makes the entry unusable.
  if ("d" in k) return undefined;
  try {
    return await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: k.x, y: k.y, ext: true },
      EC_PARAMS,
      false,
      ["verify"],
    );
  } catch {
    return undefined;
  }
}
