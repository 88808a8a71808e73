import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { formatScope, parseScope, parseScopes } from "./scope.ts";

function rejects(s: string): KeypebbleError {
  try {
    parseScope(s);
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    assert.equal(e.code, "invalid_scope");
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(s)}`);
}

Deno.test("parseScope() parses a plain repository scope", () => {
  assert.deepEqual(parseScope("repository:samalba/my-app:pull,push"), {
    type: "repository",
    name: "samalba/my-app",
    actions: ["pull", "push"],
  });
});

Deno.test("parseScope() keeps a host with a port in the name", () => {
  assert.deepEqual(parseScope("repository:localhost:5000/foo/bar:pull,push"), {
    type: "repository",
    name: "localhost:5000/foo/bar",
    actions: ["pull", "push"],
  });
  assert.equal(
    parseScope("repository:Registry.Example.com/foo:pull").name,
    "Registry.Example.com/foo",
  );
});

Deno.test("parseScope() accepts registry:catalog:*", () => {
  assert.deepEqual(parseScope("registry:catalog:*"), {
    type: "registry",
    name: "catalog",
    actions: ["*"],
  });
});

Deno.test("parseScope() parses a resource class", () => {
  assert.deepEqual(parseScope("repository(plugin):x:pull"), {
    type: "repository",
    class: "plugin",
    name: "x",
    actions: ["pull"],
  });
});

Deno.test("parseScope() deduplicates actions", () => {
  assert.deepEqual(parseScope("repository:a:pull,push,pull").actions, ["pull", "push"]);
});

Deno.test("parseScope() accepts the component separators of the grammar", () => {
  for (const name of ["a.b", "a_b", "a__b", "a-b", "a---b", "a0/b1/c-2_3.d"]) {
    assert.equal(parseScope(`repository:${name}:pull`).name, name);
  }
});

Deno.test("parseScope() rejects malformed scopes", () => {
  for (
    const s of [
      "repository:../etc:pull",
      "repository:a/../b:pull",
      "repository:a..b:pull",
      "repository:foo\n:pull",
      "repository:foo:pull\nrepository:bar:push",
      "repository:fo\0o:pull",
      "repository:foo",
      "repository:foo:",
      "repository::pull",
      "repository:Foo:pull",
      "Repository:foo:pull",
      "repository:foo:PULL",
      "repository:foo:pull,",
      "repository:foo:pull,,push",
      "repository:/foo:pull",
      "repository:foo/:pull",
      "repository:foo//bar:pull",
      "repository:-foo:pull",
      "repository:foo_:pull",
      "repository:a___b:pull",
      "repository:foo:bar:pull",
      "repository:host:port/foo:pull",
      "repository(plu-gin):foo:pull",
      "repository(plugin:foo:pull",
      ":foo:pull",
      "repository:foo bar:pull",
      "repository:fóo:pull",
      "",
      `repository:${"a".repeat(256)}:pull`,
      `repository:${"a/".repeat(5000)}a:pull`,
    ]
  ) rejects(s);
});

Deno.test("parseScope() bounds and escapes the echoed value", () => {
  const e = rejects(`repository:${"a".repeat(10_000)}:pull`);
  assert.ok(e.message.length < 200, e.message);
  const nl = rejects("repository:foo\r\nX-Evil: 1:pull");
  assert.ok(!/[\r\n]/.test(nl.message));
  assert.match(nl.message, /\\r\\n/);
  assert.match(rejects("repository:fo\0o:pull").message, /\\u0000/);
});

Deno.test("parseScope() is fast on pathological names", () => {
  // Exercises the backtracking-prone component grammar; must return promptly.
  rejects(`repository:${"a".repeat(200)}!:pull`);
  rejects(`repository:${"a-".repeat(120)}:pull`);
});

Deno.test("parseScopes() splits on spaces, ignores empties and merges duplicates", () => {
  const scopes = parseScopes([
    "repository:a:pull  repository:b:push",
    "",
    "repository:a:push",
    "repository(plugin):a:delete",
    "registry:catalog:*",
  ]);
  assert.deepEqual(scopes, [
    { type: "repository", name: "a", actions: ["pull", "push", "delete"] },
    { type: "repository", name: "b", actions: ["push"] },
    { type: "registry", name: "catalog", actions: ["*"] },
  ]);
});

Deno.test("parseScopes() refuses more than maxScopes", () => {
  const many = Array.from({ length: 33 }, (_, i) => `repository:r${i}:pull`);
  assert.throws(
    () => parseScopes(many),
    (e) => e instanceof KeypebbleError && e.code === "invalid_scope",
  );
  assert.equal(parseScopes(many.slice(0, 32)).length, 32);
  assert.throws(() => parseScopes(["repository:a:pull repository:b:pull"], { maxScopes: 1 }));
});

Deno.test("parseScopes() refuses a tab-separated list", () => {
  assert.throws(() => parseScopes(["repository:a:pull\trepository:b:pull"]));
});

Deno.test("formatScope() round-trips", () => {
  const s = "repository:localhost:5000/foo:pull,push";
  assert.equal(formatScope(parseScope(s)), s);
});
