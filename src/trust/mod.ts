/**
 * Who is calling, and what they may do: the one authentication step run from each route's
 * declaration, the caller's capabilities within its reach, the client address's limits and
 * lockouts, the verification of tokens presented to us, and the one revocation list.
 *
 * @module
 */
export {
  accountCaller,
  admitAccount,
  loginAccount,
  requireAccounts,
  reverifyPassword,
} from "./accounts.ts";
export type { LoginName } from "./accounts.ts";
export {
  admit,
  admitted,
  anonymousAllowed,
  authenticate,
  authorize,
  kindEnabled,
  loopbackListener,
  settle,
} from "./authenticate.ts";
export {
  ADMIN_SCOPE,
  type Capability,
  checkGrant,
  type Grant,
  holds,
  INTROSPECT_SCOPE,
  LIMITS_SCOPE,
  orgLimitOf,
  reachOf,
  requireCapability,
  requireReach,
  ROLE_CAPABILITIES,
  roleCovers,
} from "./capabilities.ts";
export { clientCaller, presentedClient } from "./clients.ts";
export type { PresentedClient } from "./clients.ts";
export { challengeHeaders, limitAddress, limitPrincipal } from "./guard.ts";
export {
  API_KEY_GUESSES,
  clearFailures,
  countQuota,
  flushLimits,
  gatherLimits,
  knownLocked,
  limitRate,
  type LimitScope,
  type LockBucket,
  lockBucket,
  rateLimited,
  recordFailure,
  refuseLocked,
  settleLimits,
  SIGNIN,
} from "./limits.ts";
export { IssuerKeyCache } from "./issuer_keys.ts";
export { admissionHeaders, keyCaller, requireKeys } from "./keys.ts";
export {
  factsOf,
  isOurIssuer,
  lineageOf,
  MAX_LINEAGE,
  type OwnToken,
  rootOf,
  type TokenRoot,
  type TrustedToken,
  verifyOwnToken,
  verifyTrustedToken,
} from "./presented_tokens.ts";
export { RevocationList, type TokenFacts } from "./revocation.ts";
export { issuedBy, noteAudit, noteIssued, noteOpaqueIssued, settleAudit } from "./audit.ts";
export {
  checkRouteLimit,
  limitedAddress,
  namedRouteLimit,
  recordRouteFailure,
} from "./route_limits.ts";
export type { AppRoute, Ctx, KeypebbleServices } from "./services.ts";
export { admitPolicyUser, checkPolicyPassword } from "./users.ts";
export {
  checkSecondFactor,
  clientsOf,
  loginWithSecondFactor,
  requireSignin,
  secondFactorDeps,
  secondFactorOf,
  type Signin,
  signinOn,
  totpIssuerOf,
} from "./signin.ts";
