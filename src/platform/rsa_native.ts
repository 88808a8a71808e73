/**
 * The runtime's own synchronous RS256 primitive (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 §8.2,
 * RFC 7518 §3.3), when the runtime adapter installs one. The JWS signer uses it instead of
 * `crypto.subtle.sign` for RS256 keys: on Bun, `node:crypto` signs with BoringSSL on the calling
 * thread, so each worker thread signs on its own core, with no hand-off to a shared thread pool
 * (README, Performance); with one worker, Web Crypto's pool is better ({@link useNativeRsaSha256}). The signature is deterministic: the bytes are the same either way.
 *
 * Nothing outside `src/jose/keys.ts` calls {@link nativeRsaSha256}; only the adapters install.
 *
 * @module
 */

/** Signs the JWS signing input with one private key, returning the raw signature. */
export type RsaSha256 = (input: Uint8Array) => Uint8Array;

/** Builds an {@link RsaSha256} from a PKCS#8 private key (RFC 5208); the bytes are not kept. */
export type RsaSha256Factory = (pkcs8: Uint8Array) => Promise<RsaSha256>;

let factory: RsaSha256Factory | undefined;
let enabled = true;

/** Install the runtime's primitive (the Bun adapter does, at start); undefined removes it. */
export function installRsaSha256(f: RsaSha256Factory | undefined): void {
  factory = f;
}

/** The runtime's primitive for this key, or undefined (then Web Crypto signs). */
export function nativeRsaSha256(pkcs8: Uint8Array): Promise<RsaSha256 | undefined> {
  return factory === undefined ? Promise.resolve(undefined) : factory(pkcs8);
}

/**
 * Whether the JWS signer uses the primitive (default true). `serve --workers 1` turns it off:
 * one worker gains more from Web Crypto's thread pool, which signs on the other cores while the
 * worker's thread does HTTP work; with one worker per core, each signs on its own thread.
 */
export function useNativeRsaSha256(on: boolean): void {
  enabled = on;
}

/** See {@link useNativeRsaSha256}. */
export function nativeRsaSha256Enabled(): boolean {
  return enabled;
}
