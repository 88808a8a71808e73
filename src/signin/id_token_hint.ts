/**
 * Verifying an `id_token_hint` (OpenID Connect Core §3.1.2.1 at `/authorize`, RP-Initiated
 * Logout 1.0 §2 at `/end_session`): one of our ID tokens, signed by a key of ours that is not an
 * HMAC secret, of our issuer, `typ` JWT, carrying what only ID tokens carry (`sid`, `auth_time`,
 * an audience, no kind claim). An expired one is accepted (the specifications allow it: the
 * hint names who signed in, it grants nothing); nothing else is relaxed.
 *
 * @module
 */

import { verifyJws } from "../jose/mod.ts";
import type { VerifiedHint } from "../oidc/mod.ts";
import { KIND_CLAIM } from "../profiles/table.ts";
import type { Ctx, Signin } from "../trust/mod.ts";

/** The hint's facts, or `"invalid"`. */
export async function verifyIdTokenHint(
  ctx: Ctx,
  s: Pick<Signin, "idProfile">,
  token: string,
): Promise<VerifiedHint | "invalid"> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await verifyJws(
      token,
      ctx.rt.keyring.keys.filter((k) => k.alg !== "HS256"),
      {
        now: ctx.nowSec,
        leeway: 60,
        issuer: s.idProfile.issuer,
        typ: "JWT",
        ignoreExpiry: true,
      },
    ));
  } catch {
    return "invalid";
  }
  const { sub, sid, aud, azp } = payload;
  if (
    Object.hasOwn(payload, KIND_CLAIM) || typeof sub !== "string" || typeof sid !== "string" ||
    typeof payload.auth_time !== "number"
  ) {
    return "invalid";
  }
  const auds = typeof aud === "string"
    ? [aud]
    : Array.isArray(aud) && aud.every((a) => typeof a === "string")
    ? aud as string[]
    : [];
  if (auds.length === 0) return "invalid";
  return { sub, sid, aud: auds, ...(typeof azp === "string" ? { azp } : {}) };
}
