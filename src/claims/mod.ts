/**
 * Claims: the server's registered claims, request claims filtered by the allowlist, and the
 * ClaimBuilder mapping.
 *
 * @module
 */
export { clampTtl, randomJti, registeredClaims, SERVER_ONLY_CLAIMS } from "./registered.ts";
export type { RegisteredClaimsInput } from "./registered.ts";
export { buildClaims, mappingProblem, resolveSource } from "./claim_builder.ts";
export type { ClaimContext, ClaimMapping, ClaimSource } from "./claim_builder.ts";
export { filterCustomClaims } from "./custom.ts";
export type { FilteredClaims } from "./custom.ts";
export { checkClaimValues, checkStringOrUri, hasUnsafeChars } from "./validate.ts";
