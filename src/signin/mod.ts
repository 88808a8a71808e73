/**
 * Sign in with Keypebble (issue 24): the OpenID Provider's browser pages and UserInfo, over the
 * building blocks of `src/oidc/`.
 *
 * @module
 */
export { SIGNIN_ROUTES } from "./routes.ts";
