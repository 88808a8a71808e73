import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parseConfig } from "./parse_config.ts";

function configError(text: string, source = "kp.yaml"): string {
  try {
    parseConfig(text, source);
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    assert.equal(e.code, "config_invalid");
    return e.message;
  }
  throw new Error("expected a config error");
}

Deno.test("parseConfig() accepts the seed's example config with an RSA key", () => {
  const c = parseConfig(
    `issuer: "https://keypebble.example/issuer"
audience: "keypebble-edge"
default_ttl_seconds: 14400
rs256_private_key_path: "/keys/jwt_signing.key"
kid: "v1"
static_claims:
  scope: "controller:read controller:write"
  roles: ["controller"]
allowed_custom_claims: [sub, edge_id, scope, roles]
`,
    "seed.yaml",
  );
  assert.equal(c.issuer, "https://keypebble.example/issuer");
  assert.equal(c.audience, "keypebble-edge");
  assert.deepEqual(c.services, ["keypebble-edge"]);
  assert.equal(c.defaultTtlSeconds, 14400);
  assert.equal(c.maxTtlSeconds, 86400);
  assert.equal(c.keys.length, 1);
  const k = c.keys[0];
  assert.equal(k.kind, "pem");
  assert.deepEqual(k.kid, { mode: "literal", value: "v1" });
  assert.deepEqual(c.allowedCustomClaims, ["sub", "edge_id", "scope", "roles"]);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.staticClaims));
});

Deno.test("parseConfig() accepts the Python Keypebble's aliases", () => {
  const c = parseConfig(
    `service: {host: "0.0.0.0", port: 9090}
issuer: kp
rs256_private_key: /k.pem
key_id: legacy
algorithm: RS256
x5c_chain_path: /chain.pem
`,
    "py.yaml",
  );
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.port, 9090);
  const k = c.keys[0];
  assert.ok(k.kind === "pem");
  assert.equal(k.path, "/k.pem");
  assert.equal(k.x5cChainPath, "/chain.pem");
  assert.deepEqual(k.kid, { mode: "literal", value: "legacy" });
});

Deno.test("parseConfig() names the file and field of a wrong type", () => {
  const msg = configError("issuer: kp\nhs256_secret_path: s\ndefault_ttl_seconds: soon\n");
  assert.match(msg, /^kp\.yaml: default_ttl_seconds: must be an integer, got "soon"$/);
});

Deno.test("parseConfig() requires an issuer and a key", () => {
  assert.match(configError("audience: x\nhs256_secret_path: s\n"), /kp\.yaml: issuer: is required/);
  assert.match(configError("issuer: kp\n"), /needs a signing key/);
});

Deno.test("parseConfig() refuses two single-key fields at once", () => {
  assert.match(
    configError("issuer: kp\nhs256_secret: abc\nrs256_private_key_path: /k.pem\n"),
    /configure exactly one signing key/,
  );
});

Deno.test("parseConfig() refuses an algorithm that disagrees with the key", () => {
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nalgorithm: RS256\n"),
    /algorithm: is "RS256" but the key is an HMAC secret/,
  );
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nalgorithm: none\n"),
    /algorithm: must be one of/,
  );
});

Deno.test("parseConfig() refuses a default lifetime above the cap", () => {
  assert.match(
    configError(
      "issuer: kp\nhs256_secret_path: s\ndefault_ttl_seconds: 7200\nmax_ttl_seconds: 3600\n",
    ),
    /default_ttl_seconds: must not exceed max_ttl_seconds \(3600\)/,
  );
});

Deno.test("parseConfig() refuses static_claims that set registered claims", () => {
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nstatic_claims: {exp: 1}\n"),
    /static_claims\.exp: is set by the server/,
  );
});

Deno.test("parseConfig() reads a key list and refuses duplicate kids", () => {
  const c = parseConfig(
    "issuer: kp\nkeys:\n  - {path: new.pem, kid: b}\n  - {path: old.pem, kid: a}\n  - {secret_path: h, kid: h1}\n",
    "/etc/kp/kp.yaml",
    { baseDir: "/etc/kp" },
  );
  assert.equal(c.keys.length, 3);
  assert.ok(c.keys[0].kind === "pem" && c.keys[0].path === "/etc/kp/new.pem");
  assert.ok(c.keys[2].kind === "hmac" && c.keys[2].secretPath === "/etc/kp/h");
  assert.match(
    configError("issuer: kp\nkeys:\n  - {path: a.pem, kid: x}\n  - {path: b.pem, kid: x}\n"),
    /keys\[1\]\.kid: "x" is already used by keys\[0\]/,
  );
  assert.match(
    configError("issuer: kp\nkeys:\n  - {secret_path: h, kid: thumbprint}\n"),
    /keys\[0\]\.kid: "thumbprint" needs an asymmetric key/,
  );
});

Deno.test("parseConfig() applies environment overrides and credential paths", () => {
  const c = parseConfig(
    "issuer: kp\nrs256_private_key_path: ${CREDENTIALS_DIRECTORY}/signing.key\n",
    "kp.yaml",
    { env: { KEYPEBBLE_HOST: "0.0.0.0", KEYPEBBLE_PORT: "9999", CREDENTIALS_DIRECTORY: "/run/c" } },
  );
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.port, 9999);
  assert.ok(c.keys[0].kind === "pem" && c.keys[0].path === "/run/c/signing.key");
});

Deno.test("parseConfig() reports bad YAML without echoing the file", () => {
  assert.match(configError('issuer: "kp\nhs256_secret: "sekrit'), /kp\.yaml: not valid YAML/);
});

Deno.test("parseConfig() accepts merge keys from x- anchor holders and refuses other unknown keys", () => {
  const c = parseConfig(
    "x-defaults: &d\n  issuer: kp\n  default_ttl_seconds: 60\n<<: *d\nhs256_secret_path: s\n",
    "kp.yaml",
  );
  assert.equal(c.issuer, "kp");
  assert.equal(c.defaultTtlSeconds, 60);
  assert.match(
    configError("defaults: &d\n  issuer: kp\n<<: *d\nhs256_secret_path: s\n"),
    /kp\.yaml: defaults: is not a known setting/,
  );
});

Deno.test("parseConfig() validates nested settings by path", () => {
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nlockout: {max_failures: 0}\n"),
    /lockout\.max_failures: must be between 1 and 10000, got 0/,
  );
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nrate_limit: {per_address: {requests: 0}}\n"),
    /rate_limit\.per_address\.requests: must be between 1 and 10000000, got 0/,
  );
  assert.match(
    configError("issuer: kp\nhs256_secret_path: s\nlimits: {max_body: 5}\n"),
    /limits\.max_body: is not a known setting/,
  );
});
