/**
 * The one strictness rule: an unknown key at any level is an error with a "did you mean";
 * Python Keypebble keys are accepted and listed. Environment overrides for every setting, named
 * in errors. YAML errors with line and column.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parseConfig, type ParseConfigOptions } from "./parse_config.ts";
import { closest, editDistance } from "./schema.ts";

const KEY = 'hs256_secret: "0123456789abcdef0123456789abcdef"\n';

function configError(text: string, options: ParseConfigOptions = {}): string {
  try {
    parseConfig(text, "kp.yaml", options);
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    assert.equal(e.code, "config_invalid");
    return e.message;
  }
  throw new Error("expected a config error");
}

Deno.test("a typo in service is an error with a suggestion, not a silent default", () => {
  assert.equal(
    configError(`issuer: kp\n${KEY}service: {hots: 0.0.0.0, prot: 9000}\n`),
    'kp.yaml: service.hots: is not a known setting; did you mean "service.host"?',
  );
  assert.equal(
    configError(`issuer: kp\n${KEY}service: {host: 0.0.0.0, prot: 9000}\n`),
    'kp.yaml: service.prot: is not a known setting; did you mean "service.port"?',
  );
});

Deno.test("unknown top-level keys are errors with did-you-mean, including a section's key", () => {
  assert.match(
    configError(`isuer: kp\n${KEY}`),
    /kp\.yaml: isuer: is not a known setting; did you mean "issuer"\?/,
  );
  assert.match(
    configError(`issuer: kp\n${KEY}defualt_ttl_seconds: 60\n`),
    /defualt_ttl_seconds: .*did you mean "default_ttl_seconds"/,
  );
  assert.match(
    configError(`issuer: kp\n${KEY}port: 9000\n`),
    /port: .*did you mean "service.port"/,
  );
  assert.match(
    configError(`issuer: kp\n${KEY}private_key_path: k.pem\n`),
    /private_key_path: .*did you mean "rs256_private_key_path"/,
  );
});

Deno.test("unknown keys are errors at every nested level", () => {
  const cases: [string, RegExp][] = [
    [
      "rate_limit: {per_adress: {requests: 1}}",
      /rate_limit\.per_adress: .*"rate_limit\.per_address"/,
    ],
    ["rate_limit: {per_address: {request: 1}}", /rate_limit\.per_address\.request: .*requests/],
    ["lockout: {enable: false}", /lockout\.enable: .*"lockout\.enabled"/],
    ["limits: {max_body_byte: 1000}", /limits\.max_body_byte: .*max_body_bytes/],
    ["require_authentication: {auht: true}", /require_authentication\.auht: .*auth/],
  ];
  for (const [yaml, re] of cases) {
    assert.match(configError(`issuer: kp\n${KEY}${yaml}\n`), re, yaml);
  }
  assert.match(
    configError("issuer: kp\nkeys:\n  - secret: '0123456789abcdef0123456789abcdef'\n    kdi: a\n"),
    /keys\[0\]\.kdi: .*"keys\[0\]\.kid"/,
  );
});

Deno.test("Python Keypebble keys are accepted and listed; kid beside key_id is refused", () => {
  const c = parseConfig(
    "issuer: kp\naudience: a\nrs256_private_key: /k.pem\nkey_id: v1\n",
    "kp.yaml",
  );
  assert.deepEqual(c.compat.map((n) => n.field).sort(), ["key_id", "rs256_private_key"]);
  // Behaviours met are listed too: static claims and the missing default audience.
  const b = parseConfig(`issuer: kp\n${KEY}static_claims: {tier: gold}\n`, "kp.yaml");
  assert.deepEqual(b.compat.map((n) => n.field).sort(), ["audience", "static_claims"]);
  assert.match(
    configError("issuer: kp\nrs256_private_key_path: /k.pem\nkid: a\nkey_id: b\n"),
    /kp\.yaml: key_id: conflicts with "kid"/,
  );
});

Deno.test("x- keys hold YAML anchors without being settings", () => {
  const c = parseConfig(`x-limits: &l\n  max_scopes: 5\nissuer: kp\n${KEY}limits: *l\n`, "kp.yaml");
  assert.equal(c.limits.maxScopes, 5);
});

Deno.test("YAML syntax errors carry line and column and never quote the file", () => {
  const msg = configError('issuer: kp\nhs256_secret: "sekrit-value\n  bad: [\n');
  assert.match(msg, /^kp\.yaml: not valid YAML at line \d+, column \d+: /);
  assert.ok(!msg.includes("sekrit"), msg);
  assert.ok(!msg.includes("\n"), "one line");
});

Deno.test("lockout: false and true switch the lockout like per_address: false", () => {
  assert.equal(parseConfig(`issuer: kp\n${KEY}lockout: false\n`, "k").lockout.enabled, false);
  assert.equal(parseConfig(`issuer: kp\n${KEY}lockout: true\n`, "k").lockout.enabled, true);
  assert.match(
    configError(`issuer: kp\n${KEY}lockout: "no"\n`),
    /lockout: must be true, false or a mapping, got "no"/,
  );
});

Deno.test('require_authentication: "yes" says that true, false or a mapping is expected', () => {
  assert.match(
    configError(`issuer: kp\n${KEY}require_authentication: "yes"\n`),
    /require_authentication: must be true, false or a mapping, got "yes"/,
  );
});

Deno.test("a single PEM key takes its algorithm from the key, like a one-item keys list", () => {
  const c = parseConfig("issuer: kp\nrs256_private_key_path: /ec.pem\n", "kp.yaml");
  const k = c.keys[0];
  assert.ok(k.kind === "pem");
  assert.equal(k.alg, undefined, "no RS256 forced on an EC key");
  assert.deepEqual(k.kid, { mode: "none" }, "the keyring gives it the thumbprint");
});

Deno.test("an inline HMAC secret loses surrounding whitespace, as in the Python Keypebble", () => {
  const c = parseConfig('issuer: kp\nhs256_secret: "  0123456789abcdef0123456789abcdef\\n"\n', "k");
  const k = c.keys[0];
  assert.ok(k.kind === "hmac");
  assert.equal(k.secret, "0123456789abcdef0123456789abcdef");
  assert.ok(c.compat.some((n) => n.field === "hs256_secret"));
});

Deno.test("policy_path without audience or services is a warning", () => {
  const c = parseConfig(`issuer: kp\n${KEY}policy_path: p.yaml\n`, "kp.yaml");
  assert.ok(
    c.warnings.some((w) => w.field === "policy_path" && /unsupported_service/.test(w.message)),
  );
});

Deno.test("closest() and editDistance() find typos, transpositions included", () => {
  assert.equal(editDistance("prot", "port"), 1);
  assert.equal(closest("hots", ["host", "port"]), "host");
  assert.equal(closest("zzzzzz", ["host", "port"]), undefined);
});
