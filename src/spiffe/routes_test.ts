import assert from "node:assert/strict";
import { parsePolicy, userRule } from "../policy/mod.ts";
import { mayObtainSpiffeId } from "./routes.ts";

const POLICY = parsePolicy(
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

Deno.test("mayObtainSpiffeId() matches the caller's own globs and denies by default", () => {
  const gw = userRule(POLICY, "gateway");
  assert.ok(mayObtainSpiffeId(gw, "spiffe://edge.example/sensors/t-1"));
  assert.ok(!mayObtainSpiffeId(gw, "spiffe://edge.example/sensors/t-1/x")); // * stays in a segment
  assert.ok(mayObtainSpiffeId(gw, "spiffe://edge.example/jobs/a/b"));
  assert.ok(!mayObtainSpiffeId(gw, "spiffe://edge.example/orders"));
  assert.ok(!mayObtainSpiffeId(gw, "spiffe://evil.example/sensors/t-1"));
  assert.ok(!mayObtainSpiffeId(userRule(POLICY, "plain"), "spiffe://edge.example/sensors/t-1"));
  assert.ok(!mayObtainSpiffeId(userRule(POLICY, "stranger"), "spiffe://edge.example/sensors/t-1"));
  assert.ok(!mayObtainSpiffeId(undefined, "spiffe://edge.example/sensors/t-1"));
});

Deno.test("parsePolicy() refuses a spiffe_ids entry that is not a SPIFFE ID pattern", () => {
  for (const bad of ['"edge.example/x"', '"spiffe://Edge/x"', '"spiffe://e.x/a//b"', "42"]) {
    assert.throws(
      () => parsePolicy(`users:\n  u:\n    spiffe_ids: [${bad}]\n`, "policy.yaml"),
      /policy\.yaml: users\.u\.spiffe_ids/,
    );
  }
});
