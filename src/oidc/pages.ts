/**
 * The sign-in pages, as HTML strings: login, second factor, forced password change, consent,
 * TOTP enrolment, sign-out confirmation, and the error page. Plain HTML forms (`method="post"`)
 * that work without JavaScript; no script and no inline style anywhere (the stylesheet is
 * {@link LOGIN_CSS_PATH}); every value from a request, the config or the store goes through
 * {@link escapeHtml}. Each form carries the hidden CSRF input {@link CSRF_FIELD}.
 *
 * Contract (issue 24): the login form has inputs named `username` and `password`, and `otp` when
 * a second factor is asked for; the consent form has a button named `consent` with value
 * `allow` (and one with value `deny`).
 *
 * Serve with the headers of `pageHeaders(contentSecurityPolicy(...))` from `csp.ts`.
 *
 * @module
 */

import { CSRF_FIELD } from "./csrf.ts";
import { escapeHtml } from "./html.ts";
import { LOGIN_CSS_PATH } from "./login_css.ts";

/** What every page needs. */
export interface PageBase {
  /** Product name shown in titles (e.g. the issuer's host or "Keypebble"). */
  readonly siteName?: string;
}

function _layout(base: PageBase, title: string, body: string): string {
  const site = base.siteName ?? "Keypebble";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · ${escapeHtml(site)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${LOGIN_CSS_PATH}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function _csrf(token: string): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">`;
}

function _error(message: string | undefined): string {
  return message === undefined || message === ""
    ? ""
    : `<p class="error" role="alert">${escapeHtml(message)}</p>\n`;
}

/** The login form. */
export interface LoginPage extends PageBase {
  /** Where the form posts (same origin; the authorization request's URL). */
  readonly action: string;
  readonly csrf: string;
  /** Prefill for `username` (`login_hint`, or what was typed before a failure). */
  readonly username?: string;
  /** The client's name, when signing in for one. */
  readonly clientName?: string;
  /** A message after a failed attempt (never says which of name or password was wrong). */
  readonly error?: string;
}

/** The login page: `username`, `password` and the CSRF token. */
export function loginPage(p: LoginPage): string {
  const forWhom = p.clientName === undefined
    ? ""
    : `<p class="muted">to continue to ${escapeHtml(p.clientName)}</p>\n`;
  return _layout(
    p,
    "Sign in",
    `<h1>Sign in</h1>
${forWhom}${_error(p.error)}<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<label for="username">E-mail or username</label>
<input type="text" id="username" name="username" value="${
      escapeHtml(p.username ?? "")
    }" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  );
}

/** The second-factor form. */
export interface SecondFactorPage extends PageBase {
  readonly action: string;
  readonly csrf: string;
  /** The ticket from `mfaTicket()`: the password was right, for this browser. */
  readonly ticket: string;
  readonly error?: string;
}

/**
 * The second-factor page: `otp` takes the 6-digit code from the authenticator app or one of the
 * recovery codes.
 */
export function secondFactorPage(p: SecondFactorPage): string {
  return _layout(
    p,
    "Two-factor authentication",
    `<h1>Two-factor authentication</h1>
${_error(p.error)}<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<input type="hidden" name="mfa_ticket" value="${escapeHtml(p.ticket)}">
<label for="otp">Code from your authenticator app</label>
<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="24" spellcheck="false" required autofocus>
<p class="muted">Lost your phone? Enter one of your recovery codes instead.</p>
<div class="actions"><button type="submit">Verify</button></div>
</form>`,
  );
}

/** The forced password change. */
export interface PasswordChangePage extends PageBase {
  readonly action: string;
  readonly csrf: string;
  readonly minLength: number;
  readonly error?: string;
}

/** The forced password change (a fresh administrator's printed password): new password twice. */
export function passwordChangePage(p: PasswordChangePage): string {
  return _layout(
    p,
    "Choose a new password",
    `<h1>Choose a new password</h1>
<p>Your password must be changed before you continue.</p>
${_error(p.error)}<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<label for="new_password">New password</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" minlength="${p.minLength}" required autofocus>
<label for="new_password_confirm">New password again</label>
<input type="password" id="new_password_confirm" name="new_password_confirm" autocomplete="new-password" minlength="${p.minLength}" required>
<div class="actions"><button type="submit">Change password</button></div>
</form>`,
  );
}

/** What people read for the standard scopes (OpenID Connect Core §5.4). */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: "Sign you in with your account",
  profile: "Your name and username",
  email: "Your e-mail address",
  offline_access: "Stay signed in when you are away",
};

/** The consent form. */
export interface ConsentPage extends PageBase {
  readonly action: string;
  readonly csrf: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  /** Who is signed in (shown so a person notices the wrong account). */
  readonly account: string;
}

/** The consent page: the scopes asked for, `consent=allow` and `consent=deny`. */
export function consentPage(p: ConsentPage): string {
  const items = p.scopes.map((s) =>
    `<li>${escapeHtml(SCOPE_DESCRIPTIONS[s] ?? s)}${
      SCOPE_DESCRIPTIONS[s] === undefined ? "" : ` <span class="muted">(${escapeHtml(s)})</span>`
    }</li>`
  ).join("\n");
  return _layout(
    p,
    "Allow access",
    `<h1>Allow ${escapeHtml(p.clientName)}?</h1>
<p>${escapeHtml(p.clientName)} asks to:</p>
<ul class="scopes">
${items}
</ul>
<p class="muted">Signed in as ${escapeHtml(p.account)}.</p>
<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<div class="actions">
<button type="submit" name="consent" value="allow">Allow</button>
<button type="submit" name="consent" value="deny" class="secondary">Deny</button>
</div>
</form>`,
  );
}

/** The TOTP enrolment page. */
export interface TotpEnrolPage extends PageBase {
  readonly action: string;
  readonly csrf: string;
  /** The QR code of the otpauth URI (`qrSvg(encodeQr(uri))`), or undefined when it is too long. */
  readonly qrSvg?: string;
  /** The secret in base32, for typing in by hand. */
  readonly secret: string;
  /** Recovery codes, shown this once. */
  readonly recoveryCodes: readonly string[];
  readonly error?: string;
}

/**
 * The TOTP enrolment page: the QR code (inline SVG, attributes only), the secret in groups of
 * four, the recovery codes shown once, and a form confirming a first code in `otp`.
 */
export function totpEnrolPage(p: TotpEnrolPage): string {
  const grouped = p.secret.match(/.{1,4}/g)?.join(" ") ?? "";
  const qr = p.qrSvg === undefined
    ? `<p class="muted">This code is too long for a QR code; type the key below into your app.</p>`
    : `<div class="qr">${p.qrSvg}</div>`;
  const codes = p.recoveryCodes.map((c) => `<li>${escapeHtml(c)}</li>`).join("\n");
  return _layout(
    p,
    "Set up two-factor authentication",
    `<h1>Set up two-factor authentication</h1>
<p>Scan this code with an authenticator app, or type the key in.</p>
${qr}
<p>Key: <code class="secret">${escapeHtml(grouped)}</code></p>
<p><strong>Recovery codes.</strong> Each works once if you lose your phone. They are shown only now: keep them somewhere safe.</p>
<ol class="codes">
${codes}
</ol>
${_error(p.error)}<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<label for="otp">Code from the app</label>
<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="8" spellcheck="false" required>
<div class="actions"><button type="submit">Turn on</button></div>
</form>`,
  );
}

/** The sign-out confirmation (RP-initiated logout without a valid `id_token_hint`). */
export interface LogoutPage extends PageBase {
  readonly action: string;
  readonly csrf: string;
  readonly clientName?: string;
}

/** Ask before signing out (OpenID Connect RP-Initiated Logout 1.0 §2: confirm when unsure). */
export function logoutPage(p: LogoutPage): string {
  const from = p.clientName === undefined
    ? ""
    : `<p class="muted">Asked by ${escapeHtml(p.clientName)}.</p>\n`;
  return _layout(
    p,
    "Sign out",
    `<h1>Sign out?</h1>
${from}<form method="post" action="${escapeHtml(p.action)}">
${_csrf(p.csrf)}
<div class="actions">
<button type="submit" name="logout" value="yes">Sign out</button>
<button type="submit" name="logout" value="no" class="secondary">Stay signed in</button>
</div>
</form>`,
  );
}

/** A page with a title and one sentence (e.g. "You are still signed in"). */
export function messagePage(p: PageBase & { title: string; message: string }): string {
  return _layout(p, p.title, `<h1>${escapeHtml(p.title)}</h1>\n<p>${escapeHtml(p.message)}</p>`);
}

/** The page after signing out when there is nowhere registered to go back to. */
export function signedOutPage(p: PageBase = {}): string {
  return _layout(p, "Signed out", `<h1>Signed out</h1>\n<p>You have been signed out.</p>`);
}

/**
 * The error page: for what must never redirect (an unknown `client_id`, a `redirect_uri` that
 * is not registered: RFC 6749 §4.1.2.1) and for anything the browser cannot be sent back with.
 * Shows the error code and a sentence; no link back to an unverified URI.
 */
export function errorPage(p: PageBase & { error: string; message: string }): string {
  return _layout(
    p,
    "Sign-in error",
    `<h1>Sign-in error</h1>
<p class="error" role="alert">${escapeHtml(p.message)}</p>
<p class="muted">Error code: <code>${escapeHtml(p.error)}</code></p>`,
  );
}
