import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { documentedEnvNames, envName } from "./env.ts";
import { parseConfig } from "./parse_config.ts";

const BASE = 'issuer: kp\nhs256_secret: "0123456789abcdef0123456789abcdef"\n';

function errorOf(text: string, env: Record<string, string>): string {
  try {
    parseConfig(text, "kp.yaml", { env });
  } catch (e) {
    assert.ok(e instanceof KeypebbleError);
    return e.message;
  }
  throw new Error("expected a config error");
}

Deno.test("KEYPEBBLE_<PATH> overrides any setting, with __ between levels", () => {
  const c = parseConfig(BASE, "kp.yaml", {
    env: {
      KEYPEBBLE_ISSUER: "https://from-env",
      KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS: "5",
      KEYPEBBLE_LOCKOUT__ENABLED: "false",
      KEYPEBBLE_SERVICE__PORT: "9001",
      KEYPEBBLE_TRUSTED_PROXIES: "[10.0.0.0/8, 127.0.0.1]",
      KEYPEBBLE_STATIC_CLAIMS__TIER: "gold",
    },
  });
  assert.equal(c.issuer, "https://from-env");
  assert.deepEqual(c.rateLimit.perAddress, { requests: 5, windowSeconds: 60 });
  assert.equal(c.lockout.enabled, false);
  assert.equal(c.port, 9001);
  assert.deepEqual(c.trustedProxies, ["10.0.0.0/8", "127.0.0.1"]);
  assert.equal(c.staticClaims.tier, "gold");
  assert.deepEqual(
    c.envOverrides.map((o) => o.name).sort(),
    [
      "KEYPEBBLE_ISSUER",
      "KEYPEBBLE_LOCKOUT__ENABLED",
      "KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS",
      "KEYPEBBLE_SERVICE__PORT",
      "KEYPEBBLE_STATIC_CLAIMS__TIER",
      "KEYPEBBLE_TRUSTED_PROXIES",
    ],
  );
});

Deno.test("KEYPEBBLE_HOST and KEYPEBBLE_PORT stay the short names of service.host and service.port", () => {
  const c = parseConfig(BASE, "kp.yaml", {
    env: { KEYPEBBLE_HOST: "0.0.0.0", KEYPEBBLE_PORT: "9999" },
  });
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.port, 9999);
});

Deno.test("errors name the variable that set the value, not the file's field", () => {
  assert.equal(
    errorOf(BASE, { KEYPEBBLE_LOG_LEVEL: "loud" }),
    'KEYPEBBLE_LOG_LEVEL: must be one of "debug", "info", "warn", "error", got "loud"',
  );
  assert.match(errorOf(BASE, { KEYPEBBLE_PORT: "http" }), /^KEYPEBBLE_PORT: must be an integer/);
  assert.match(
    errorOf(BASE, { KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS: "0" }),
    /^KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS: must be between 1/,
  );
  assert.match(
    errorOf(BASE, { KEYPEBBLE_SERVICE__HOTS: "x" }),
    /^KEYPEBBLE_SERVICE__HOTS: is not a known setting; did you mean "service.host"\?/,
  );
  assert.match(
    errorOf(BASE, { KEYPEBBLE_LIMITS: "{max_scopes: 0}" }),
    /^KEYPEBBLE_LIMITS: limits\.max_scopes: must be between 1 and 1000/,
  );
});

Deno.test("a KEYPEBBLE_ variable that names no section is a warning with a suggestion", () => {
  const c = parseConfig(BASE, "kp.yaml", {
    env: { KEYPEBBLE_PROT: "1", KEYPEBBLE_BIN: "/x" },
  });
  assert.deepEqual(c.warnings.map((w) => w.field), ["KEYPEBBLE_PROT"]);
  assert.match(c.warnings[0].message, /did you mean KEYPEBBLE_PORT/);
});

Deno.test("the process environment is read through readEnv for every documented name", () => {
  const seen: string[] = [];
  const c = parseConfig(BASE, "kp.yaml", {
    readEnv: (n) => {
      seen.push(n);
      return n === "KEYPEBBLE_REALM" ? "edge" : undefined;
    },
  });
  assert.equal(c.realm, "edge");
  for (const n of documentedEnvNames()) assert.ok(seen.includes(n), n);
  assert.equal(envName(["rate_limit", "per_address"]), "KEYPEBBLE_RATE_LIMIT__PER_ADDRESS");
});
