/**
 * `GET /authorize` and `POST /authorize` (OpenID Connect Core §3.1.2, OAuth 2.1 §4.1.1): the
 * browser's half of sign-in. The authorization request travels in the query string, always:
 * a relying party sends the browser there, and every form of the flow posts back to the same URL
 * (its `action`), with the form's fields in the body. A POST without a query is a relying party's
 * form-encoded authorization request (Core §3.1.2.1: GET and POST are both supported): it is
 * answered with a 303 to the same request as a GET, so the browser's session cookie (`SameSite=
 * Lax`, not sent on a cross-site POST) is seen.
 *
 * Each request: validate (`src/oidc/authorize.ts`: a bad client or redirect URI shows the error
 * page and never redirects), read the session cookie, handle the posted form if any (login,
 * second factor, forced password change, TOTP enrolment, consent; each with its CSRF token bound
 * to the browser, and the `Origin` checked), then let `decideInteraction` pick the next page or
 * issue the code (302/303 to the redirect URI with `code`, `state` and `iss`, RFC 9207).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import {
  type AuthorizationRequest,
  beginTotpEnrolment,
  checkCsrf,
  codeRedirect,
  confirmTotpEnrolment,
  consentPage,
  CSRF_FIELD,
  type CsrfPurpose,
  csrfToken,
  currentSession,
  decideInteraction,
  DEFAULT_SESSION_TTL_SECONDS,
  errorRedirect,
  issueAuthorizationCode,
  loginPage,
  mfaTicket,
  newCookieValue,
  nonceWindowStart,
  passwordChangePage,
  readMfaTicket,
  resumeTotpEnrolment,
  secondFactorPage,
  type SessionStatus,
  startSession,
  type TotpEnrolment,
  totpEnrolPage,
  validateAuthorizationRequest,
} from "../oidc/mod.ts";
import { verifyAnyPassword } from "../accounts/passwords.ts";
import type { OidcSessionRecord, UserRecord } from "../store/mod.ts";
import {
  checkSecondFactor,
  type Ctx,
  loginAccount,
  noteAudit,
  requireAccounts,
  requireSignin,
  secondFactorOf,
  type Signin,
  totpIssuerOf,
} from "../trust/mod.ts";
import { cookie, cookieOf, errorPageResponse, page, redirect, sameOrigin } from "./browser.ts";
import { verifyIdTokenHint } from "./id_token_hint.ts";

/** How long after signing in a continuation form (consent, enrolment) still counts as part of it. */
const CONTINUATION_SECONDS = 300;

/** The state of one request of the flow. */
interface Flow {
  readonly ctx: Ctx;
  readonly s: Signin;
  readonly request: AuthorizationRequest;
  /** The form's `action`: this very URL (path and query). */
  readonly action: string;
  /** The request is a POST (answers redirect with 303). */
  readonly post: boolean;
  /** `Set-Cookie` values to send with the answer. */
  readonly cookies: string[];
  loginCookie: string | null;
  sessionCookie: string | null;
  session?: OidcSessionRecord;
  user?: UserRecord;
  status: SessionStatus;
  authenticatedNow: boolean;
  consentGiven: boolean;
  hintSubject?: string;
}

/** `GET /authorize`. */
export async function getAuthorize(ctx: Ctx): Promise<Response> {
  return await _authorize(ctx, await requireSignin(ctx), null);
}

/** `POST /authorize`: a form of the flow, or a relying party's form-encoded request. */
export async function postAuthorize(ctx: Ctx): Promise<Response> {
  noteAudit(ctx, { skip: true }); // unless a second factor is enrolled (_enrol)
  const s = await requireSignin(ctx);
  if (!ctx.req.url.includes("?")) {
    // Core §3.1.2.1: the request in the body. Sent on as a GET to this same path (never
    // elsewhere), where the validation and the session cookie apply.
    const q = new URLSearchParams();
    for (const [k, v] of ctx.form) q.append(k, v);
    return redirect(`${ctx.url.pathname}?${q.toString()}`, true);
  }
  if (!sameOrigin(ctx)) {
    return errorPageResponse(403, "forbidden", "This form was sent from another site");
  }
  return await _authorize(ctx, s, ctx.form);
}

async function _authorize(ctx: Ctx, s: Signin, form: URLSearchParams | null): Promise<Response> {
  const now = ctx.nowSec;
  const issuer = ctx.rt.config.issuer;
  const outcome = await validateAuthorizationRequest(ctx.query, {
    issuer,
    lookup: s.lookup,
    nonceSeen: (clientId, nonce) =>
      s.store.authCodes.nonceSeen(clientId, nonce, nonceWindowStart(now)),
  });
  if (outcome.kind === "error_page") {
    return errorPageResponse(400, outcome.error, outcome.message);
  }
  if (outcome.kind === "redirect_error") return redirect(outcome.location, form !== null);
  const request = outcome.request;
  const sessionCookie = cookieOf(ctx, "session");
  const current = await currentSession(s.store, sessionCookie, now);
  const f: Flow = {
    ctx,
    s,
    request,
    action: `${ctx.url.pathname}${ctx.url.search}`,
    post: form !== null,
    cookies: [],
    loginCookie: cookieOf(ctx, "login"),
    sessionCookie,
    ...(current.session === undefined ? {} : { session: current.session }),
    ...(current.user === undefined ? {} : { user: current.user }),
    status: current.status,
    authenticatedNow: false,
    consentGiven: false,
  };
  if (request.idTokenHint !== null) {
    const hint = await verifyIdTokenHint(ctx, s, request.idTokenHint);
    if (hint === "invalid") {
      return _back(f, "invalid_request", "The id_token_hint is not valid");
    }
    f.hintSubject = hint.sub;
  }
  if (form !== null) {
    const answered = await _form(f, form);
    if (answered !== undefined) return answered;
  }
  return await _next(f);
}

/** An error sent back to the client (its redirect URI was verified). */
function _back(
  f: Flow,
  error: Parameters<typeof errorRedirect>[1],
  description: string,
): Response {
  const out = errorRedirect(f.request, error, description, f.ctx.rt.config.issuer);
  return redirect(out.kind === "redirect_error" ? out.location : f.request.redirectUri, f.post, [
    ...f.cookies,
  ]);
}

/** Decide and act: the next page, an error back to the client, or the code. */
async function _next(f: Flow): Promise<Response> {
  const { ctx, s, request } = f;
  const now = ctx.nowSec;
  let sf = { required: false, enrolled: false };
  if (f.status === "active" && f.user !== undefined) {
    sf = await secondFactorOf(ctx, s.store, f.user);
  }
  const step = decideInteraction(request, {
    status: f.status,
    ...(f.session === undefined ? {} : { session: f.session }),
    ...(f.user === undefined ? {} : { user: f.user }),
    now,
    authenticatedNow: f.authenticatedNow,
    secondFactorRequired: sf.required,
    totpEnrolled: sf.enrolled,
    consentGiven: f.consentGiven,
    ...(f.hintSubject === undefined ? {} : { hintSubject: f.hintSubject }),
  });
  switch (step.kind) {
    case "login":
      return _loginPage(f, {});
    case "password_change":
      return _passwordChangePage(f, {});
    case "totp_enrol":
      return await _enrolPage(f, {});
    case "consent":
      return _consentPage(f);
    case "error":
      return _back(f, step.error, step.description);
    case "issue_code": {
      const code = await issueAuthorizationCode(s.store, {
        request,
        session: f.session!,
        now,
      });
      ctx.subject = f.user!.id;
      ctx.services.logger.info("signin_code_issued", {
        client_id: request.client.id,
        user_id: f.user!.id,
        sid: f.session!.id,
      });
      return redirect(codeRedirect(request, code, ctx.rt.config.issuer), f.post, f.cookies);
    }
  }
}

// ---- the forms -------------------------------------------------------------------------------

/** Which form was posted, by its fields. */
function _formKind(form: URLSearchParams): CsrfPurpose | null {
  if (form.has("consent")) return "consent";
  if (form.has("mfa_ticket")) return "second_factor";
  if (form.has("new_password")) return "password_change";
  if (form.has("username") || form.has("password")) return "login";
  if (form.has("otp")) return "totp_enrol";
  return null;
}

/** Handle the posted form: an answer (a page again, an error), or undefined to go on. */
async function _form(f: Flow, form: URLSearchParams): Promise<Response | undefined> {
  const { ctx, s } = f;
  const kind = _formKind(form);
  if (kind === null) {
    return errorPageResponse(400, "invalid_request", "This form is not one of the sign-in forms");
  }
  const beforeSignIn = kind === "login" || kind === "second_factor";
  const binding = beforeSignIn ? f.loginCookie : f.sessionCookie;
  if (!checkCsrf(s.keys, binding, kind, form.get(CSRF_FIELD))) {
    ctx.services.metrics.authFailures.labels("csrf").inc();
    if (kind === "login") {
      return _loginPage(f, {
        status: 400,
        error: "This sign-in form has expired, or your browser did not send its cookie. " +
          "Allow cookies for this site and sign in again",
      });
    }
    return errorPageResponse(
      400,
      "invalid_request",
      "This form has expired, or your browser did not send its cookie; start again from the application",
    );
  }
  switch (kind) {
    case "login":
      return await _login(f, form);
    case "second_factor":
      return await _secondFactor(f, form);
    default:
      break;
  }
  // The forms after sign-in need the session that bound their token.
  if (f.status !== "active" || f.session === undefined || f.user === undefined) {
    return undefined; // decideInteraction shows the login page
  }
  // A continuation of a sign-in that just happened counts as part of it (prompt=login, max_age).
  if (ctx.nowSec - f.session.authTime <= CONTINUATION_SECONDS) f.authenticatedNow = true;
  switch (kind) {
    case "consent": {
      const v = form.get("consent");
      if (v === "deny") return _back(f, "access_denied", "The user denied access");
      if (v !== "allow") {
        return errorPageResponse(400, "invalid_request", 'consent must be "allow" or "deny"');
      }
      f.consentGiven = true;
      return undefined;
    }
    case "password_change":
      return await _passwordChange(f, form);
    case "totp_enrol":
      return await _enrol(f, form);
    default:
      return undefined;
  }
}

/** The login form: the password, under the lockout; then the second factor or a session. */
async function _login(f: Flow, form: URLSearchParams): Promise<Response | undefined> {
  const { ctx, s } = f;
  const username = (form.get("username") ?? "").trim().slice(0, 320);
  const password = form.get("password") ?? "";
  if (username === "" || password === "") {
    return _loginPage(f, {
      status: 400,
      username,
      error: "Enter your e-mail or username and your password",
    });
  }
  let user: UserRecord;
  try {
    user = await loginAccount(
      ctx,
      username.includes("@") ? { email: username } : { username },
      password.slice(0, 1024),
    );
  } catch (e) {
    const answer = _loginRefusal(e);
    if (answer === undefined) throw e;
    return _loginPage(f, { ...answer, username });
  }
  const sf = await secondFactorOf(ctx, s.store, user);
  if (sf.enrolled) {
    // The password was right: the code page, with a ticket bound to this browser.
    return _secondFactorPage(f, user, {});
  }
  await _startSession(f, user, ["pwd"]);
  return undefined;
}

/** The second-factor form: the ticket (password right, this browser), then the code. */
async function _secondFactor(f: Flow, form: URLSearchParams): Promise<Response | undefined> {
  const { ctx, s } = f;
  const ticket = readMfaTicket(s.keys, f.loginCookie, form.get("mfa_ticket"), ctx.nowSec);
  const user = ticket === null ? undefined : await s.store.users.byId(ticket.userId);
  if (ticket === null || user === undefined || user.status !== "active") {
    return _loginPage(f, { status: 400, error: "The sign-in took too long; sign in again" });
  }
  let check;
  try {
    check = await checkSecondFactor(ctx, s, user, form.get("otp") ?? "");
  } catch (e) {
    const answer = _loginRefusal(e);
    if (answer === undefined) throw e;
    return _secondFactorPage(f, user, answer);
  }
  if (!check.ok) {
    return _secondFactorPage(f, user, {
      status: 401,
      error: "That code is not right. Type the current code of your app, or a recovery code",
    });
  }
  if (check.method === "recovery") {
    ctx.services.logger.info("recovery_code_used", {
      user_id: user.id,
      left: await s.store.totp.recoveryCodesLeft(user.id),
    });
  }
  await _startSession(f, user, ["pwd", "otp"]);
  return undefined;
}

/** The forced password change (a fresh administrator's printed password). */
async function _passwordChange(f: Flow, form: URLSearchParams): Promise<Response | undefined> {
  const user = f.user!;
  if (!user.mustChangePassword) return undefined;
  const next = form.get("new_password") ?? "";
  if (next !== (form.get("new_password_confirm") ?? "")) {
    return _passwordChangePage(f, { status: 400, error: "The two passwords are not the same" });
  }
  if ((await verifyAnyPassword(next, user.passwordHash)).ok) {
    return _passwordChangePage(f, {
      status: 400,
      error: "The new password must differ from the old one",
    });
  }
  const svc = requireAccounts(f.ctx);
  try {
    // Revokes refresh tokens, sets a cutoff and ends every browser session of the account …
    await svc.resetPassword(user.id, next);
  } catch (e) {
    if (e instanceof KeypebbleError && e.status === 400) {
      return _passwordChangePage(f, { status: 400, error: e.message });
    }
    throw e;
  }
  f.ctx.services.logger.info("password_changed", { user_id: user.id, via: "signin" });
  // … so this browser gets a new one, as the person who just chose the password.
  const fresh = await svc.store.users.byId(user.id);
  if (fresh === undefined) return undefined;
  await _startSession(f, fresh, f.session!.amr);
  return undefined;
}

/** TOTP enrolment: a code from the app confirms the pending secret; the session gains `otp`. */
async function _enrol(f: Flow, form: URLSearchParams): Promise<Response | undefined> {
  const { ctx, s } = f;
  const user = f.user!;
  const r = await confirmTotpEnrolment(s, {
    userId: user.id,
    code: (form.get("otp") ?? "").slice(0, 16),
    now: ctx.nowSec,
  });
  if (!r.ok) {
    const again = await resumeTotpEnrolment(s, {
      user,
      issuer: totpIssuerOf(ctx),
      now: ctx.nowSec,
    });
    return await _enrolPage(f, {
      status: 400,
      error: "That code is not right. Type the code the app shows now (new recovery codes " +
        "are below: use these, not the ones shown before)",
      ...(again === undefined ? {} : { enrolment: again }),
    });
  }
  noteAudit(ctx, {
    skip: false,
    action: "account.totp_confirmed",
    target: user.id,
    org: user.orgId,
    details: { via: "signin" },
  });
  await _startSession(f, user, ["pwd", "otp"]);
  return undefined;
}

/** A new session for `user` (a new cookie: session fixation), replacing the browser's old one. */
async function _startSession(f: Flow, user: UserRecord, amr: readonly string[]): Promise<void> {
  const { ctx, s } = f;
  const ttl = ctx.services.accounts?.config.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  const { cookie: value, session } = await startSession(s.store, {
    userId: user.id,
    amr,
    now: ctx.nowSec,
    ttlSeconds: ttl,
    ...(f.session !== undefined && f.session.endedAt === null ? { replaces: f.session.id } : {}),
  });
  f.cookies.push(cookie(ctx, "session", value, ttl));
  f.sessionCookie = value;
  f.session = session;
  f.user = user;
  f.status = "active";
  f.authenticatedNow = true;
  ctx.subject = user.id;
  ctx.services.logger.info("signin", { user_id: user.id, sid: session.id, amr: amr.join(" ") });
}

/** What the login page says after a refusal of `loginAccount` (or a second-factor check). */
function _loginRefusal(
  e: unknown,
): { status: number; error: string; headers?: Record<string, string> } | undefined {
  if (!(e instanceof KeypebbleError)) return undefined;
  switch (e.code) {
    case "unauthorized":
      return { status: 401, error: "Wrong e-mail, username or password" };
    case "locked_out":
    case "rate_limited":
      return {
        status: 429,
        error: "Too many failed attempts; wait a few minutes and try again",
        headers: { ...e.headers },
      };
    case "forbidden":
      return { status: 403, error: e.message };
    default:
      return undefined;
  }
}

// ---- the pages -------------------------------------------------------------------------------

interface PageState {
  status?: number;
  error?: string;
  username?: string;
  headers?: Record<string, string>;
}

/** The login page; a login cookie is set first when the browser has none (the CSRF binding). */
function _loginPage(f: Flow, p: PageState): Response {
  if (f.loginCookie === null) {
    f.loginCookie = newCookieValue();
    f.cookies.push(cookie(f.ctx, "login", f.loginCookie));
  }
  const username = p.username ?? f.request.loginHint ?? undefined;
  return page(
    loginPage({
      action: f.action,
      csrf: csrfToken(f.s.keys, f.loginCookie, "login"),
      clientName: f.request.client.name,
      ...(username === undefined ? {} : { username }),
      ...(p.error === undefined ? {} : { error: p.error }),
    }),
    _pageOptions(f, p),
  );
}

function _secondFactorPage(f: Flow, user: UserRecord, p: PageState): Response {
  const binding = f.loginCookie!;
  return page(
    secondFactorPage({
      action: f.action,
      csrf: csrfToken(f.s.keys, binding, "second_factor"),
      ticket: mfaTicket(f.s.keys, binding, { userId: user.id, now: f.ctx.nowSec }),
      ...(p.error === undefined ? {} : { error: p.error }),
    }),
    _pageOptions(f, p),
  );
}

function _passwordChangePage(f: Flow, p: PageState): Response {
  return page(
    passwordChangePage({
      action: f.action,
      csrf: csrfToken(f.s.keys, f.sessionCookie!, "password_change"),
      minLength: requireAccounts(f.ctx).config.passwordMinLength,
      ...(p.error === undefined ? {} : { error: p.error }),
    }),
    _pageOptions(f, p),
  );
}

async function _enrolPage(
  f: Flow,
  p: PageState & { enrolment?: TotpEnrolment },
): Promise<Response> {
  const { ctx, s } = f;
  const e = p.enrolment ??
    await beginTotpEnrolment(s, { user: f.user!, issuer: totpIssuerOf(ctx), now: ctx.nowSec });
  return page(
    totpEnrolPage({
      action: f.action,
      csrf: csrfToken(s.keys, f.sessionCookie!, "totp_enrol"),
      secret: e.secret,
      recoveryCodes: e.recoveryCodes,
      ...(e.qrSvg === undefined ? {} : { qrSvg: e.qrSvg }),
      ...(p.error === undefined ? {} : { error: p.error }),
    }),
    _pageOptions(f, p),
  );
}

function _consentPage(f: Flow): Response {
  return page(
    consentPage({
      action: f.action,
      csrf: csrfToken(f.s.keys, f.sessionCookie!, "consent"),
      clientName: f.request.client.name,
      scopes: f.request.scopes,
      account: f.user!.username ?? f.user!.email,
    }),
    _pageOptions(f, {}),
  );
}

function _pageOptions(f: Flow, p: PageState) {
  return {
    ...(p.status === undefined ? {} : { status: p.status }),
    // The form's answer may redirect to the client (CSP form-action covers redirects).
    formActions: [f.request.redirectUri],
    cookies: f.cookies,
    ...(p.headers === undefined ? {} : { headers: p.headers }),
  };
}
