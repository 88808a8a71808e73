/**
 * The resource scope grammar of the distribution registry token spec
 * (distribution `docs/spec/auth/scope.md`, "Resource Scope Grammar"):
 *
 * ```
 * resourcescope  := resourcetype ":" resourcename ":" action [ "," action ]*
 * resourcetype   := resourcetypevalue [ "(" resourceclass ")" ]
 * resourcename   := [ hostname "/" ] component [ "/" component ]*
 * ```
 *
 * The resource name may contain one `:` (a registry host with a port), so the type is split at
 * the first `:` and the actions at the last `:`. Anything that does not fit the grammar is
 * refused with `invalid_scope`; a scope is never widened or repaired.
 *
 * @example
 * ```ts
 * parseScope("repository:localhost:5000/foo/bar:pull,push");
 * // { type: "repository", name: "localhost:5000/foo/bar", actions: ["pull", "push"] }
 * ```
 * @module
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";

/** One requested resource scope. */
export interface Scope {
  /** Resource type, e.g. `repository` or `registry`. */
  type: string;
  /** Deprecated resource class, e.g. `plugin` in `repository(plugin)`; ignored when authorizing. */
  class?: string;
  /** Resource name, e.g. `library/alpine` or `localhost:5000/foo`. */
  name: string;
  /** Requested actions, non-empty and without duplicates. */
  actions: string[];
}

/**
 * One entry of a registry token's `access` claim (distribution `docs/spec/auth/jwt.md`).
 * The resource class is deprecated and never put into a token.
 */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** Longest scope string examined at all; anything longer is refused before parsing. */
const MAX_SCOPE_LENGTH = 1024;
/** Longest resource name (the reference grammar's limit). */
const MAX_NAME_LENGTH = 255;
/** How much of a refused value is echoed back in a message. */

const TYPE_RE = /^([a-z0-9]+)(?:\(([a-zA-Z0-9]+)\))?$/;
const ACTION_RE = /^[a-z*]+$/;
// The spec's separator is `[_.]|__|[-]*`; the empty `[-]*` case only joins two alphanumeric runs,
// which `[a-z0-9]+` already covers, so `-+` describes the same language without the exponential
// backtracking of `([a-z0-9]+)*`.
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOSTNAME_RE = new RegExp(`^${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*(?::[0-9]+)?$`);

/** True when `s` holds a C0 or C1 control character or DEL (NUL, CR and LF included). */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function _invalid(s: string, problem: string): KeypebbleError {
  return new KeypebbleError("invalid_scope", `Scope ${quoteForMessage(s)} ${problem}`);
}

/**
 * True when `name` is a resource name per the scope grammar: an optional `host[:port]/` prefix
 * and `/`-separated path components, at most 255 characters.
 */
export function isValidResourceName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  const parts = name.split("/");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (COMPONENT_RE.test(part)) continue;
    // Only the first of several parts may be a hostname (uppercase, `-` edges, `:port`).
    if (i === 0 && parts.length > 1 && HOSTNAME_RE.test(part)) continue;
    return false;
  }
  return true;
}

/**
 * Parses one resource scope, `type[(class)]:name:action[,action…]`.
 *
 * @throws {KeypebbleError} `invalid_scope` when the value does not fit the grammar
 */
export function parseScope(s: string): Scope {
  if (s.length > MAX_SCOPE_LENGTH) throw _invalid(s, "is too long");
  // Control characters, NUL, CR/LF, DEL and anything non-ASCII never appear in a valid scope.
  if (/[^\x21-\x7e]/.test(s)) throw _invalid(s, "contains invalid characters");
  const first = s.indexOf(":");
  const last = s.lastIndexOf(":");
  if (first < 0 || first === last) {
    throw _invalid(s, "is not of the form type:name:actions");
  }
  const typePart = s.slice(0, first);
  const name = s.slice(first + 1, last);
  const actionPart = s.slice(last + 1);

  const typeMatch = TYPE_RE.exec(typePart);
  if (typeMatch === null) throw _invalid(s, "has an invalid resource type");
  if (name.length === 0) throw _invalid(s, "has an empty resource name");
  if (name.includes("..") || !isValidResourceName(name)) {
    throw _invalid(s, "has an invalid resource name");
  }
  if (actionPart.length === 0) throw _invalid(s, "has no actions");
  const actions: string[] = [];
  for (const action of actionPart.split(",")) {
    if (!ACTION_RE.test(action)) throw _invalid(s, "has an invalid action");
    if (!actions.includes(action)) actions.push(action);
  }

  const scope: Scope = { type: typeMatch[1], name, actions };
  if (typeMatch[2] !== undefined) scope.class = typeMatch[2];
  return scope;
}

/**
 * Parses the `scope` values of a token request. Each value may hold several scopes separated by
 * spaces (the POST form and `X-Scopes` use one value; GET repeats `scope`). Empty pieces are
 * ignored. Scopes naming the same type and name are merged (union of actions, first position
 * kept); the deprecated class does not distinguish them.
 *
 * @throws {KeypebbleError} `invalid_scope` for a malformed scope or more than `maxScopes` (32)
 */
export function parseScopes(
  values: readonly string[],
  options: { maxScopes?: number } = {},
): Scope[] {
  const maxScopes = options.maxScopes ?? 32;
  const out: Scope[] = [];
  const byKey = new Map<string, Scope>();
  let count = 0;
  for (const value of values) {
    for (const piece of value.split(" ")) {
      if (piece === "") continue;
      count++;
      if (count > maxScopes) {
        throw new KeypebbleError(
          "invalid_scope",
          `Too many scopes requested: at most "${maxScopes}" are allowed`,
        );
      }
      const scope = parseScope(piece);
      const key = `${scope.type}:${scope.name}`;
      const seen = byKey.get(key);
      if (seen === undefined) {
        byKey.set(key, scope);
        out.push(scope);
      } else {
        for (const a of scope.actions) if (!seen.actions.includes(a)) seen.actions.push(a);
      }
    }
  }
  return out;
}

/** Formats an access entry back into scope syntax, `type:name:a,b`. */
export function formatScope(a: AccessEntry): string {
  return `${a.type}:${a.name}:${a.actions.join(",")}`;
}
