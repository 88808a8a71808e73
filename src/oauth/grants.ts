/**
 * The grants `POST /oauth2/token` understands, as a table: `grant_type` → handler. A new grant
 * (refresh_token, authorization_code, token exchange…) is one file and one line here.
 */

import type { RequestContext } from "../http/context.ts";
import { clientCredentialsGrant } from "./client_credentials.ts";
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

/** One grant: the parsed form in, a token response out; refusals throw `KeypebbleError`. */
export type GrantHandler = (
  ctx: RequestContext,
  form: URLSearchParams,
) => Promise<TokenResponse>;

/** Every grant type served (RFC 6749 §4). */
export const GRANTS: Readonly<Record<string, GrantHandler>> = {
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  [TOKEN_EXCHANGE]: tokenExchangeGrant,
};
