/** `GET /.well-known/jwks.json` (RFC 7517): public members only, HMAC keys never. */

import type { Ctx } from "../trust/mod.ts";

/** Handle `GET /.well-known/jwks.json`. The body was serialised when the keyring was built. */
export function getJwks(ctx: Ctx): Response {
  return new Response(ctx.rt.keyring.jwksJson, {
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
    },
  });
}
