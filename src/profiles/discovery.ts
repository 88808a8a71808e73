/**
 * Publishing keys: `GET /.well-known/jwks.json` (RFC 7517; public members only, HMAC keys never)
 * and `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, for a token-only
 * issuer, as Kubernetes' service-account issuer publishes it).
 */

import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";

/** Handle `GET /.well-known/jwks.json`. The body was serialised when the keyring was built. */
export function getJwks(ctx: RequestContext): Response {
  return new Response(ctx.rt.keyring.jwksJson, {
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
    },
  });
}

/** The discovery document for a runtime; `origin` is used when `issuer` is not a URL. */
export function discoveryDocument(
  input: { issuer: string; algs: readonly string[]; origin: string },
): Record<string, unknown> {
  const { issuer, algs, origin } = input;
  const base = /^https?:\/\//.test(issuer) ? issuer.replace(/\/$/, "") : origin;
  return {
    issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/v2/token`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: algs.filter((a) => a !== "HS256"),
    grant_types_supported: ["password", "refresh_token"],
    token_endpoint_auth_methods_supported: ["client_secret_basic"],
    claims_supported: ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
  };
}

/** Handle `GET /.well-known/openid-configuration`. */
export function getOpenIdConfiguration(ctx: RequestContext): Response {
  const doc = discoveryDocument({
    issuer: ctx.rt.config.issuer,
    algs: ctx.rt.keyring.algs,
    origin: ctx.url.origin,
  });
  return json(doc, 200, {
    "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
  });
}
