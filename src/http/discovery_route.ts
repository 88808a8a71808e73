/**
 * Publishing keys: `GET /.well-known/jwks.json` (RFC 7517; public members only, HMAC keys never)
 * and `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, for a token-only
 * issuer, as Kubernetes' service-account issuer publishes it).
 */

import { ACCOUNT_CLAIMS, TOKEN_CLAIMS } from "../oauth/claim_names.ts";
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
  input: { issuer: string; algs: readonly string[]; publicUrl?: string; oauth?: OAuthFeatures },
): Record<string, unknown> {
  const { issuer, algs, publicUrl } = input;
  const base = /^https?:\/\//.test(issuer) ? issuer.replace(/\/$/, "") : publicUrl;
  if (input.oauth !== undefined) return _oauthDocument(base, input);
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

/** What the OAuth2 server offers under the current config (issue 13). */
export interface OAuthFeatures {
  /** API keys or declared clients exist: `client_credentials`, introspection. */
  readonly clients: boolean;
  /** Stored accounts: `password`, `refresh_token`. */
  readonly accounts: boolean;
  /** A store for revoked token ids: revocation. */
  readonly revocation: boolean;
}

/**
 * The document when `/oauth2/token` serves grants (OIDC Discovery 1.0 §3, RFC 8414 §2): the
 * endpoints, grant types and client authentication methods that exist, and nothing else.
 */
function _oauthDocument(
  base: string | undefined,
  input: { issuer: string; algs: readonly string[]; oauth?: OAuthFeatures },
): Record<string, unknown> {
  const f = input.oauth!;
  const grants = [
    ...(f.clients ? ["client_credentials"] : []),
    ...(f.accounts ? ["password", "refresh_token"] : []),
    "urn:ietf:params:oauth:grant-type:token-exchange",
  ];
  const methods = ["client_secret_basic", "client_secret_post"];
  const signing = input.algs.filter((a) => a !== "HS256");
  // Without a URL base (issuer not a URL, no public_url) the URLs are left out.
  return {
    issuer: input.issuer,
    ...(base === undefined ? {} : {
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/oauth2/token`,
    }),
    ...(f.clients && base !== undefined
      ? {
        introspection_endpoint: `${base}/oauth2/introspect`,
        introspection_endpoint_auth_methods_supported: methods,
      }
      : {}),
    ...(f.revocation && base !== undefined
      ? {
        revocation_endpoint: `${base}/oauth2/revoke`,
        revocation_endpoint_auth_methods_supported: ["none", ...methods],
      }
      : {}),
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: signing,
    grant_types_supported: grants,
    // "none": the password, refresh_token and token-exchange grants need no client secret.
    token_endpoint_auth_methods_supported: [...(f.clients ? methods : []), "none"],
    claims_supported: [
      ...TOKEN_CLAIMS,
      ...(f.accounts ? [...ACCOUNT_CLAIMS, "preferred_username"] : []),
    ],
  };
}

/** Handle `GET /.well-known/openid-configuration`. */
export function getOpenIdConfiguration(ctx: RequestContext): Response {
  const doc = discoveryDocument({
    issuer: ctx.rt.config.issuer,
    algs: ctx.rt.keyring.algs,
    ...(ctx.rt.config.publicUrl === undefined ? {} : { publicUrl: ctx.rt.config.publicUrl }),
    ...(_oauthFeatures(ctx) === undefined ? {} : { oauth: _oauthFeatures(ctx) }),
  });
  return json(doc, 200, {
    "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
  });
}

/** The OAuth2 features on offer, or undefined when `/oauth2/token` has no client grant. */
function _oauthFeatures(ctx: RequestContext): OAuthFeatures | undefined {
  const { services, rt } = ctx;
  const clients = services.apiKeys !== undefined || (rt.config.oauth?.clients.length ?? 0) > 0;
  const accounts = services.accounts !== undefined;
  const trusted = (rt.config.oauth?.trustedIssuers.length ?? 0) > 0;
  if (!clients && !accounts && !trusted) return undefined;
  return {
    clients,
    accounts,
    revocation: services.apiKeys !== undefined || services.accounts !== undefined,
  };
}
