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
export { type Cidr, cidrContains, parseCidr } from "./cidr.ts";
export { CredentialCache } from "./credential_cache.ts";
export {
  basicChallenge,
  type Caller,
  decodeHeaderUtf8,
  identifyCaller,
  type IdentifyContext,
  parseBasicAuth,
  verifyCredentials,
} from "./caller.ts";
