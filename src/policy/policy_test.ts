import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { hashPassword } from "../identity/password.ts";
import {
  evaluateAccess,
  generateAccess,
  parsePolicy,
  type Policy,
  serviceAccountAllowed,
  spiffeIdAllowed,
  userRule,
} from "./policy.ts";
import { parseScopes } from "./scope.ts";

// The Python Keypebble's examples/policy.yaml shape: anchors and `<<` merge keys.
const PYTHON_EXAMPLE = `
common_repos: &common_repos [app-api, app-ui]
pull_only: &pull_only
  actions: ["pull"]
read_write: &read_write
  actions: ["pull", "push"]
users:
  alice:
    repos: ["helm", "shared/*", "alice-space/app-api"]
    <<: *pull_only
  bob:
    repos: ["bob-space/app-api"]
    <<: *read_write
  carol:
    repos: *common_repos
    <<: *read_write
`;

function policyError(text: string, pattern: RegExp): void {
  assert.throws(() => parsePolicy(text, "policy.yaml"), (e) => {
    assert.ok(e instanceof KeypebbleError, String(e));
    assert.equal(e.code, "policy_invalid");
    assert.match(e.message, pattern);
    return true;
  });
}

function grant(policy: Policy, user: string, ...scopes: string[]): string[] {
  return evaluateAccess(policy, user, parseScopes(scopes)).map((a) =>
    `${a.type}:${a.name}:${a.actions.join(",")}`
  );
}

Deno.test("parsePolicy() loads the Python example with anchors and merge keys", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.deepEqual([...p.users.keys()], ["alice", "bob", "carol"]);
  assert.deepEqual(p.users.get("alice")?.actions, ["pull"]);
  assert.deepEqual(p.users.get("bob")?.actions, ["pull", "push"]);
  assert.deepEqual(p.users.get("carol")?.repos, ["app-api", "app-ui"]);
  assert.equal(p.anyUser, undefined);
  assert.equal(p.source, "policy.yaml");
});

Deno.test("evaluateAccess() applies the Python example", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.deepEqual(grant(p, "alice", "repository:helm:pull,push"), ["repository:helm:pull"]);
  assert.deepEqual(grant(p, "alice", "repository:shared/app:pull"), ["repository:shared/app:pull"]);
  assert.deepEqual(grant(p, "alice", "repository:shared/a/b:pull"), []);
  assert.deepEqual(grant(p, "alice", "repository:bob-space/app-api:pull"), []);
  assert.deepEqual(grant(p, "bob", "repository:bob-space/app-api:push,pull"), [
    "repository:bob-space/app-api:push,pull",
  ]);
  assert.deepEqual(grant(p, "carol", "repository:app-ui:push"), ["repository:app-ui:push"]);
});

Deno.test("evaluateAccess() denies by default", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.deepEqual(grant(p, "mallory", "repository:helm:pull"), []);
  assert.deepEqual(grant(p, "", "repository:helm:pull"), []);
  assert.equal(userRule(p, "mallory"), undefined);
});

Deno.test("evaluateAccess() grants partially and keeps request order", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.deepEqual(
    grant(p, "alice", "repository:shared/x:push repository:helm:pull,push repository:nope:pull"),
    ["repository:helm:pull"],
  );
  assert.deepEqual(
    grant(
      p,
      "bob",
      "repository:bob-space/app-api:delete,pull",
      "repository:bob-space/app-api:push",
    ),
    ["repository:bob-space/app-api:pull,push"],
  );
});

Deno.test("evaluateAccess() handles * in actions both ways", () => {
  const p = parsePolicy(
    `users:
  admin: { repos: ["**"], actions: ["*"] }
  dev: { repos: ["**"], actions: ["pull", "push"] }`,
    "p.yaml",
  );
  assert.deepEqual(grant(p, "admin", "repository:a/b:pull,push,delete"), [
    "repository:a/b:pull,push,delete",
  ]);
  assert.deepEqual(grant(p, "admin", "repository:a:*"), ["repository:a:*"]);
  assert.deepEqual(grant(p, "dev", "repository:a:*"), []);
  assert.deepEqual(grant(p, "dev", "repository:a:*,pull"), ["repository:a:pull"]);
});

Deno.test("evaluateAccess() uses the * entry for users without their own", () => {
  const p = parsePolicy(
    `users:
  "*": { repos: ["public/*", "\${account}/**"], actions: ["pull"] }
  alice: { repos: ["alice/x"], actions: ["push"] }`,
    "p.yaml",
  );
  assert.ok(p.anyUser !== undefined);
  assert.equal(p.users.has("*"), false);
  assert.deepEqual(grant(p, "zed", "repository:public/app:pull"), ["repository:public/app:pull"]);
  assert.deepEqual(grant(p, "zed", "repository:zed/a/b:pull"), ["repository:zed/a/b:pull"]);
  assert.deepEqual(grant(p, "zed", "repository:yan/a:pull"), []);
  // alice's own entry replaces the * entry entirely.
  assert.deepEqual(grant(p, "alice", "repository:public/app:pull"), []);
  assert.deepEqual(grant(p, "alice", "repository:alice/x:push"), ["repository:alice/x:push"]);
});

Deno.test("evaluateAccess() substitutes ${account} literally", () => {
  const p = parsePolicy(
    `users:
  "*": { repos: ["team/\${account}/*", "\${account}-space"], actions: ["pull", "push"] }`,
    "p.yaml",
  );
  assert.deepEqual(grant(p, "bob", "repository:team/bob/app:push"), [
    "repository:team/bob/app:push",
  ]);
  assert.deepEqual(grant(p, "bob", "repository:bob-space:pull"), ["repository:bob-space:pull"]);
  assert.deepEqual(grant(p, "bob", "repository:team/alice/app:push"), []);
  // Glob characters or dots in an account are literal, not operators.
  assert.deepEqual(grant(p, "b.b", "repository:team/bob/app:push"), []);
  assert.deepEqual(grant(p, "*", "repository:team/bob/app:push"), []);
  assert.deepEqual(grant(p, "b*", "repository:team/bob/app:push"), []);
  // An account with a slash never matches an ${account} pattern.
  assert.deepEqual(grant(p, "team/bob", "repository:team/team/bob/app:push"), []);
  // Many distinct accounts (beyond the cache size) still evaluate correctly.
  for (let i = 0; i < 600; i++) {
    assert.deepEqual(grant(p, `u${i}`, `repository:u${i}-space:pull`), [
      `repository:u${i}-space:pull`,
    ]);
  }
});

Deno.test("evaluateAccess() grants non-repository types only through typed entries", () => {
  const p = parsePolicy(
    `users:
  admin: { repos: ["**", "registry:catalog:*"], actions: ["pull"] }
  ops: { repos: ["registry:catalog"], actions: ["*"] }
  dev: { repos: ["**"], actions: ["*"] }`,
    "p.yaml",
  );
  assert.deepEqual(grant(p, "admin", "registry:catalog:*"), ["registry:catalog:*"]);
  assert.deepEqual(grant(p, "ops", "registry:catalog:*"), ["registry:catalog:*"]);
  assert.deepEqual(grant(p, "dev", "registry:catalog:*"), []);
  assert.deepEqual(grant(p, "admin", "registry:other:*"), []);
  // A typed entry never grants repository access, and vice versa.
  assert.deepEqual(grant(p, "ops", "repository:catalog:pull"), []);
});

Deno.test("evaluateAccess() ignores the deprecated resource class", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.deepEqual(evaluateAccess(p, "alice", parseScopes(["repository(plugin):helm:pull"])), [
    { type: "repository", name: "helm", actions: ["pull"] },
  ]);
});

Deno.test("evaluateAccess() treats a host:port prefix as part of the name", () => {
  const p = parsePolicy(
    `users: { u: { repos: ["localhost:5000/*"], actions: [pull] } }`,
    "p.yaml",
  );
  assert.deepEqual(grant(p, "u", "repository:localhost:5000/foo:pull"), [
    "repository:localhost:5000/foo:pull",
  ]);
  assert.deepEqual(grant(p, "u", "repository:foo:pull"), []);
});

Deno.test("parsePolicy() applies the Python namespace field", () => {
  const p = parsePolicy(
    `users: { u: { namespace: acme, repos: ["app", "tools/*"], actions: [pull] } }`,
    "p.yaml",
  );
  assert.deepEqual(p.users.get("u")?.repos, ["acme/app", "acme/tools/*"]);
  assert.deepEqual(grant(p, "u", "repository:acme/tools/x:pull repository:app:pull"), [
    "repository:acme/tools/x:pull",
  ]);
});

Deno.test("parsePolicy() reads password_hash, rate_limit and subjects", async () => {
  const h = await hashPassword("pw", { iterations: 1000 });
  const p = parsePolicy(
    `users:
  u:
    password_hash: "${h}"
    rate_limit: { requests: 10, window_seconds: 60 }
    subjects: [ci-bot, "svc one"]`,
    "p.yaml",
  );
  const u = p.users.get("u");
  assert.equal(u?.passwordHash, h);
  assert.deepEqual(u?.rateLimit, { requests: 10, windowSeconds: 60 });
  assert.deepEqual(u?.subjects, ["ci-bot", "svc one"]);
  assert.deepEqual(u?.repos, []);
});

Deno.test("parsePolicy() names file, field path and problem", () => {
  policyError("users: [", /^policy\.yaml: invalid YAML: /);
  policyError("users:\n  a: {}\n  a: {}", /invalid YAML: Map keys must be unique/);
  policyError("", /policy\.yaml: must be a mapping/);
  policyError("other: 1", /policy\.yaml: users: is required/);
  policyError("users: [a]", /users: must be a mapping, not a list/);
  policyError("users: { alice: null }", /users\.alice: must be a mapping, not null/);
  policyError(
    `users: { alice: { repos: ["a", "b", 3], actions: [pull] } }`,
    /^policy\.yaml: users\.alice\.repos\[2\]: must be a string, not a number$/,
  );
  policyError(`users: { alice: { repo: ["a"] } }`, /users\.alice: unknown key "repo"/);
  policyError(`users: { alice: { repos: ["a"] } }`, /users\.alice\.actions: is required/);
  policyError(
    `users: { alice: { repos: ["a"], actions: [Pull] } }`,
    /users\.alice\.actions\[0\]: "Pull" is not a valid action/,
  );
  policyError(
    `users: { alice: { repos: ["x/UPPER"], actions: [pull] } }`,
    /users\.alice\.repos\[0\]: "x\/UPPER" is not a valid repository name or pattern/,
  );
  policyError(
    `users: { alice: { repos: ["a/../b"], actions: [pull] } }`,
    /repos\[0\]: .* is not a valid/,
  );
  policyError(
    `users: { alice: { repos: ["\${user}/x"], actions: [pull] } }`,
    /repos\[0\]: .* is not a valid/,
  );
  policyError(
    `users: { alice: { repos: ["repository:x"], actions: [pull] } }`,
    /is not a valid "type:name\[:actions\]" entry/,
  );
  policyError(`users: { 123: { repos: [] } }`, /users: user name "123" must be a string/);
  policyError(`users: { "a:b": {} }`, /users: user name "a:b" is not valid/);
  policyError(`users: { "a\\nb": {} }`, /users: user name "a\\nb" is not valid/);
  policyError(
    `users: { a: { rate_limit: { requests: 0, window_seconds: 1 } } }`,
    /users\.a\.rate_limit\.requests: must be an integer/,
  );
  policyError(
    `users: { a: { rate_limit: { requests: 1, window: 1 } } }`,
    /users\.a\.rate_limit: unknown key "window"/,
  );
  policyError(`users: { a: { subjects: [""] } }`, /users\.a\.subjects\[0\]: "" is not a valid/);
});

Deno.test("parsePolicy() does not quote the file in YAML errors", async () => {
  const h = await hashPassword("pw", { iterations: 1000 });
  assert.throws(
    () => parsePolicy(`users:\n  a:\n    password_hash: "${h}"\n  b: [`, "p.yaml"),
    (e) => e instanceof KeypebbleError && !e.message.includes(h.slice(20)),
  );
});

Deno.test("parsePolicy() refuses a password_hash on the * entry", async () => {
  const h = await hashPassword("pw", { iterations: 1000 });
  policyError(`users: { "*": { password_hash: "${h}" } }`, /not allowed on the "\*" entry/);
});

Deno.test("parsePolicy() bounds alias expansion", () => {
  const bomb = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    "users: {}",
  ].join("\n");
  policyError(bomb, /invalid YAML/);
});

Deno.test("generateAccess() lists literal repositories with the user's actions", () => {
  const p = parsePolicy(
    `users:
  alice: { repos: ["helm", "shared/*", "\${account}/app", "helm", "registry:catalog:*"], actions: [pull, push] }
  "*": { repos: ["\${account}/home"], actions: [pull] }`,
    "p.yaml",
  );
  assert.deepEqual(generateAccess(p, "alice"), {
    access: [
      { type: "repository", name: "helm", actions: ["pull", "push"] },
      { type: "repository", name: "alice/app", actions: ["pull", "push"] },
      { type: "registry", name: "catalog", actions: ["*"] },
    ],
    scope: "repository:helm:pull,push repository:alice/app:pull,push registry:catalog:*",
  });
  assert.deepEqual(generateAccess(p, "zed").scope, "repository:zed/home:pull");
  // An account that is not a valid path segment yields nothing rather than a bad name.
  assert.deepEqual(generateAccess(p, "z d").access, []);
  assert.deepEqual(generateAccess(p, "zed*").access, []);
  assert.deepEqual(generateAccess(p, "a/b").access, []);
});

Deno.test("generateAccess() refuses a user without a rule", () => {
  const p = parsePolicy(PYTHON_EXAMPLE, "policy.yaml");
  assert.throws(
    () => generateAccess(p, "mallory"),
    (e) => e instanceof KeypebbleError && e.code === "forbidden",
  );
});

Deno.test("evaluateAccess() works on a hand-built policy", () => {
  const p: Policy = {
    source: "inline",
    users: new Map([["u", { repos: ["a/*"], actions: ["pull"] }]]),
  };
  assert.deepEqual(grant(p, "u", "repository:a/b:pull"), ["repository:a/b:pull"]);
});

Deno.test("finding 5: a pathological repos glob against a 204-character scope evaluates without backtracking", () => {
  // 12.6 s of blocked event loop on the RegExp matcher; linear now (glob_test.ts proves the
  // step bound). A hang would fail this test by the suite's deadline.
  const policy = parsePolicy(
    `users:\n  u: { repos: ["team/**/**/**/**/**/**/cache"], actions: [pull] }\n`,
    "policy.yaml",
  );
  const name = "team/" + "a/".repeat(99) + "x";
  assert.equal(name.length, 204);
  const out = evaluateAccess(policy, "u", [{ type: "repository", name, actions: ["pull"] }]);
  assert.deepEqual(out, []);
});

Deno.test("service_accounts globs decide which Kubernetes service accounts a user may mint for", () => {
  const policy = parsePolicy(
    `users:\n  ops: { service_accounts: ["edge-ns/*", "ci/builder"] }\n  dev: {}\n`,
    "policy.yaml",
  );
  assert.equal(serviceAccountAllowed(policy, "ops", "edge-ns", "agent"), true);
  assert.equal(serviceAccountAllowed(policy, "ops", "ci", "builder"), true);
  assert.equal(serviceAccountAllowed(policy, "ops", "ci", "other"), false);
  assert.equal(serviceAccountAllowed(policy, "ops", "kube-system", "cluster-admin"), false);
  assert.equal(serviceAccountAllowed(policy, "dev", "edge-ns", "agent"), false);
  assert.equal(serviceAccountAllowed(policy, "nobody", "edge-ns", "agent"), false);
  assert.throws(
    () => parsePolicy(`users:\n  a: { service_accounts: ["no-slash"] }\n`, "policy.yaml"),
    /users\.a\.service_accounts\[0\]/,
  );
});

const SPIFFE_POLICY = parsePolicy(
  `users:
  gateway:
    spiffe_ids: ["spiffe://edge.example/sensors/*", "spiffe://edge.example/jobs/**"]
  plain:
    repos: []
  "*":
    spiffe_ids: []
`,
  "policy.yaml",
);

Deno.test("spiffeIdAllowed() matches the caller's own spiffe_ids globs and denies by default", () => {
  const ok = (user: string, id: string) => spiffeIdAllowed(SPIFFE_POLICY, user, id);
  assert.ok(ok("gateway", "spiffe://edge.example/sensors/t-1"));
  assert.ok(!ok("gateway", "spiffe://edge.example/sensors/t-1/x")); // * stays in a segment
  assert.ok(ok("gateway", "spiffe://edge.example/jobs/a/b"));
  assert.ok(!ok("gateway", "spiffe://edge.example/orders"));
  assert.ok(!ok("gateway", "spiffe://evil.example/sensors/t-1"));
  assert.ok(!ok("plain", "spiffe://edge.example/sensors/t-1"));
  assert.ok(!ok("stranger", "spiffe://edge.example/sensors/t-1"));
});

Deno.test("parsePolicy() refuses a spiffe_ids entry that is not a SPIFFE ID pattern", () => {
  for (const bad of ['"edge.example/x"', '"spiffe://Edge/x"', '"spiffe://e.x/a//b"', "42"]) {
    assert.throws(
      () => parsePolicy(`users:\n  u:\n    spiffe_ids: [${bad}]\n`, "policy.yaml"),
      /policy\.yaml: users\.u\.spiffe_ids/,
    );
  }
});
