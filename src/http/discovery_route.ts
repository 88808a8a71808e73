/**
 * Publishing keys: `GET /.well-known/jwks.json` (RFC 7517; public members only, HMAC keys never)
 * and `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, for a token-only
 * issuer, as Kubernetes' service-account issuer publishes it).
 */

import type { RequestContext } from "./context.ts";
import { json } from "./responses.ts";

/** Handle `GET /.well-known/jwks.json`. The body was serialised when the keyring was built. */
export function getJwks(ctx: RequestContext): Response {
  return new Response(ctx.rt.keyring.jwksJson, {
    headers: {
      "content-type": "application/jwk-set+json",
      "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
    },
  });
}

/**
 * The discovery document for a runtime. The base of `jwks_uri` and `token_endpoint` is the
 * issuer when it is a URL, else the configured `public_url`, never the request's Host header
 * (which a client chooses, and a shared cache would keep). Without either, the URLs are left
 * out: a relative guess would be wrong for someone.
 */
export function discoveryDocument(
  input: { issuer: string; algs: readonly string[]; publicUrl?: string },
): Record<string, unknown> {
  const { issuer, algs, publicUrl } = input;
  const base = /^https?:\/\//.test(issuer) ? issuer.replace(/\/$/, "") : publicUrl;
  return {
    issuer,
    ...(base === undefined ? {} : {
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/v2/token`,
    }),
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
    ...(ctx.rt.config.publicUrl === undefined ? {} : { publicUrl: ctx.rt.config.publicUrl }),
  });
  return json(doc, 200, {
    "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
  });
}
