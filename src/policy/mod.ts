/**
 * Registry access policy: the scope grammar, repository globs, and the users file.
 * @module
 */

export { compileGlob, isGlob } from "./glob.ts";
export {
  type AccessEntry,
  formatScope,
  hasControlChars,
  isValidResourceName,
  parseScope,
  parseScopes,
  type Scope,
} from "./scope.ts";
export {
  evaluateAccess,
  generateAccess,
  parsePolicy,
  type Policy,
  serviceAccountAllowed,
  spiffeIdAllowed,
  type UserRule,
  userRule,
} from "./policy.ts";
