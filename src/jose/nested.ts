/**
 * Nested JWTs (RFC 7519 §5.2, §11.2): a JWS signed by the keyring, then encrypted. Reading one
 * of ours means decrypting with one of our `use: enc` keys and then verifying the JWS inside
 * with our signing keys, exactly as a bare JWS is verified.
 *
 * Encryption alone proves nothing about who made a token: anyone can encrypt to a published
 * public key. So a JWE is accepted as one of our tokens only when it carries a JWS (`cty:
 * "JWT"`) that our keys verify; an encrypted bare claims set is refused.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { type JweHeader, openJwe, plaintextText } from "./jwe.ts";
import type { JweDecryptionKey } from "./jwe_keys.ts";
import { type JwsHeader, verifyJws, type VerifyOptions } from "./jws.ts";
import type { KeyEntry } from "./keys.ts";

/** The keys a nested token needs: the keyring satisfies it (`rt.keyring`). */
export interface NestedKeys {
  /** Our `use: enc` keys. */
  readonly decryptionKeys: readonly JweDecryptionKey[];
  /** Our signing keys. */
  readonly keys: readonly KeyEntry[];
}

/** A nested token, decrypted and verified. */
export interface DecryptedJwe {
  /** The JWE protected header. */
  readonly jweHeader: JweHeader;
  /** The JWS inside, as compact text. */
  readonly jws: string;
  readonly header: JwsHeader;
  readonly claims: Record<string, unknown>;
}

/** RFC 7519 §5.2: `cty` "JWT" marks a nested JWT; media types compare case-insensitively. */
function _isNested(header: JweHeader): boolean {
  const cty = typeof header.cty === "string" ? header.cty.toLowerCase() : "";
  return cty === "jwt" || cty === "application/jwt";
}

/**
 * Decrypt a nested JWE with one of `decryptionKeys` and return the JWS inside, NOT verified:
 * the caller verifies it like any presented JWS (introspection does that with its usual kind,
 * issuer and revocation checks).
 *
 * @throws {KeypebbleError} `invalid_token` (including a JWE without `cty: "JWT"`),
 *   `unsupported_algorithm`, `unknown_key`
 */
export async function unwrapJwe(
  token: string,
  decryptionKeys: readonly JweDecryptionKey[],
): Promise<{ jweHeader: JweHeader; jws: string }> {
  const { header, plaintext } = await openJwe(token, decryptionKeys);
  if (!_isNested(header)) {
    throw new KeypebbleError(
      "invalid_token",
      'An encrypted token is accepted only with a signed JWT inside (cty "JWT")',
    );
  }
  return { jweHeader: header, jws: plaintextText(plaintext).trim() };
}

/**
 * Decrypt a nested JWE sent to one of our `use: enc` keys and verify the JWS inside with our
 * signing keys (`verifyJws`, with `options`: time, issuer, audience, typ). Returns the claims.
 *
 * This is the function introspection and `keypebble verify` call for a JWE:
 * `decryptJwe(token, rt.keyring, { now, issuer, typ })`.
 *
 * @throws {KeypebbleError} the codes of {@link unwrapJwe} and of `verifyJws`
 */
export async function decryptJwe(
  token: string,
  keyring: NestedKeys,
  options: VerifyOptions,
): Promise<DecryptedJwe> {
  const { jweHeader, jws } = await unwrapJwe(token, keyring.decryptionKeys);
  const { header, payload } = await verifyJws(jws, keyring.keys, options);
  return { jweHeader, jws, header, claims: payload };
}
