/**
 * Where a policy written for the Python Keypebble means something different here, said out loud
 * so a migrated policy never silently grants less (or more).
 *
 * The Python service matched `repos` with `fnmatch`: `*` and `?` also cross `/`, and `[...]` is
 * a character class. Here `*` and `?` stay within one path segment (`**` crosses `/`) and `[` is
 * a literal character. Each pattern that would match differently is named, with what to write to
 * keep the Python meaning.
 */

import type { Policy } from "../policy/mod.ts";

/** A pattern whose meaning changed, as a warning. */
export interface PatternWarning {
  readonly field: string;
  readonly message: string;
}

/** Every `repos` pattern in `policy` that Python's fnmatch would match differently. */
export function pythonPatternWarnings(policy: Policy): PatternWarning[] {
  const out: PatternWarning[] = [];
  const rules = [...policy.users].map(([name, rule]) => [name, rule] as const);
  if (policy.anyUser !== undefined) rules.push(["*", policy.anyUser]);
  for (const [name, rule] of rules) {
    rule.repos.forEach((pattern, i) => {
      // Typed entries (`registry:catalog:*`) were not patterns in Python either.
      if (pattern.includes(":") && !pattern.includes("/")) return;
      const single = /(^|[^*])\*([^*]|$)/.test(pattern);
      const problems: string[] = [];
      if (single) {
        problems.push(
          `"*" stays within one path segment here, but in the Python Keypebble it also matched "/" (write "${
            pattern.replace(/(^|[^*])\*(?=[^*]|$)/g, "$1**")
          }" for that meaning)`,
        );
      }
      if (pattern.includes("?")) problems.push('"?" no longer matches "/"');
      if (pattern.includes("[")) problems.push('"[...]" is a literal here, not a character class');
      if (problems.length === 0) return;
      out.push({
        field: `${policy.source}: users.${name}.repos[${i}]`,
        message: `pattern "${pattern}": ${problems.join("; ")}`,
      });
    });
  }
  return out;
}
