import assert from "node:assert/strict";
import { compileGlob, globTokens, isGlob, matchTokens } from "./glob.ts";

Deno.test("compileGlob() single star does not cross slashes", () => {
  const m = compileGlob("shared/*");
  assert.equal(m("shared/app"), true);
  assert.equal(m("shared/"), true);
  assert.equal(m("shared/a/b"), false);
  assert.equal(m("other/app"), false);
  assert.equal(m("shared"), false);
});

Deno.test("compileGlob() double star crosses slashes", () => {
  const m = compileGlob("shared/**");
  assert.equal(m("shared/app"), true);
  assert.equal(m("shared/a/b"), true);
  assert.equal(m("sharedx/a"), false);
  assert.equal(compileGlob("**")("a/b/c"), true);
  assert.equal(compileGlob("a/**/z")("a/b/c/z"), true);
  assert.equal(compileGlob("a/***")("a/b/c"), true);
});

Deno.test("compileGlob() question mark matches one non-slash character", () => {
  const m = compileGlob("app-?");
  assert.equal(m("app-1"), true);
  assert.equal(m("app-12"), false);
  assert.equal(m("app-"), false);
  assert.equal(compileGlob("a?b")("a/b"), false);
});

Deno.test("compileGlob() treats regex syntax literally", () => {
  assert.equal(compileGlob("a.b")("axb"), false);
  assert.equal(compileGlob("a.b")("a.b"), true);
  assert.equal(compileGlob("a+(b)|c*")("a+(b)|cde"), true);
  assert.equal(compileGlob("a+(b)|c*")("aab"), false);
  assert.equal(compileGlob("[ab]*")("a"), false);
  assert.equal(compileGlob("^$\\*")("^$\\x"), true);
});

Deno.test("compileGlob() is anchored and exact for literals", () => {
  assert.equal(compileGlob("helm")("helm"), true);
  assert.equal(compileGlob("helm")("helm2"), false);
  assert.equal(compileGlob("*-api")("app-api"), true);
  assert.equal(compileGlob("*-api")("x/app-api"), false);
});

Deno.test("isGlob() detects operators", () => {
  assert.equal(isGlob("a/b"), false);
  assert.equal(isGlob("a/*"), true);
  assert.equal(isGlob("a?"), true);
});

Deno.test("matchTokens() does work linear in the name for a pathological pattern", () => {
  // The review's case: six `**` and a literal tail against a 204-character name that almost
  // matches. A backtracking matcher explores O(n^6) splits (12.6 s); this one walks each
  // character once per live pattern position.
  const tokens = globTokens("team/**/**/**/**/**/**/cache");
  const name = "team/" + "a/".repeat(99) + "x"; // 204 characters, no "cache" tail
  assert.equal(name.length, 204);
  const stats = { steps: 0 };
  assert.equal(matchTokens(tokens, name, stats), false);
  assert.ok(stats.steps <= (name.length + 1) * (tokens.length + 1), `steps ${stats.steps}`);
  // Double the name, at most double the work.
  const twice = { steps: 0 };
  matchTokens(tokens, "team/" + "a/".repeat(199) + "x", twice);
  assert.ok(twice.steps <= 2 * stats.steps + tokens.length * 8, `steps ${twice.steps}`);
  assert.equal(matchTokens(tokens, "team/a/b/c/d/e/f/g/cache"), true);
});

Deno.test("compileGlob() agrees with a reference matcher on mixed stars", () => {
  const cases: [string, string, boolean][] = [
    ["a/*/c", "a/b/c", true],
    ["a/*/c", "a/b/d/c", false],
    ["a/**/c", "a/c", false],
    ["a/**c", "a/c", true],
    ["a**/x", "a/b/x", true],
    ["*", "", true],
    ["?", "", false],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "axxbyy/c", false],
    ["**/x/*", "p/q/x/r", true],
  ];
  for (const [p, n, want] of cases) assert.equal(compileGlob(p)(n), want, `${p} ~ ${n}`);
});
