/**
 * Glob patterns over full repository paths, used by the policy's `repos` lists.
 *
 * Semantics (deliberately stricter than Python's `fnmatch`, where `*` also crosses `/`):
 *
 * - `*` matches any run of characters, possibly empty, except `/`
 * - `**` matches any run of characters, possibly empty, including `/`
 * - `?` matches exactly one character except `/`
 * - every other character matches itself; there are no character classes, braces or escapes
 *
 * The whole name must match. So `shared/*` matches `shared/app` but not `shared/a/b`, while
 * `shared/**` matches both (and `shared/` itself, which is not a valid repository name anyway).
 *
 * Patterns are compiled to an anchored RegExp in which every literal character is escaped, so a
 * pattern can never inject regular-expression syntax.
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

/** Escapes `s` so that it matches only itself inside a RegExp source. */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/**
 * The unanchored RegExp source for a glob pattern (see the module docs for the semantics).
 * Exposed so that callers can splice escaped literals (e.g. an account name) between pieces.
 */
export function globSource(pattern: string): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        out += ".*";
        i += 2;
        // A third `*` in a row adds nothing: `.*` already covers it.
        while (pattern[i] === "*") i++;
        continue;
      }
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else {
      out += escapeRegExp(c);
    }
    i++;
  }
  return out;
}

/**
 * Compiles a glob pattern into a predicate over full repository paths.
 *
 * @param pattern a glob, e.g. `shared/*` or `team/**`
 * @returns a function telling whether a name matches the whole pattern
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  if (!isGlob(pattern)) return (name: string): boolean => name === pattern;
  const re = new RegExp(`^${globSource(pattern)}$`, "s");
  return (name: string): boolean => re.test(name);
}
