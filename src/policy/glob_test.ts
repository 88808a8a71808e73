import assert from "node:assert/strict";
import { compileGlob, isGlob } from "./glob.ts";

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
