/**
 * Which format a kind's tokens take, and the kind-level checks every reader of a JWE or Fernet
 * token applies after the cryptography (`decryptJwe`/`unwrapJwe`, `verifyFernet`): the `typ`
 * names the kind, the issuer must be that kind's, and a token is accepted in the format the kind
 * is issued in (a JWS always: it is also what a JWE carries inside).
 *
 * `keypebble verify` uses them; introspection is meant to (see docs/encrypted-tokens.md).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { VerifiedFernet } from "../fernet/mod.ts";
import type { Profile, Profiles } from "./resolve.ts";
import { kindOfToken } from "./table.ts";

/** The forms a token takes. */
export type TokenFormat = "jws" | "jwe" | "fernet";

/** The format `profile`'s tokens are issued in. */
export function formatOf(profile: Profile): TokenFormat {
  return profile.sealer?.format ?? "jws";
}

/**
 * Whether a token of `profile`'s kind is accepted in `format`: a JWS always (it is also what a
 * nested JWE carries), a JWE or a Fernet token only when the kind is issued in that format.
 */
export function acceptsFormat(profile: Profile, format: TokenFormat): boolean {
  return format === "jws" || formatOf(profile) === format;
}

/**
 * The kind a `typ` names (compared case-insensitively, as RFC 7515 §4.1.9 asks); a refresh token
 * only when `refresh` is set. Kinds sharing a `typ` resolve to the first in table order; nothing
 * matching gives the general kind (`auth`, or `refresh` with `refresh`).
 */
export function profileForTyp(
  profiles: Profiles,
  typ: unknown,
  options: { refresh?: boolean } = {},
): Profile {
  const refresh = options.refresh === true;
  const declared = String(typ ?? "JWT").toLowerCase();
  return Object.values(profiles).find((p: Profile | undefined) =>
    p !== undefined && (p.def.name === "refresh") === refresh &&
    String(p.signer.header.typ).toLowerCase() === declared
  ) ?? (refresh ? profiles.refresh : profiles.auth);
}

/**
 * The kind-level checks of a Fernet token `verifyFernet` accepted: its `typ` names a kind (whose
 * `typ` it must then be), the issuer is that kind's, the audience (when asked) is in `aud`, and,
 * with `requireFormat`, the kind is issued as Fernet. Returns the kind.
 *
 * @throws {KeypebbleError} `invalid_token_type`, `invalid_issuer`, `invalid_audience`,
 *   `invalid_token` (a kind not issued as Fernet, with `requireFormat`)
 */
export function checkFernetKind(
  profiles: Profiles,
  verified: VerifiedFernet,
  options: { refresh?: boolean; audience?: string; requireFormat?: boolean } = {},
): Profile {
  // The kind claim the mint path writes for server kinds names the kind exactly (several share a
  // typ); else the typ does, as for a JWS.
  const named = kindOfToken(verified.typ, verified.claims);
  const profile = (named === undefined ? undefined : profiles[named]) ??
    profileForTyp(profiles, verified.typ, options);
  const typ = String(profile.signer.header.typ);
  if (String(verified.typ ?? "").toLowerCase() !== typ.toLowerCase()) {
    throw new KeypebbleError("invalid_token_type", `Token type must be "${typ}"`);
  }
  if (verified.claims.iss !== profile.issuer) {
    throw new KeypebbleError("invalid_issuer", `Token issuer must be "${profile.issuer}"`);
  }
  if (options.audience !== undefined) {
    const aud = verified.claims.aud;
    const ok = typeof aud === "string"
      ? aud === options.audience
      : Array.isArray(aud) && aud.includes(options.audience);
    if (!ok) {
      throw new KeypebbleError(
        "invalid_audience",
        `Token audience does not include "${options.audience}"`,
      );
    }
  }
  if (options.requireFormat === true && !acceptsFormat(profile, "fernet")) {
    throw new KeypebbleError(
      "invalid_token",
      `${profile.def.name} tokens are not issued as Fernet`,
    );
  }
  return profile;
}
