/**
 * The token inspector's logic, without the page: split and decode a compact JWS (RFC 7515 §7.1),
 * say which kind of Keypebble token it is (the `kp_kind` claim), verify its signature with Web
 * Crypto against a JWKS (RFC 7517), and put its times in words. Runs in the browser and in Deno.
 *
 * @module
 */

/** A decoded token (nothing verified yet). */
export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Uint8Array;
}

/** What {@link verifyJwt} found. */
export type Verification =
  | { readonly ok: true; readonly kid: string | undefined; readonly alg: string }
  | { readonly ok: false; readonly reason: string };

/** base64url (RFC 4648 §5) without padding → bytes; throws on anything else. */
export function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("Not base64url");
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function _json(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(part)));
  } catch {
    throw new Error(`The ${what} is not base64url-encoded JSON`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new Error(`The ${what} is not a JSON object`);
  }
  return v as Record<string, unknown>;
}

/** Decode a compact JWS; throws an Error with a sentence for the page when it is not one. */
export function decodeJwt(token: string): DecodedJwt {
  const t = token.trim();
  const parts = t.split(".");
  if (parts.length === 5) throw new Error("This is an encrypted token (JWE): it cannot be read");
  if (parts.length !== 3) throw new Error("A JWT has three parts separated by dots");
  const header = _json(parts[0], "header");
  const claims = _json(parts[1], "payload");
  return {
    header,
    claims,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: fromBase64Url(parts[2]),
  };
}

/** Which kind of Keypebble token this is, in words. */
export function kindOf(d: DecodedJwt): string {
  const k = d.claims.kp_kind;
  if (typeof k === "string") return k;
  return "not stated (a kind no Keypebble endpoint accepts back: auth, command, kubernetes, " +
    "registry, svid; or not one of ours)";
}

interface AlgParams {
  readonly importAlg: AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams;
  readonly verifyAlg: AlgorithmIdentifier | EcdsaParams;
}

/** The algorithms our keys sign with (src/jose/algorithms.ts), as Web Crypto names them. */
const ALGS: Readonly<Record<string, AlgParams>> = {
  RS256: {
    importAlg: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verifyAlg: { name: "RSASSA-PKCS1-v1_5" },
  },
  ES256: {
    importAlg: { name: "ECDSA", namedCurve: "P-256" },
    verifyAlg: { name: "ECDSA", hash: "SHA-256" },
  },
  EdDSA: { importAlg: { name: "Ed25519" }, verifyAlg: { name: "Ed25519" } },
};

/**
 * Verify the signature against the public keys of `jwks`: the key named by `kid` (or, without
 * one, each key of the token's `alg`). HMAC tokens cannot be verified here: their key is never
 * published. Only the signature is checked: expiry and the rest are shown beside it.
 */
export async function verifyJwt(d: DecodedJwt, jwks: unknown): Promise<Verification> {
  const alg = d.header.alg;
  if (typeof alg !== "string") return { ok: false, reason: "The header has no alg" };
  if (alg === "HS256") {
    return {
      ok: false,
      reason: "HS256: signed with a shared secret, which is never published (verify it with " +
        "keypebble verify on the server)",
    };
  }
  const params = ALGS[alg];
  if (params === undefined) return { ok: false, reason: `Unsupported alg "${alg}"` };
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return { ok: false, reason: "The JWKS has no keys" };
  const kid = typeof d.header.kid === "string" ? d.header.kid : undefined;
  const candidates = keys.filter((k): k is JsonWebKey & { kid?: string; alg?: string } =>
    k !== null && typeof k === "object" &&
    (kid === undefined ? (k.alg === undefined || k.alg === alg) : k.kid === kid)
  );
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: kid === undefined
        ? `No published key for ${alg}`
        : `No published key with kid "${kid}" (another issuer, or a key retired since)`,
    };
  }
  const data = new TextEncoder().encode(d.signingInput);
  for (const jwk of candidates) {
    if (jwk.alg !== undefined && jwk.alg !== alg) {
      return { ok: false, reason: `The key "${kid}" is for ${jwk.alg}, the token says ${alg}` };
    }
    try {
      const { kid: _k, alg: _a, use: _u, key_ops: _o, x5c: _x, ...bare } = jwk as
        & JsonWebKey
        & Record<string, unknown>;
      const key = await crypto.subtle.importKey("jwk", bare, params.importAlg, false, ["verify"]);
      const sig = d.signature;
      if (await crypto.subtle.verify(params.verifyAlg, key, sig as BufferSource, data)) {
        return { ok: true, kid: jwk.kid, alg };
      }
    } catch {
      // A key this browser cannot import (e.g. Ed25519 on an old browser): try the next one.
    }
  }
  return { ok: false, reason: "The signature does not match the published key" };
}

/** `n` seconds as words: "3 minutes", "1 hour", "2 days". */
export function durationWords(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const units: [number, string][] = [
    [86_400 * 365, "year"],
    [86_400 * 30, "month"],
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  for (const [n, name] of units) {
    if (s >= n) {
      const v = Math.floor(s / n);
      return `${v} ${name}${v === 1 ? "" : "s"}`;
    }
  }
  return "0 seconds";
}

/** A token's `exp` against `nowSec` in words: "expires in 14 minutes", "expired 2 hours ago". */
export function expiryWords(claims: Record<string, unknown>, nowSec: number): string {
  const exp = claims.exp;
  if (typeof exp !== "number") return "never expires (no exp claim)";
  const left = exp - nowSec;
  if (left > 0) return `expires in ${durationWords(left)}`;
  if (left === 0) return "expires now";
  return `expired ${durationWords(left)} ago`;
}

/** A NumericDate (RFC 7519 §2) as an ISO time, or undefined when the claim is not a number. */
export function numericDate(v: unknown): string | undefined {
  return typeof v === "number" && Number.isFinite(v) ? new Date(v * 1000).toISOString() : undefined;
}
