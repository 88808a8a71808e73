/**
 * HMAC-SHA-256 (RFC 2104) with Bun's native hasher (BoringSSL), synchronous, for
 * `installNativeHmacSha256` (src/jose/hmac_sha256.ts). The Bun adapter installs it at start; on
 * Deno the JavaScript HMAC stays (Deno's `node:crypto` HMAC measured slower than it, and
 * `crypto.subtle` is asynchronous).
 *
 * @module
 */

import type { NativeMac } from "../jose/hmac_sha256.ts";

/** The part of `Bun.CryptoHasher` used here. */
interface CryptoHasher {
  update(data: Uint8Array | string): CryptoHasher;
  digest(): Uint8Array;
  digest(encoding: "hex"): string;
}

type CryptoHasherClass = new (algorithm: "sha256", hmacKey: Uint8Array) => CryptoHasher;

/** A {@link NativeMac} factory over `Bun.CryptoHasher`, or undefined when not on Bun. */
export function bunHmacSha256(): ((key: Uint8Array) => NativeMac) | undefined {
  const Hasher = (globalThis as unknown as { Bun?: { CryptoHasher?: CryptoHasherClass } }).Bun
    ?.CryptoHasher;
  if (Hasher === undefined) return undefined;
  return (key) => {
    const own = new Uint8Array(key); // the caller may wipe its copy
    const mac = (message: Uint8Array) =>
      new Uint8Array(new Hasher("sha256", own).update(message).digest());
    // Text hashed as UTF-8 and formatted as hex by BoringSSL: no encoding or hex loop in JSC.
    return Object.assign(mac, {
      hex: (text: string) => new Hasher("sha256", own).update(text).digest("hex"),
    });
  };
}
