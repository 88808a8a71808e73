/**
 * Glob patterns over full repository paths, used by the policy's `repos` and `service_accounts`
 * lists.
 *
 * Semantics (deliberately stricter than Python's `fnmatch`, where `*` also crosses `/`):
 *
 * - `*` matches any run of characters, possibly empty, except `/`
 * - `**` matches any run of characters, possibly empty, including `/`
 * - `?` matches exactly one character except `/`
 * - every other character matches itself; there are no character classes, braces or escapes
 *
 * The whole name must match. So `shared/*` matches `shared/app` but not `shared/a/b`, while
 * `shared/**` matches both.
 *
 * Matching is a simulation of the pattern's automaton over the set of live positions (no
 * backtracking, no RegExp): at most (pattern tokens + 1) steps per character of the name, so the
 * time is linear in the name's length for any pattern. A backtracking matcher takes time
 * polynomial in the name with one factor per star (`a/**\/**\/**\/**\/x` against a long name).
 *
 * @example
 * ```ts
 * const m = compileGlob("shared/*");
 * m("shared/app"); // true
 * m("shared/a/b"); // false
 * ```
 * @module
 */

/** Characters with a meaning in a glob pattern. */
const GLOB_CHARS = /[*?]/;

/** True when `pattern` contains a glob operator (`*`, `**` or `?`). */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

const ONE = -1; // `?`
const STAR = -2; // `*`
const GLOBSTAR = -3; // `**`
const SLASH = 47;

/** A compiled pattern: char codes for literals, or one of the operator codes above. */
export type GlobTokens = Int32Array;

/** Compile a pattern into tokens; runs of stars collapse (`***` is `**`). */
export function globTokens(pattern: string): GlobTokens {
  const out: number[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charCodeAt(i);
    if (c === 42) {
      let n = 0;
      while (pattern.charCodeAt(i) === 42) {
        n++;
        i++;
      }
      const t = n >= 2 ? GLOBSTAR : STAR;
      const prev = out[out.length - 1];
      // `*` next to `**` adds nothing; `**` next to `*` absorbs it.
      if (prev === GLOBSTAR) continue;
      if (prev === STAR) out[out.length - 1] = t;
      else out.push(t);
      continue;
    }
    out.push(c === 63 ? ONE : c);
    i++;
  }
  return Int32Array.from(out);
}

/** Counts the work of {@link matchTokens} (tests prove the bound with it). */
export interface GlobStats {
  steps: number;
}

/**
 * Whether `name` matches the whole pattern. Linear in `name.length`: each character advances
 * every live position at most once.
 */
export function matchTokens(tokens: GlobTokens, name: string, stats?: GlobStats): boolean {
  const n = tokens.length;
  let live = new Uint8Array(n + 1);
  let next = new Uint8Array(n + 1);
  live[0] = 1;
  _close(tokens, live);
  let steps = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    next.fill(0);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (live[i] === 0) continue;
      steps++;
      const t = tokens[i];
      if (t === GLOBSTAR || (t === STAR && c !== SLASH)) {
        next[i] = 1;
        any = true;
      } else if (t === c || (t === ONE && c !== SLASH)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) {
      if (stats !== undefined) stats.steps += steps;
      return false;
    }
    _close(tokens, next);
    [live, next] = [next, live];
  }
  if (stats !== undefined) stats.steps += steps;
  return live[n] === 1;
}

/** Epsilon closure: a star may match nothing, so its position also stands for the next one. */
function _close(tokens: GlobTokens, set: Uint8Array): void {
  for (let i = 0; i < tokens.length; i++) {
    if (set[i] === 1 && (tokens[i] === STAR || tokens[i] === GLOBSTAR)) set[i + 1] = 1;
  }
}

/**
 * Compiles a glob pattern into a predicate over full repository paths.
 *
 * @param pattern a glob, e.g. `shared/*` or `team/**`
 * @returns a function telling whether a name matches the whole pattern
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (!isGlob(pattern)) return (name: string): boolean => name === pattern;
  const tokens = globTokens(pattern);
  return (name: string): boolean => matchTokens(tokens, name);
}
