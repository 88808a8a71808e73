/**
 * The grants `POST /oauth2/token` understands, as a table: `grant_type` → handler. A new grant
 * (authorization_code, …) is one file and one line here. Client authentication has already run
 * (the route accepts `client` credentials): `ctx.caller` is the client, an API key, or null.
 */

import { type Ctx, signinOn } from "../trust/mod.ts";
import { clientCredentialsGrant } from "./client_credentials.ts";
import { AUTHORIZATION_CODE, authorizationCodeGrant } from "./code_grant.ts";
import { passwordGrant, refreshTokenGrant } from "./account_grants.ts";
import { TOKEN_EXCHANGE, tokenExchangeGrant } from "./token_exchange.ts";

/** A successful token response body (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: "Bearer";
  readonly expires_in: number;
  readonly scope?: string;
  readonly [extra: string]: unknown;
}

/** One grant: the request (form in `ctx.form`) in, a token response out; refusals throw. */
export type GrantHandler = (ctx: Ctx) => Promise<TokenResponse>;

/** Every grant type served (RFC 6749 §4), when its feature is configured. */
export const GRANTS: Readonly<Record<string, GrantHandler>> = {
  client_credentials: clientCredentialsGrant,
  [AUTHORIZATION_CODE]: authorizationCodeGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
};

/**
 * The grant types this config serves (discovery lists exactly these): `client_credentials` with
 * API keys or declared clients, `authorization_code` when sign-in is on (accounts and an
 * asymmetric key), `password` and `refresh_token` with accounts, token exchange only when
 * `oauth.token_exchange` is on.
 */
export function grantTypesServed(ctx: Pick<Ctx, "rt" | "services">): string[] {
  const { rt, services } = ctx;
  const clients = services.apiKeys !== undefined || (rt.config.oauth?.clients.length ?? 0) > 0;
  return [
    ...(clients ? ["client_credentials"] : []),
    ...(signinOn(ctx) ? [AUTHORIZATION_CODE] : []),
    ...(services.accounts !== undefined ? ["password", "refresh_token"] : []),
    ...(rt.config.oauth?.tokenExchange === true ? [TOKEN_EXCHANGE] : []),
  ];
}
