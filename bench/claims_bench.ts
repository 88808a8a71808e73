/**
 * In-process benchmarks of the work around signing: building /auth claims (filter the request,
 * merge static and registered claims, a fresh jti) and evaluating a registry policy.
 *
 *   deno bench bench/claims_bench.ts
 */

import { parseConfig } from "../src/config/mod.ts";
import { buildClaims, filterCustomClaims, randomJti } from "../src/claims/mod.ts";
import { evaluateAccess, parsePolicy, parseScopes } from "../src/policy/mod.ts";
import { mint } from "../src/profiles/mod.ts";
import { makeTestHandler } from "../tests/helpers/handler.ts";

const config = parseConfig(
  [
    'issuer: "https://keypebble.bench"',
    'audience: "bench"',
    'hs256_secret: "0123456789abcdef0123456789abcdef-bench"',
    "static_claims:",
    '  scope: "controller:read controller:write"',
    '  roles: ["controller"]',
    'allowed_custom_claims: ["sub", "edge_id", "scope", "roles"]',
  ].join("\n"),
  "bench.yaml",
);
const BODY = { sub: "edge-0042", edge_id: "e42", iss: "evil", extra: 1, roles: ["x"] };
const NOW = Math.floor(Date.now() / 1000);

const kp = await makeTestHandler({
  configYaml: [
    'issuer: "https://keypebble.bench"',
    "hs256_secret_path: secret",
    "static_claims:",
    '  scope: "controller:read controller:write"',
    'allowed_custom_claims: ["sub", "edge_id", "scope", "roles"]',
  ].join("\n"),
  files: { secret: "0123456789abcdef0123456789abcdef-bench" },
});
const AUTH_PROFILE = kp.runtime.profiles.auth;

Deno.bench({
  name: "POST /auth claims: JSON.parse + filter",
  group: "claims",
  baseline: true,
  fn() {
    const body = JSON.parse(JSON.stringify(BODY));
    filterCustomClaims(body, config.allowedCustomClaims);
  },
});
Deno.bench({
  name: "mint an /auth token (claims, registered claims, jti, HS256 signature)",
  group: "claims",
  async fn() {
    const body = JSON.parse(JSON.stringify(BODY));
    const { accepted } = filterCustomClaims(body, config.allowedCustomClaims);
    await mint(AUTH_PROFILE, {
      now: NOW,
      claims: accepted,
      subject: "edge-0042",
      ttlSeconds: 3600,
      record: () => {}, // the signing path alone: the server's recorder is measured end to end
    });
  },
});
Deno.bench({
  name: "claim builder: $.query / $.body / literal mapping",
  group: "claims",
  fn() {
    buildClaims(
      { sub: "$.body.sub", edge: "$.query.edge", tier: "gold", n: 3 },
      { query: new URLSearchParams("edge=e42"), body: BODY },
    );
  },
});
Deno.bench({
  name: "randomJti (128-bit hex)",
  group: "claims",
  fn() {
    randomJti();
  },
});

const policy = parsePolicy(
  `
pull_push: &pull_push
  actions: ["pull", "push"]
users:
  alice:
    repos: ["alice/*", "shared/**", "\${account}-team/*", "registry:catalog:*"]
    <<: *pull_push
  "*":
    repos: ["public/*"]
    actions: ["pull"]
`,
  "policy.yaml",
);
const scopes = parseScopes([
  "repository:alice/app:pull,push",
  "repository:shared/a/b/c:pull",
  "repository:other/x:pull",
  "registry:catalog:*",
]);
Deno.bench({
  name: "policy: evaluate 4 scopes (globs, typed entry, one denial)",
  group: "policy",
  baseline: true,
  fn() {
    evaluateAccess(policy, "alice", scopes);
  },
});
Deno.bench({
  name: "policy: parse scopes + evaluate",
  group: "policy",
  fn() {
    evaluateAccess(
      policy,
      "alice",
      parseScopes(["repository:alice/app:pull,push", "repository:shared/a/b/c:pull"]),
    );
  },
});
