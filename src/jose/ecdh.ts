/**
 * ECDH key agreement for JWE `ECDH-ES` (RFC 7518 §4.6) on P-256 and, where the runtime's Web
 * Crypto has it, X25519 (RFC 8037 §3.2, RFC 7748). Ephemeral keys are made per token; the
 * sender's ephemeral public key (`epk`) of a received token is checked to be a point of the
 * recipient's curve before it is used.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { b64uDecode } from "./base64url.ts";
import { isP256Point } from "./ec_point.ts";
import type { EcdhCurve } from "./jwe_algorithms.ts";

let _x25519: Promise<boolean> | undefined;

/**
 * Whether this runtime's Web Crypto does X25519 key agreement (Deno 2 and Bun 1.1+ do; checked
 * once, at run time, by making a key pair and agreeing with itself).
 */
export function x25519Available(): Promise<boolean> {
  return _x25519 ??= (async () => {
    try {
      const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, [
        "deriveBits",
      ]) as CryptoKeyPair;
      await crypto.subtle.deriveBits(
        { name: "X25519", public: pair.publicKey } as EcdhKeyDeriveParams,
        pair.privateKey,
        256,
      );
      return true;
    } catch {
      return false;
    }
  })();
}

/** Web Crypto parameters of each curve's key agreement. */
export function ecdhParams(curve: EcdhCurve): EcKeyImportParams | Algorithm {
  return curve === "P-256" ? { name: "ECDH", namedCurve: "P-256" } : { name: "X25519" };
}

/** The public members of an `epk` (RFC 7518 §6.2.1, RFC 8037 §2); nothing else is sent. */
export type EpkJwk =
  | { readonly kty: "EC"; readonly crv: "P-256"; readonly x: string; readonly y: string }
  | { readonly kty: "OKP"; readonly crv: "X25519"; readonly x: string };

/** A fresh ephemeral key pair on `curve`, with its public half as the `epk` header value. */
export async function ephemeralKey(
  curve: EcdhCurve,
): Promise<{ privateKey: CryptoKey; epk: EpkJwk }> {
  const pair = await crypto.subtle.generateKey(ecdhParams(curve), true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const epk: EpkJwk = curve === "P-256"
    ? { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! }
    : { kty: "OKP", crv: "X25519", x: jwk.x! };
  return { privateKey: pair.privateKey, epk };
}

function _badEpk(curve: EcdhCurve, why: string): KeypebbleError {
  return new KeypebbleError("invalid_token", `Header "epk" is not a ${curve} public key: ${why}`);
}

/**
 * Import a received `epk` for key agreement on `curve`: a JSON object with exactly the public
 * members of that curve's key type, coordinates of the right length that decode strictly, and
 * (P-256) a point on the curve. Private members (`d`) and any other member are refused.
 *
 * @throws {KeypebbleError} `invalid_token`
 */
export async function importEpk(epk: unknown, curve: EcdhCurve): Promise<CryptoKey> {
  if (epk === null || typeof epk !== "object" || Array.isArray(epk)) {
    throw _badEpk(curve, "not a JSON object");
  }
  const o = epk as Record<string, unknown>;
  const members = curve === "P-256" ? ["kty", "crv", "x", "y"] : ["kty", "crv", "x"];
  for (const k of Object.keys(o)) {
    if (!members.includes(k)) throw _badEpk(curve, `member "${k.slice(0, 16)}" is not allowed`);
  }
  const kty = curve === "P-256" ? "EC" : "OKP";
  if (o.kty !== kty || o.crv !== curve) throw _badEpk(curve, "wrong key type or curve");
  for (const m of members.slice(2)) {
    if (typeof o[m] !== "string" || (o[m] as string).length !== 43) {
      throw _badEpk(curve, `"${m}" must be 32 bytes in base64url`);
    }
  }
  let x: Uint8Array;
  let y: Uint8Array | undefined;
  try {
    x = b64uDecode(o.x as string);
    if (curve === "P-256") y = b64uDecode(o.y as string);
  } catch {
    throw _badEpk(curve, "malformed base64url");
  }
  if (curve === "P-256" && !isP256Point(x, y!)) {
    throw _badEpk(curve, "the point is not on the curve");
  }
  try {
    // Web Crypto's own import is the second check (and the only one X25519 needs: every 32-byte
    // string is a valid X25519 public key; low-order points are caught after agreement).
    return await crypto.subtle.importKey(
      "jwk",
      { kty, crv: curve, x: o.x as string, ...(curve === "P-256" ? { y: o.y as string } : {}) },
      ecdhParams(curve),
      false,
      [],
    );
  } catch {
    throw _badEpk(curve, "refused by Web Crypto");
  }
}

/**
 * The shared secret Z of RFC 7518 §4.6.2 (the x-coordinate for P-256, RFC 7748 §6.1 output for
 * X25519). An all-zero X25519 result (a low-order public point) is refused, as RFC 7748 §6.1
 * asks.
 *
 * @throws {KeypebbleError} `invalid_token` when the agreement fails
 */
export async function sharedSecret(
  privateKey: CryptoKey,
  publicKey: CryptoKey,
  curve: EcdhCurve,
): Promise<Uint8Array> {
  let z: Uint8Array;
  try {
    z = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: curve === "P-256" ? "ECDH" : "X25519", public: publicKey } as EcdhKeyDeriveParams,
        privateKey,
        256,
      ),
    );
  } catch {
    throw _badEpk(curve, "key agreement failed");
  }
  let any = 0;
  for (const b of z) any |= b;
  if (any === 0) throw _badEpk(curve, "key agreement gave the all-zero value");
  return z;
}
