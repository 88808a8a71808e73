/**
 * The OAuth2 server's routes: the token endpoint, introspection, revocation and discovery. Their
 * errors are RFC 6749 §5.2's (the `oauth` wire style); client credentials may be sent in the form
 * (the route accepts `client`, so the form is read before authentication).
 */

import type { CallerDecl } from "../http/mod.ts";
import type { AppRoute } from "../trust/mod.ts";
import { getOpenIdConfiguration } from "./discovery.ts";
import { postIntrospect, postRevoke } from "./introspect_revoke.ts";
import { postOAuthToken } from "./token_endpoint.ts";

/** A client, when one authenticates; the grant decides whether one must. */
const OPTIONAL_CLIENT: CallerDecl = { accepts: ["client"], anonymous: "always" };

/** The routes of this feature. */
export const OAUTH_ROUTES: readonly AppRoute[] = [
  {
    method: "POST",
    template: "/oauth2/token",
    caller: OPTIONAL_CLIENT,
    body: "oauth_form",
    style: "oauth",
    handle: postOAuthToken,
  },
  {
    method: "POST",
    template: "/oauth2/introspect",
    caller: { accepts: ["client"], anonymous: "never" },
    needs: "introspect",
    body: "oauth_form",
    style: "oauth",
    handle: postIntrospect,
  },
  {
    method: "POST",
    template: "/oauth2/revoke",
    caller: OPTIONAL_CLIENT,
    body: "oauth_form",
    style: "oauth",
    handle: postRevoke,
    audit: { action: "token.revoked" },
  },
  {
    method: "GET",
    template: "/.well-known/openid-configuration",
    caller: { accepts: [], anonymous: "always" },
    body: "none",
    style: "keypebble",
    handle: getOpenIdConfiguration,
  },
];
