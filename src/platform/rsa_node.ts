/**
 * {@link RsaSha256Factory} over `node:crypto` (a `KeyObject` and the one-shot signature
 * function): synchronous, on the calling thread. Loaded only when an RS256 key is imported.
 *
 * @module
 */

import type { RsaSha256, RsaSha256Factory } from "./rsa_native.ts";

/** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) through `node:crypto`. */
export const nodeRsaSha256: RsaSha256Factory = async (pkcs8) => {
  const [nc, { Buffer }] = await Promise.all([import("node:crypto"), import("node:buffer")]);
  const der = Buffer.from(pkcs8);
  const key = nc.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  der.fill(0);
  const signWith = nc.sign;
  return ((input) => new Uint8Array(signWith("sha256", input, key))) as RsaSha256;
};
