/**
 * The claim names that discovery (`claims_supported`) and introspection (the members shown for an
 * active token) both list, in the order they list them.
 */

/** Claims of every token we issue. */
export const TOKEN_CLAIMS = [
  "iss",
  "sub",
  "aud",
  "exp",
  "iat",
  "nbf",
  "jti",
  "scope",
  "client_id",
] as const;

/** Claims that account tokens add. */
export const ACCOUNT_CLAIMS = ["email", "role", "org_id", "groups"] as const;
