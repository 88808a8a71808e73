/**
 * The access policy: who may do what to which repositories. The file format is the Python
 * Keypebble's (YAML with anchors and `<<` merge keys; top-level keys other than `users` may hold
 * anchors):
 *
 * ```yaml
 * pull_only: &pull_only
 *   actions: ["pull"]
 * users:
 *   alice:
 *     password_hash: "$pbkdf2-sha256$i=600000$…"  # optional (header mode needs none)
 *     repos: ["helm", "shared/*", "${account}/**", "registry:catalog:*"]
 *     <<: *pull_only
 *   "*":                                          # anyone authenticated who has no entry
 *     repos: ["public/*"]
 *     actions: ["pull"]
 * ```
 *
 * Per user: `repos` (patterns, see below), `actions` (`pull`, `push`, `delete`, `*`, or any
 * `[a-z]+`), `password_hash` (see `identity/password.ts`), `rate_limit`
 * (`{requests, window_seconds}`), `subjects` (names this caller may act for), and `namespace`
 * (the Python field: every repository pattern is then relative to it), and `service_accounts`
 * (`namespace/name` globs of the Kubernetes service accounts this caller may mint tokens for;
 * none by default). Any other key is an error, to catch typos. Password hashes are checked when
 * the runtime is built (`identity/`), not here: the policy does not depend on identity.
 *
 * Entries of `repos`:
 *
 * - A repository pattern: a glob over the full repository path (`*` stays within one path
 *   segment, `**` crosses `/`, `?` is one character; see `glob.ts`). `${account}` stands for the
 *   authenticated user's name, taken literally; an account containing `/` never matches one.
 * - A typed entry `type:name[:actions]` (no `/`), for resource types other than `repository`,
 *   e.g. `registry:catalog:*`. It grants the named actions, or the user's `actions` when none
 *   are written. Without such an entry no non-repository scope is ever granted.
 *
 * Evaluation is default deny: the user's own entry, else the `"*"` entry, else nothing.
 * @module
 */

import { parse } from "yaml";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { exceedsExpandedSize } from "../config/yaml_size.ts";
import { compileGlob, type GlobTokens, globTokens, isGlob, matchTokens } from "./glob.ts";
import {
  type AccessEntry,
  formatScope,
  hasControlChars,
  isValidResourceName,
  type Scope,
} from "./scope.ts";

/** What one user (or the `"*"` entry) may do. */
export interface UserRule {
  /** PHC-style PBKDF2 hash; absent for users who only arrive through a trusted proxy. */
  readonly passwordHash?: string;
  /** Repository patterns (namespace already applied) and typed entries, as written. */
  readonly repos: readonly string[];
  /** Actions granted on matching repositories. */
  readonly actions: readonly string[];
  readonly rateLimit?: { requests: number; windowSeconds: number };
  /** Subjects this caller may name when asking for tokens on behalf of others. */
  readonly subjects?: readonly string[];
  /** `namespace/name` globs of the service accounts this caller may mint tokens for. */
  readonly serviceAccounts?: readonly string[];
  /** SPIFFE ID globs this caller may obtain JWT-SVIDs for at POST /spiffe/v1/svid. */
  readonly spiffeIds?: readonly string[];
}

/** A parsed, validated policy. Build with {@link parsePolicy}. */
export interface Policy {
  /** Named users (the `"*"` entry is not among them). */
  readonly users: ReadonlyMap<string, UserRule>;
  /** The `"*"` entry: the rule for authenticated callers without their own entry. */
  readonly anyUser?: UserRule;
  /** Where the policy came from, for messages. */
  readonly source: string;
}

const ACCOUNT = "${account}";
const USER_KEYS = new Set([
  "password_hash",
  "repos",
  "actions",
  "rate_limit",
  "subjects",
  "namespace",
  "service_accounts",
  "spiffe_ids",
]);
const ACTION_RE = /^(?:[a-z]+|\*)$/;
const TYPED_RE = /^([a-z0-9]+):([a-z0-9*?._-]+)(?::([a-z*]+(?:,[a-z*]+)*))?$/;
const MAX_PATTERN_LENGTH = 512;
const MAX_NAME_LENGTH = 128;
const ACCOUNT_CACHE_SIZE = 256;

interface _TypedEntry {
  readonly type: string;
  readonly name: string;
  readonly literal: boolean;
  readonly match: (name: string) => boolean;
  readonly actions?: readonly string[];
}

interface _Compiled {
  /** Non-glob repository names without `${account}`. */
  readonly literals: ReadonlySet<string>;
  /** Glob patterns without `${account}`, compiled (linear-time matching, see glob.ts). */
  readonly globs: readonly GlobTokens[];
  /** Patterns containing `${account}`, split around it. */
  readonly accountPatterns: readonly (readonly string[])[];
  /** Per-account compiled `accountPatterns`, bounded. */
  readonly accountCache: Map<string, readonly GlobTokens[]>;
  /** Compiled `service_accounts` globs. */
  readonly serviceAccounts: readonly ((name: string) => boolean)[];
  readonly spiffeIds: readonly ((name: string) => boolean)[];
  readonly typed: readonly _TypedEntry[];
  /** Typed entries by the text they were written as. */
  readonly typedBySource: ReadonlyMap<string, _TypedEntry>;
  readonly actions: ReadonlySet<string>;
}

const _compiledRules = new WeakMap<UserRule, _Compiled>();

// ---------------------------------------------------------------------------------------------
// Parsing

function _fail(source: string, path: string, problem: string): KeypebbleError {
  return new KeypebbleError("policy_invalid", `${source}: ${path}: ${problem}`);
}

function _typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Map) return "a mapping";
  return `a ${typeof v}`;
}

function _stringList(v: unknown, source: string, path: string): string[] {
  if (!Array.isArray(v)) throw _fail(source, path, `must be a list, not ${_typeName(v)}`);
  return v.map((item, i) => {
    if (typeof item !== "string") {
      throw _fail(source, `${path}[${i}]`, `must be a string, not ${_typeName(item)}`);
    }
    return item;
  });
}

function _positiveInt(v: unknown, max: number, source: string, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw _fail(source, path, `must be an integer between "1" and "${max}"`);
  }
  return v;
}

/** Checks a repository pattern by replacing its operators with a name character. */
function _isValidPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) return false;
  const probe = pattern.replaceAll(ACCOUNT, "a").replace(/[*?]+/g, "a");
  return !probe.includes("..") && isValidResourceName(probe);
}

function _parseUser(
  name: string,
  raw: unknown,
  source: string,
): UserRule {
  const at = `users.${name}`;
  if (!(raw instanceof Map)) throw _fail(source, at, `must be a mapping, not ${_typeName(raw)}`);
  for (const key of raw.keys()) {
    if (typeof key !== "string" || !USER_KEYS.has(key)) {
      throw _fail(source, at, `unknown key ${quoteForMessage(String(key))}`);
    }
  }

  let namespace: string | undefined;
  if (raw.has("namespace")) {
    const ns = raw.get("namespace");
    if (typeof ns !== "string" || !isValidResourceName(ns) || isGlob(ns)) {
      throw _fail(source, `${at}.namespace`, "must be a repository path");
    }
    namespace = ns;
  }

  const repos: string[] = [];
  if (raw.has("repos")) {
    const list = _stringList(raw.get("repos"), source, `${at}.repos`);
    list.forEach((entry, i) => {
      const path = `${at}.repos[${i}]`;
      if (_isTypedEntry(entry)) {
        const m = TYPED_RE.exec(entry);
        if (m === null || m[1] === "repository") {
          throw _fail(
            source,
            path,
            `${quoteForMessage(entry)} is not a valid "type:name[:actions]" entry`,
          );
        }
        repos.push(entry);
        return;
      }
      const full = namespace === undefined ? entry : `${namespace}/${entry}`;
      if (!_isValidPattern(full)) {
        throw _fail(
          source,
          path,
          `${quoteForMessage(entry)} is not a valid repository name or pattern`,
        );
      }
      repos.push(full);
    });
  }

  const actions: string[] = [];
  if (raw.has("actions")) {
    const list = _stringList(raw.get("actions"), source, `${at}.actions`);
    list.forEach((a, i) => {
      if (!ACTION_RE.test(a)) {
        throw _fail(source, `${at}.actions[${i}]`, `${quoteForMessage(a)} is not a valid action`);
      }
      if (!actions.includes(a)) actions.push(a);
    });
  }

  const rule: {
    passwordHash?: string;
    repos: readonly string[];
    actions: readonly string[];
    rateLimit?: { requests: number; windowSeconds: number };
    subjects?: readonly string[];
    serviceAccounts?: readonly string[];
    spiffeIds?: readonly string[];
  } = { repos, actions };

  if (raw.has("password_hash")) {
    const h = raw.get("password_hash");
    if (typeof h !== "string") {
      throw _fail(source, `${at}.password_hash`, `must be a string, not ${_typeName(h)}`);
    }
    if (name === "*") {
      throw _fail(source, `${at}.password_hash`, 'is not allowed on the "*" entry');
    }
    rule.passwordHash = h;
  }

  if (raw.has("rate_limit")) {
    const rl = raw.get("rate_limit");
    const path = `${at}.rate_limit`;
    if (!(rl instanceof Map)) throw _fail(source, path, `must be a mapping, not ${_typeName(rl)}`);
    for (const key of rl.keys()) {
      if (key !== "requests" && key !== "window_seconds") {
        throw _fail(source, path, `unknown key ${quoteForMessage(String(key))}`);
      }
    }
    rule.rateLimit = {
      requests: _positiveInt(rl.get("requests"), 1_000_000_000, source, `${path}.requests`),
      windowSeconds: _positiveInt(
        rl.get("window_seconds"),
        31_536_000,
        source,
        `${path}.window_seconds`,
      ),
    };
  }

  if (raw.has("subjects")) {
    const list = _stringList(raw.get("subjects"), source, `${at}.subjects`);
    list.forEach((s, i) => {
      if (s.length === 0 || s.length > MAX_NAME_LENGTH || hasControlChars(s)) {
        throw _fail(source, `${at}.subjects[${i}]`, `${quoteForMessage(s)} is not a valid subject`);
      }
    });
    rule.subjects = list;
  }

  if (raw.has("service_accounts")) {
    const list = _stringList(raw.get("service_accounts"), source, `${at}.service_accounts`);
    list.forEach((s, i) => {
      if (!/^[a-z0-9*?.-]+\/[a-z0-9*?.-]+$/.test(s) || s.length > 320) {
        throw _fail(
          source,
          `${at}.service_accounts[${i}]`,
          `${quoteForMessage(s)} is not "namespace/name" (globs allowed)`,
        );
      }
    });
    rule.serviceAccounts = list;
  }

  if (raw.has("spiffe_ids")) {
    const list = _stringList(raw.get("spiffe_ids"), source, `${at}.spiffe_ids`);
    list.forEach((s, i) => {
      if (!/^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._*?-]+)*$/.test(s) || s.length > 2048) {
        throw _fail(
          source,
          `${at}.spiffe_ids[${i}]`,
          `${quoteForMessage(s)} is not a SPIFFE ID pattern`,
        );
      }
    });
    rule.spiffeIds = list;
  }

  if (repos.length > 0 && actions.length === 0) {
    // Every pattern would grant nothing: almost certainly a mistake (a missing `<<: *anchor`).
    throw _fail(source, `${at}.actions`, "is required when repos are given");
  }

  _compiledRules.set(rule, _compile(rule));
  return rule;
}

/**
 * Parses and validates a policy file. Glob patterns are compiled here, once.
 *
 * @param text the YAML text
 * @param source the file path, used in messages
 * @throws {KeypebbleError} `policy_invalid` naming the file, the field path and the problem,
 *   e.g. `policy.yaml: users.alice.repos[2]: must be a string, not a number`
 */
export function parsePolicy(text: string, source: string): Policy {
  let doc: unknown;
  try {
    doc = parse(text, { merge: true, maxAliasCount: 100, mapAsMap: true, logLevel: "error" });
  } catch (e) {
    // Keep only the first line: the rest quotes the file, which may hold password hashes.
    const first = ((e as Error).message ?? "").split("\n")[0].replace(/:$/, "");
    throw new KeypebbleError("policy_invalid", `${source}: invalid YAML: ${first}`, { cause: e });
  }
  if (exceedsExpandedSize(doc)) {
    throw new KeypebbleError(
      "policy_invalid",
      `${source}: expands (through YAML aliases) beyond the size limit`,
    );
  }
  if (!(doc instanceof Map)) {
    throw new KeypebbleError("policy_invalid", `${source}: must be a mapping with "users"`);
  }
  if (!doc.has("users")) throw _fail(source, "users", "is required");
  const rawUsers = doc.get("users");
  if (!(rawUsers instanceof Map)) {
    throw _fail(source, "users", `must be a mapping, not ${_typeName(rawUsers)}`);
  }
  const users = new Map<string, UserRule>();
  let anyUser: UserRule | undefined;
  for (const [name, raw] of rawUsers) {
    if (typeof name !== "string") {
      throw _fail(source, "users", `user name ${quoteForMessage(String(name))} must be a string`);
    }
    if (
      name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes(":") ||
      hasControlChars(name)
    ) {
      throw _fail(source, "users", `user name ${quoteForMessage(name)} is not valid`);
    }
    const rule = _parseUser(name, raw, source);
    if (name === "*") anyUser = rule;
    else users.set(name, rule);
  }
  return anyUser === undefined ? { users, source } : { users, anyUser, source };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function _compile(rule: UserRule): _Compiled {
  const literals = new Set<string>();
  const globs: GlobTokens[] = [];
  const accountPatterns: string[][] = [];
  const typed: _TypedEntry[] = [];
  const typedBySource = new Map<string, _TypedEntry>();
  for (const entry of rule.repos) {
    const m = _isTypedEntry(entry) ? TYPED_RE.exec(entry) : null;
    if (m !== null) {
      const t: _TypedEntry = {
        type: m[1],
        name: m[2],
        literal: !isGlob(m[2]),
        match: compileGlob(m[2]),
        ...(m[3] === undefined ? {} : { actions: [...new Set(m[3].split(","))] }),
      };
      typed.push(t);
      typedBySource.set(entry, t);
    } else if (entry.includes(ACCOUNT)) {
      accountPatterns.push(entry.split(ACCOUNT));
    } else if (isGlob(entry)) {
      globs.push(globTokens(entry));
    } else {
      literals.add(entry);
    }
  }
  return {
    literals,
    globs,
    accountPatterns,
    accountCache: new Map(),
    serviceAccounts: (rule.serviceAccounts ?? []).map(compileGlob),
    spiffeIds: (rule.spiffeIds ?? []).map(compileGlob),
    typed,
    typedBySource,
    actions: new Set(rule.actions),
  };
}

function _compiledFor(rule: UserRule): _Compiled {
  let c = _compiledRules.get(rule);
  if (c === undefined) {
    c = _compile(rule);
    _compiledRules.set(rule, c);
  }
  return c;
}

/** The compiled `${account}` patterns of a rule for one account, or null when none apply. */
function _accountMatchers(c: _Compiled, account: string): readonly GlobTokens[] | null {
  // An account is substituted literally; one containing `/` could reach into other paths.
  if (c.accountPatterns.length === 0 || account.length === 0 || account.includes("/")) {
    return null;
  }
  let list = c.accountCache.get(account);
  if (list === undefined) {
    list = c.accountPatterns.map((parts) => _withLiteral(parts, account));
    if (c.accountCache.size >= ACCOUNT_CACHE_SIZE) {
      c.accountCache.delete(c.accountCache.keys().next().value as string);
    }
    c.accountCache.set(account, list);
  }
  return list;
}

/** Tokens for `parts` joined by a literal (its `*` and `?` match only themselves). */
function _withLiteral(parts: readonly string[], literal: string): GlobTokens {
  const out: number[] = [];
  parts.forEach((part, i) => {
    if (i > 0) { for (let k = 0; k < literal.length; k++) out.push(literal.charCodeAt(k)); }
    out.push(...globTokens(part));
  });
  return Int32Array.from(out);
}

function _repoMatches(c: _Compiled, user: string, name: string): boolean {
  if (c.literals.has(name)) return true;
  for (const g of c.globs) if (matchTokens(g, name)) return true;
  const list = _accountMatchers(c, user);
  return list !== null && list.some((g) => matchTokens(g, name));
}

/**
 * Whether `user` may mint a Kubernetes token for service account `namespace/name`: their rule's
 * `service_accounts` (else the `"*"` entry's) must match. Default deny.
 */
export function serviceAccountAllowed(
  policy: Policy,
  user: string,
  namespace: string,
  name: string,
): boolean {
  const rule = userRule(policy, user);
  if (rule === undefined) return false;
  const full = `${namespace}/${name}`;
  return _compiledFor(rule).serviceAccounts.some((m) => m(full));
}

/**
 * Whether `user` may obtain a JWT-SVID for SPIFFE ID `id`: their rule's `spiffe_ids` (else the
 * `"*"` entry's) must match (`*` stays within one path segment, `**` crosses them). Default deny.
 */
export function spiffeIdAllowed(policy: Policy, user: string | undefined, id: string): boolean {
  // An anonymous caller (where `anonymous:` opened SVIDs) has the `"*"` entry only.
  const rule = user === undefined ? policy.anyUser : userRule(policy, user);
  if (rule === undefined) return false;
  return _compiledFor(rule).spiffeIds.some((m) => m(id));
}

/** Requested ∩ allowed: `*` allowed grants everything; `*` requested needs `*` allowed. */
function _grant(requested: readonly string[], allowed: ReadonlySet<string>): string[] {
  if (allowed.has("*")) return [...requested];
  return requested.filter((a) => a !== "*" && allowed.has(a));
}

/** The rule that applies to `user`: their own entry, else the `"*"` entry, else undefined. */
export function userRule(policy: Policy, user: string): UserRule | undefined {
  return policy.users.get(user) ?? policy.anyUser;
}

/**
 * Decides which of the requested scopes `user` gets. Default deny. For `repository` scopes the
 * name must match one of the user's repository patterns and the actions are intersected with the
 * user's actions. Other types need a typed entry (`registry:catalog[:actions]`). The resource
 * class is ignored (it is deprecated, and `repository(plugin)` equals `repository`).
 *
 * A partial or empty grant is not an error (distribution `docs/spec/auth/token.md`): scopes with
 * no granted action are left out. Entries come back in request order, merged by type and name.
 */
export function evaluateAccess(
  policy: Policy,
  user: string,
  requested: readonly Scope[],
): AccessEntry[] {
  const rule = userRule(policy, user);
  if (rule === undefined) return [];
  const c = _compiledFor(rule);
  const out: AccessEntry[] = [];
  const byKey = new Map<string, AccessEntry>();
  for (const scope of requested) {
    let granted: string[];
    if (scope.type === "repository") {
      granted = _repoMatches(c, user, scope.name) ? _grant(scope.actions, c.actions) : [];
    } else {
      const allowed = new Set<string>();
      for (const t of c.typed) {
        if (t.type === scope.type && t.match(scope.name)) {
          for (const a of t.actions ?? rule.actions) allowed.add(a);
        }
      }
      granted = _grant(scope.actions, allowed);
    }
    if (granted.length === 0) continue;
    const key = `${scope.type}:${scope.name}`;
    const seen = byKey.get(key);
    if (seen === undefined) {
      const entry = { type: scope.type, name: scope.name, actions: granted };
      byKey.set(key, entry);
      out.push(entry);
    } else {
      for (const a of granted) if (!seen.actions.includes(a)) seen.actions.push(a);
    }
  }
  return out;
}

/**
 * "Generate mode" of the Python Keypebble: everything `user` may do on literally named
 * resources, as an access list and the matching space-separated scope string. Glob patterns are
 * skipped (a registry matches access entries literally); `${account}` is substituted.
 *
 * @throws {KeypebbleError} `forbidden` when the policy has no rule for `user`
 */
export function generateAccess(
  policy: Policy,
  user: string,
): { access: AccessEntry[]; scope: string } {
  const rule = userRule(policy, user);
  if (rule === undefined) {
    throw new KeypebbleError(
      "forbidden",
      `User ${quoteForMessage(user)} has no access in the policy`,
    );
  }
  const c = _compiledFor(rule);
  const access: AccessEntry[] = [];
  const seen = new Set<string>();
  const add = (type: string, name: string, actions: readonly string[]): void => {
    const key = `${type}:${name}`;
    if (actions.length === 0 || seen.has(key)) return;
    seen.add(key);
    access.push({ type, name, actions: [...actions] });
  };
  for (const entry of rule.repos) {
    const t = c.typedBySource.get(entry);
    if (t !== undefined) {
      if (t.literal) add(t.type, t.name, t.actions ?? rule.actions);
      continue;
    }
    let name = entry;
    if (entry.includes(ACCOUNT)) {
      if (user.length === 0 || user.includes("/")) continue;
      name = entry.replaceAll(ACCOUNT, user);
    }
    if (isGlob(entry) || !isValidResourceName(name)) continue;
    add("repository", name, rule.actions);
  }
  return { access, scope: access.map(formatScope).join(" ") };
}

/** A `repos` entry with a `:` but no `/` names a non-repository resource (`registry:catalog`). */
function _isTypedEntry(entry: string): boolean {
  return entry.includes(":") && !entry.includes("/");
}
