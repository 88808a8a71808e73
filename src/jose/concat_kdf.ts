/**
 * The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as JWA uses it for ECDH-ES
 * (RFC 7518 §4.6.2): the derived key is the first `keyBits` bits of
 * `SHA-256(counter ‖ Z ‖ OtherInfo)` for counter = 1, 2, …, where OtherInfo is
 * `AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo` (SuppPrivInfo is empty).
 *
 * @module
 */

import { sha256 } from "./hmac_sha256.ts";

const encoder = new TextEncoder();

function _u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** RFC 7518 §4.6.2: a field of OtherInfo is its 32-bit big-endian length, then its bytes. */
function _datalen(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out.set(_u32(data.length));
  out.set(data, 4);
  return out;
}

/**
 * Derive `keyBits` bits from the shared secret `z`.
 *
 * - `algorithmId`: the `enc` value for direct key agreement (ECDH-ES), else the `alg` value
 *   (e.g. `ECDH-ES+A256KW`), as ASCII (RFC 7518 §4.6.2).
 * - `apu`, `apv`: the decoded `apu` / `apv` header values, empty when absent.
 *
 * @example
 * ```ts
 * const cek = concatKdf(z, 256, { algorithmId: "A256GCM" });
 * ```
 */
export function concatKdf(
  z: Uint8Array,
  keyBits: number,
  info: { algorithmId: string; apu?: Uint8Array; apv?: Uint8Array },
): Uint8Array {
  if (!Number.isInteger(keyBits) || keyBits <= 0 || keyBits % 8 !== 0) {
    throw new RangeError("keyBits must be a positive multiple of 8");
  }
  const otherInfo = [
    _datalen(encoder.encode(info.algorithmId)),
    _datalen(info.apu ?? new Uint8Array()),
    _datalen(info.apv ?? new Uint8Array()),
    // SuppPubInfo: keydatalen in bits, 32-bit big-endian
    _u32(keyBits),
  ];
  const tail = otherInfo.reduce((n, p) => n + p.length, 0);
  const keyBytes = keyBits / 8;
  const out = new Uint8Array(Math.ceil(keyBytes / 32) * 32);
  const round = new Uint8Array(4 + z.length + tail);
  round.set(z, 4);
  let o = 4 + z.length;
  for (const p of otherInfo) {
    round.set(p, o);
    o += p.length;
  }
  for (let i = 0; i * 32 < keyBytes; i++) {
    round.set(_u32(i + 1), 0);
    out.set(sha256(round), i * 32);
  }
  round.fill(0);
  const key = out.slice(0, keyBytes);
  out.fill(0);
  return key;
}
