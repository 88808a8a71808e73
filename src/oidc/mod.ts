/**
 * Sign in with Keypebble (issue 24): the OpenID Connect provider's building blocks, with no HTTP
 * in them. The routes (`GET /authorize`, `GET|POST /userinfo`, `GET /end_session`, the
 * `authorization_code` grant of `POST /oauth2/token`, the stylesheet, discovery) call these.
 *
 * - TOTP (RFC 6238), recovery codes, sealed secrets: `totp.ts`, `recovery_codes.ts`, `keys.ts`,
 *   `second_factor.ts`; the QR code of the otpauth URI: `qr.ts`.
 * - PKCE S256 (RFC 7636): `pkce.ts`.
 * - The authorization request (Core §3.1.2.1, OAuth 2.1, RFC 8252, RFC 9207): `authorize.ts`,
 *   `redirect_uri.ts`, `clients.ts`; what comes next for a browser: `interaction.ts`.
 * - Sessions and cookies: `sessions.ts`, `cookies.ts`; CSRF and second-factor tickets: `csrf.ts`.
 * - Codes and their redemption: `codes.ts`; ID token claims and `at_hash`: `id_token.ts`;
 *   UserInfo: `userinfo.ts`; RP-initiated logout: `logout.ts`; discovery: `discovery.ts`.
 * - Pages, stylesheet and CSP: `pages.ts`, `login_css.ts`, `csp.ts`.
 *
 * @module
 */

export {
  type AuthorizationRequest,
  type AuthorizeErrorCode,
  type AuthorizeOutcome,
  codeRedirect,
  errorRedirect,
  type Prompt,
  redirectWith,
  validateAuthorizationRequest,
  type ValidateOptions,
} from "./authorize.ts";
export { base32Decode, base32Encode } from "./base32.ts";
export {
  CLIENT_ID,
  clientFromConfig,
  clientFromRecord,
  type ClientLookup,
  clientLookup,
  clientViewOfConfig,
  IDENTITY_SCOPES,
  isScopeToken,
  type OidcClient,
  scopeAllowed,
  storedClientIdProblem,
  storedClientScopes,
} from "./clients.ts";
export {
  authorizationCodeHash,
  CODE_RETENTION_SECONDS,
  CODE_TTL_SECONDS,
  issueAuthorizationCode,
  nonceWindowStart,
  purgeSignin,
  redeemAuthorizationCode,
  type Redemption,
} from "./codes.ts";
export {
  clearCookie,
  type CookieKind,
  cookieName,
  newCookieValue,
  readCookie,
  setCookie,
} from "./cookies.ts";
export { contentSecurityPolicy, cspSourceOf, pageHeaders } from "./csp.ts";
export {
  checkCsrf,
  checkOrigin,
  CSRF_FIELD,
  type CsrfPurpose,
  csrfToken,
  type MfaTicket,
  mfaTicket,
  readMfaTicket,
} from "./csrf.ts";
export { OIDC_PATHS, oidcDiscoveryMembers } from "./discovery.ts";
export {
  atHash,
  ID_TOKEN_TYP,
  type IdTokenClaims,
  idTokenClaims,
  wantsIdToken,
} from "./id_token.ts";
export { decideInteraction, type Interaction, type InteractionFacts } from "./interaction.ts";
export { deriveOidcKeys, type OidcKeys, openTotpSecret, sealTotpSecret } from "./keys.ts";
export { LOGIN_CSS, LOGIN_CSS_PATH } from "./login_css.ts";
export {
  type LogoutOutcome,
  postLogoutLocation,
  validateLogoutRequest,
  type VerifiedHint,
} from "./logout.ts";
export {
  consentPage,
  errorPage,
  loginPage,
  logoutPage,
  messagePage,
  passwordChangePage,
  secondFactorPage,
  signedOutPage,
  totpEnrolPage,
} from "./pages.ts";
export { checkPkceRequest, PKCE_METHOD, s256Challenge, verifyPkce } from "./pkce.ts";
export { encodeQr, type QrCode, qrSvg } from "./qr.ts";
export {
  generateRecoveryCodes,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
  recoveryCodeHash,
} from "./recovery_codes.ts";
export { findRedirectUri, redirectUriMatches } from "./redirect_uri.ts";
export {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  resetTotp,
  resumeTotpEnrolment,
  type SecondFactorCheck,
  type SecondFactorState,
  secondFactorState,
  type TotpEnrolment,
  verifySecondFactor,
} from "./second_factor.ts";
export {
  currentSession,
  DEFAULT_SESSION_TTL_SECONDS,
  endAccountSessions,
  endSession,
  type SessionStatus,
  sessionStatus,
  sessionTokenHash,
  startSession,
} from "./sessions.ts";
export { hotp, otpauthUri, totp, TOTP_DIGITS, TOTP_PERIOD, verifyTotp } from "./totp.ts";
export { USERINFO_CLAIMS, userinfoAllowed, userinfoClaims } from "./userinfo.ts";
