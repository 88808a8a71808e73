/**
 * `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, RFC 8414): for a
 * token-only issuer, the document Kubernetes' service-account issuer publishes (which workload
 * identity federation reads); with the OAuth2 server on, exactly the endpoints, grant types and
 * client authentication methods this config serves, and nothing else; with sign-in (issue 24)
 * the OpenID Provider's members too.
 */

import { json } from "../http/mod.ts";
import { oidcDiscoveryMembers } from "../oidc/mod.ts";
import { type Ctx, requireAccounts, signinOn } from "../trust/mod.ts";
import { ACCOUNT_CLAIMS, TOKEN_CLAIMS } from "./claim_names.ts";
import { grantTypesServed } from "./grants.ts";

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

/** What the OAuth2 server offers under the current config. */
export interface OAuthFeatures {
  /** API keys or declared clients exist: introspection. */
  readonly clients: boolean;
  /** Stored accounts: their claims. */
  readonly accounts: boolean;
  /** A store for revoked token ids: revocation. */
  readonly revocation: boolean;
  /** The grant types served (`grantTypesServed`). */
  readonly grants: readonly string[];
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
  const grants = [...f.grants];
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
    // No authorization endpoint without sign-in: no response type exists (RFC 8414 §2); sign-in
    // replaces this with ["code"].
    response_types_supported: [],
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
export async function getOpenIdConfiguration(ctx: Ctx): Promise<Response> {
  const oauth = _oauthFeatures(ctx);
  const doc = discoveryDocument({
    issuer: ctx.rt.config.issuer,
    algs: ctx.rt.keyring.algs,
    ...(ctx.rt.config.publicUrl === undefined ? {} : { publicUrl: ctx.rt.config.publicUrl }),
    ...(oauth === undefined ? {} : { oauth }),
  });
  const signin = await _signinMembers(ctx);
  return json(signin === undefined ? doc : withSignin(doc, signin), 200, {
    "cache-control": `public, max-age=${ctx.rt.config.jwksMaxAgeSeconds}`,
  });
}

/**
 * What sign-in adds (issue 24), when it is served and some client signs people in (one in
 * `oauth.clients` with `redirect_uris`, or one kept in the store): the authorization, UserInfo
 * and end-session endpoints, `response_types_supported: ["code"]`, PKCE `S256`, the ID token's
 * one signing algorithm, the scopes, prompts and claims (src/oidc/discovery.ts).
 */
async function _signinMembers(ctx: Ctx): Promise<Record<string, unknown> | undefined> {
  if (!signinOn(ctx)) return undefined;
  const { config } = ctx.rt;
  const declared = config.oauth?.clients.some((c) => c.redirectUris.length > 0) ?? false;
  if (!declared && (await requireAccounts(ctx).store.oidcClients.list()).length === 0) {
    return undefined;
  }
  // Sign-in needs a URL issuer (checked at start): the endpoints hang off it.
  const base = config.issuer.replace(/\/$/, "");
  return oidcDiscoveryMembers(base, [ctx.rt.profiles.id!.signer.alg]);
}

/** The document with sign-in's members; lists (claims) are merged, the rest replaced. */
export function withSignin(
  doc: Record<string, unknown>,
  signin: Record<string, unknown>,
): Record<string, unknown> {
  const claims = new Set<string>([
    ...((doc.claims_supported ?? []) as string[]),
    ...((signin.claims_supported ?? []) as string[]),
  ]);
  return { ...doc, ...signin, claims_supported: [...claims] };
}

/** The OAuth2 features on offer, or undefined when `/oauth2/token` has no client grant. */
function _oauthFeatures(ctx: Ctx): OAuthFeatures | undefined {
  const { services, rt } = ctx;
  const clients = services.apiKeys !== undefined || (rt.config.oauth?.clients.length ?? 0) > 0;
  const accounts = services.accounts !== undefined;
  const trusted = (rt.config.oauth?.trustedIssuers.length ?? 0) > 0;
  if (!clients && !accounts && !trusted) return undefined;
  return {
    clients,
    accounts,
    revocation: services.apiKeys !== undefined || services.accounts !== undefined,
    grants: grantTypesServed(ctx),
  };
}
