/**
 * The last step of the one mint path for kinds that are not plain JWS (`profiles.<kind>.format`,
 * `keypebble issue --format` and `--encrypt-to`): a sealer turns the claims the mint path built
 * into the token the kind's consumer reads.
 *
 * - `jwe`: the claims are signed as always (the kind's key and `typ`), then the JWS is encrypted
 *   to the kind's recipient: a nested JWT (RFC 7519 §5.2, `cty: "JWT"`), so the relying party
 *   decrypts and then verifies our signature.
 * - `fernet`: the claims (with the kind's `typ`) are the Fernet message, made with the key
 *   repository's primary key; there is no JWS inside (the Fernet HMAC authenticates it).
 *
 * @module
 */

import type { FernetKeys } from "../fernet/mod.ts";
import { sealFernet } from "../fernet/mod.ts";
import type { JweEncrypter, JwsSigner } from "../jose/mod.ts";

/** How a kind's tokens are finished after its claims are built. */
export interface TokenSealer {
  readonly format: "jwe" | "fernet";
  /** One line for `keypebble check` (never a key). */
  readonly description: string;
  /** The `alg` label of the tokens-issued metric for this format. */
  readonly metricAlg?: string;
  /** The token for `payload`, the claims exactly as serialised by the mint path. */
  seal(signer: JwsSigner, payload: string, now: number): Promise<string>;
}

/**
 * A nested-JWE sealer. `encrypter` gives the encrypter for the recipient's current key (a file
 * read at start, or a JWKS URL's cached key; see src/runtime/recipient_keys.ts).
 */
export function jweSealer(
  encrypter: () => Promise<JweEncrypter>,
  description: string,
): TokenSealer {
  return Object.freeze({
    format: "jwe" as const,
    description,
    async seal(signer: JwsSigner, payload: string): Promise<string> {
      const e = await encrypter();
      return await e.encrypt(await signer.signBytes(payload));
    },
  });
}

/** A Fernet sealer with the repository's primary key. */
export function fernetSealer(keys: FernetKeys): TokenSealer {
  const l = keys.repository.layout;
  return Object.freeze({
    format: "fernet" as const,
    description:
      `Fernet, primary key ${l.primary} of ${keys.repository.dir}, accepted for ${keys.ttlSeconds} s`,
    metricAlg: "fernet",
    seal(signer: JwsSigner, payload: string, now: number): Promise<string> {
      return sealFernet(keys, payload, String(signer.header.typ ?? "JWT"), now);
    },
  });
}
