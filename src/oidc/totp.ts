/**
 * One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) over Web Crypto's HMAC, the secrets
 * authenticator apps are given (160 random bits, base32) and the `otpauth://` URI of the Key Uri
 * Format that a QR code carries.
 *
 * Keypebble's second factor is fixed at what every authenticator app supports: HMAC-SHA-1,
 * 6 digits, 30-second steps, one step of clock drift either way (RFC 6238 §5.2), and never the
 * same code twice: {@link verifyTotp} returns the time step it matched, the caller stores it as
 * the account's last accepted step, and a code of that step or an earlier one is refused
 * (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP").
 *
 * @module
 */

import { timingSafeEqual } from "../jose/constant_time.ts";
import { base32Encode } from "./base32.ts";

/** The hashes HOTP is defined over (RFC 6238 §1.2 adds SHA-256 and SHA-512 to RFC 4226's). */
export type OtpHash = "SHA-1" | "SHA-256" | "SHA-512";

/** Digits of a Keypebble code. */
export const TOTP_DIGITS = 6;
/** Seconds per time step (RFC 6238 §4.1 X, the recommended default). */
export const TOTP_PERIOD = 30;
/** Steps of drift accepted on each side (RFC 6238 §5.2 recommends at most one). */
export const TOTP_SKEW = 1;
/** Bytes of a new secret: 160 bits, the length RFC 4226 §4 R6 recommends. */
export const TOTP_SECRET_BYTES = 20;

const _enc = new TextEncoder();

async function _hmac(hash: OtpHash, key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    {
      name: "HMAC",
      hash,
    },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, message as Uint8Array<ArrayBuffer>));
}

/**
 * HOTP(K, C) (RFC 4226 §5.3): the HMAC of the 8-byte big-endian counter, dynamically truncated
 * to 31 bits, modulo 10^digits, left-padded with zeros.
 *
 * @example
 * ```ts
 * await hotp(new TextEncoder().encode("12345678901234567890"), 0); // "755224"
 * ```
 */
export async function hotp(
  key: Uint8Array,
  counter: number,
  options: { digits?: number; hash?: OtpHash } = {},
): Promise<string> {
  const digits = options.digits ?? TOTP_DIGITS;
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError("The HOTP counter must be a non-negative integer");
  }
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new RangeError("HOTP codes have 6 to 10 digits");
  }
  const msg = new Uint8Array(8);
  new DataView(msg.buffer).setBigUint64(0, BigInt(counter));
  const mac = await _hmac(options.hash ?? "SHA-1", key, msg);
  // §5.3 step 2: the low 4 bits of the last byte give the offset of 4 bytes, high bit cleared.
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) |
    mac[offset + 3];
  return String(bin % 10 ** digits).padStart(digits, "0");
}

/** The time step of `nowSeconds` (RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0). */
export function timeStep(nowSeconds: number, period: number = TOTP_PERIOD): number {
  return Math.floor(nowSeconds / period);
}

/** TOTP at `nowSeconds` (RFC 6238 §4.2): HOTP of the time step. */
export function totp(
  key: Uint8Array,
  nowSeconds: number,
  options: { digits?: number; hash?: OtpHash; period?: number } = {},
): Promise<string> {
  return hotp(key, timeStep(nowSeconds, options.period), options);
}

/** What {@link verifyTotp} found. */
export type TotpCheck =
  /** The code of time step `step`: store it as the last accepted step. */
  | { readonly ok: true; readonly step: number }
  /**
   * `malformed`: not 6 digits. `wrong`: no step within the drift window has this code.
   * `replayed`: the code is right but for a step at or before the last one accepted.
   */
  | { readonly ok: false; readonly reason: "malformed" | "wrong" | "replayed" };

/**
 * Check a 6-digit code against the steps now − 1, now and now + 1. Every step of the window is
 * computed and compared in constant time whatever matches, so timing tells nothing about which
 * step (or digit) was right. `lastStep` is the account's last accepted step (null before the
 * first): a code of that step or earlier is `replayed`.
 */
export async function verifyTotp(
  key: Uint8Array,
  code: string,
  options: { now: number; lastStep: number | null; skew?: number },
): Promise<TotpCheck> {
  const presented = code.replace(/\s/g, "");
  if (!/^[0-9]{6}$/.test(presented)) return { ok: false, reason: "malformed" };
  const skew = options.skew ?? TOTP_SKEW;
  const current = timeStep(options.now);
  const want = _enc.encode(presented);
  let fresh: number | null = null;
  let stale = false;
  for (let step = current - skew; step <= current + skew; step++) {
    if (step < 0) continue;
    const match = timingSafeEqual(_enc.encode(await hotp(key, step)), want);
    if (!match) continue;
    if (options.lastStep !== null && step <= options.lastStep) stale = true;
    else if (fresh === null) fresh = step;
  }
  if (fresh !== null) return { ok: true, step: fresh };
  return { ok: false, reason: stale ? "replayed" : "wrong" };
}

/** A new random secret: {@link TOTP_SECRET_BYTES} bytes. */
export function newTotpSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
}

/**
 * The `otpauth://totp/` URI an authenticator app scans (Key Uri Format): the label
 * `issuer:account` and the parameters `secret` (base32, no padding), `issuer`, `algorithm`,
 * `digits` and `period`, all stated explicitly so no app has to guess a default.
 *
 * The issuer may not contain a colon (it separates issuer and account in the label); the
 * account's own colons are percent-encoded.
 *
 * @example
 * ```ts
 * otpauthUri({ issuer: "Keypebble", account: "alice@example.com", secret });
 * // "otpauth://totp/Keypebble:alice%40example.com?secret=…&issuer=Keypebble&algorithm=SHA1&digits=6&period=30"
 * ```
 */
export function otpauthUri(
  options: { issuer: string; account: string; secret: Uint8Array },
): string {
  if (options.issuer === "" || options.issuer.includes(":")) {
    throw new RangeError("The TOTP issuer must be non-empty and contain no colon");
  }
  if (options.account === "") throw new RangeError("The TOTP account name must be non-empty");
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const params = [
    `secret=${base32Encode(options.secret)}`,
    `issuer=${encodeURIComponent(options.issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD}`,
  ];
  return `otpauth://totp/${label}?${params.join("&")}`;
}
