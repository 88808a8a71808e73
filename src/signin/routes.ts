/**
 * The routes of sign-in with Keypebble (issue 24): the pages a browser sees (`/authorize`,
 * `/end_session`, the stylesheet), answered in the `html` wire style, and UserInfo, called by
 * relying parties with an account's bearer token, answered in the OAuth style (RFC 6750 §3).
 * The pages take no credential: the session cookie is read by the handlers, and every form they
 * post carries a CSRF token bound to the browser. The `authorization_code` grant is one of the
 * token endpoint's grants (`src/oauth/code_grant.ts`).
 *
 * @module
 */

import type { CallerDecl } from "../http/mod.ts";
import { LOGIN_CSS, LOGIN_CSS_PATH, OIDC_PATHS } from "../oidc/mod.ts";
import { type AppRoute, type Ctx, requireSignin } from "../trust/mod.ts";
import { getAuthorize, postAuthorize } from "./authorize.ts";
import { getEndSession, postEndSession } from "./end_session.ts";
import { userinfo } from "./userinfo.ts";

/** A browser, before or after signing in: its cookie is read by the handler. */
const BROWSER: CallerDecl = { accepts: [], anonymous: "always" };
/** What the pages read besides their form: the session and login cookies, and the Origin. */
const BROWSER_READS = ["cookie", "origin"];
/** An account's bearer access token (RFC 6750 §2.1). */
const BEARER: CallerDecl = { accepts: ["account"], anonymous: "never" };

/** `GET /assets/login.css`: the pages' one stylesheet, compiled into the binary. */
async function getLoginCss(ctx: Ctx): Promise<Response> {
  await requireSignin(ctx);
  return new Response(LOGIN_CSS, {
    headers: {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
    },
  });
}

/** The routes of this feature. */
export const SIGNIN_ROUTES: readonly AppRoute[] = [
  {
    method: "GET",
    template: OIDC_PATHS.authorize,
    caller: BROWSER,
    reads: BROWSER_READS,
    body: "none",
    style: "html",
    handle: getAuthorize,
  },
  {
    method: "POST",
    template: OIDC_PATHS.authorize,
    caller: BROWSER,
    reads: BROWSER_READS,
    body: "form",
    style: "html",
    handle: postAuthorize,
    // The sign-in pages change an account only when a second factor is enrolled on them; every
    // other step notes nothing to record (the tokens of its code are recorded by the mint).
    audit: { action: "account.totp_confirmed" },
  },
  {
    method: "GET",
    template: OIDC_PATHS.userinfo,
    caller: BEARER,
    body: "none",
    style: "oauth",
    handle: userinfo,
  },
  {
    method: "POST",
    template: OIDC_PATHS.userinfo,
    caller: BEARER,
    body: "none",
    style: "oauth",
    handle: userinfo,
  },
  {
    method: "GET",
    template: OIDC_PATHS.endSession,
    caller: BROWSER,
    reads: BROWSER_READS,
    body: "none",
    style: "html",
    handle: getEndSession,
  },
  {
    method: "POST",
    template: OIDC_PATHS.endSession,
    caller: BROWSER,
    reads: BROWSER_READS,
    body: "form",
    style: "html",
    handle: postEndSession,
  },
  {
    method: "GET",
    template: LOGIN_CSS_PATH,
    caller: BROWSER,
    reads: BROWSER_READS,
    body: "none",
    style: "html",
    handle: getLoginCss,
  },
];
