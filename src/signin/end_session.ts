/**
 * `GET /end_session` and `POST /end_session` (OpenID Connect RP-Initiated Logout 1.0): a relying
 * party sends the browser here to sign out, with an `id_token_hint`, a `post_logout_redirect_uri`
 * registered for the client (else the error page, never a redirect) and a `state` it gets back.
 * Without a hint that names the browser's session the person is asked first (a link on another
 * site must not sign anyone out); the confirmation form posts back here with its CSRF token bound
 * to the session cookie. Signing out ends the stored session and deletes the cookie; codes of
 * that session can no longer be redeemed. Access and refresh tokens already issued to clients
 * stay valid until they expire or are revoked (no back-channel logout).
 *
 * @module
 */

import {
  checkCsrf,
  CSRF_FIELD,
  csrfToken,
  currentSession,
  endSession,
  logoutPage,
  messagePage,
  signedOutPage,
  validateLogoutRequest,
  type VerifiedHint,
} from "../oidc/mod.ts";
import { type Ctx, requireSignin, type Signin } from "../trust/mod.ts";
import { cookieOf, errorPageResponse, noCookie, page, redirect, sameOrigin } from "./browser.ts";
import { verifyIdTokenHint } from "./id_token_hint.ts";

/** `GET /end_session`. */
export async function getEndSession(ctx: Ctx): Promise<Response> {
  return await _endSession(ctx, await requireSignin(ctx), null);
}

/** `POST /end_session`: the confirmation form (`logout=yes|no`), the request in the query. */
export async function postEndSession(ctx: Ctx): Promise<Response> {
  const s = await requireSignin(ctx);
  if (!sameOrigin(ctx)) {
    return errorPageResponse(403, "forbidden", "This form was sent from another site");
  }
  return await _endSession(ctx, s, ctx.form);
}

async function _endSession(
  ctx: Ctx,
  s: Signin,
  form: URLSearchParams | null,
): Promise<Response> {
  const now = ctx.nowSec;
  const params = ctx.query;
  let hint: VerifiedHint | "invalid" | null = null;
  const raw = params.get("id_token_hint");
  if (raw !== null && raw !== "") hint = await verifyIdTokenHint(ctx, s, raw);
  const sessionCookie = cookieOf(ctx, "session");
  const cur = await currentSession(s.store, sessionCookie, now);
  const active = cur.status === "active" && cur.session !== undefined && cur.user !== undefined;
  const outcome = await validateLogoutRequest(params, {
    lookup: s.lookup,
    hint,
    current: active ? { sessionId: cur.session!.id, userId: cur.user!.id } : null,
  });
  if (outcome.kind === "error_page") {
    return errorPageResponse(400, "invalid_request", outcome.message);
  }
  const formActions = outcome.location === null ? [] : [outcome.location];
  const signOut = async (): Promise<Response> => {
    if (active) {
      await endSession(s.store, cur.session!.id, now);
      ctx.services.logger.info("signout", { user_id: cur.user!.id, sid: cur.session!.id });
    }
    const cookies = [noCookie(ctx, "session")];
    return outcome.location === null
      ? page(signedOutPage(), { cookies })
      : redirect(outcome.location, form !== null, cookies);
  };
  if (form === null) {
    if (outcome.kind === "sign_out") return await signOut();
    return page(
      logoutPage({
        action: `${ctx.url.pathname}${ctx.url.search}`,
        csrf: csrfToken(s.keys, sessionCookie!, "logout"),
        ...(outcome.client === null ? {} : { clientName: outcome.client.name }),
      }),
      { formActions },
    );
  }
  // The confirmation: bound to the session it would end.
  if (!active) return await signOut(); // nothing to end any more
  if (!checkCsrf(s.keys, sessionCookie, "logout", form.get(CSRF_FIELD))) {
    ctx.services.metrics.authFailures.labels("csrf").inc();
    return errorPageResponse(400, "invalid_request", "This form has expired; start again");
  }
  const answer = form.get("logout");
  if (answer === "yes") return await signOut();
  if (answer === "no") {
    return page(
      messagePage({ title: "Still signed in", message: "You are still signed in." }),
    );
  }
  return errorPageResponse(400, "invalid_request", 'logout must be "yes" or "no"');
}
