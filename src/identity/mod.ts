/**
 * Caller identity: password hashes, trusted-proxy CIDRs, the credential cache, and the function
 * that turns a request into a {@link Caller}.
 * @module
 */

export { timingSafeEqual } from "../jose/constant_time.ts";
export {
  DEFAULT_ITERATIONS,
  derivationStats,
  DUMMY_HASH,
  dummyHashFor,
  hashPassword,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  type ParsedHash,
  parsePasswordHash,
  verifyPassword,
} from "./password.ts";
export { type Cidr, cidrContains, cidrContainsCached, parseCidr } from "./cidr.ts";
export { CredentialCache } from "./credential_cache.ts";
export { type ClientAddress, clientAddress } from "./address.ts";
export {
  type AccountCaller,
  basicChallenge,
  type Caller,
  type ClientCaller,
  decodeHeaderUtf8,
  identifyCaller,
  type IdentifyContext,
  type KeyAdmission,
  type KeyCaller,
  parseBasicAuth,
  type SpiffeCaller,
  type UserCaller,
  verifyCredentials,
} from "./caller.ts";
