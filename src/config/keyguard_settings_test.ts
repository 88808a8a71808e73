/**
 * The settings issue 22 adds: the defaults of new keys (`store.default_rate_limit_per_minute`,
 * `store.default_scopes`) and the named route limits (`limits.routes.NAME`).
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parseConfig } from "./parse_config.ts";

const BASE = 'issuer: "https://kp"\nhs256_secret: "' + "x".repeat(40) + '"\n';

function parse(extra: string, env: Record<string, string> = {}) {
  return parseConfig(BASE + extra, "kp.yaml", { baseDir: "/etc/kp", readEnv: (n) => env[n] });
}

function refused(extra: string, re: RegExp): void {
  assert.throws(
    () => parse(extra),
    (e: unknown) =>
      e instanceof KeypebbleError && e.code === "config_invalid" && re.test(e.message),
    extra,
  );
}

Deno.test("store: new keys get keyguard's defaults (60/min, read) unless the config says otherwise", () => {
  const d = parse('store: {url: "sqlite:kp.db"}\n').store!;
  assert.equal(d.defaultRateLimitPerMinute, 60);
  assert.deepEqual(d.defaultScopes, ["read"]);
  const c = parse(
    'store: {url: "sqlite:kp.db", default_rate_limit_per_minute: 120, default_scopes: [api, "read:all"]}\n',
  ).store!;
  assert.equal(c.defaultRateLimitPerMinute, 120);
  assert.deepEqual(c.defaultScopes, ["api", "read:all"]);
  for (const none of ["null", "none", "~"]) {
    const n = parse(
      `store: {url: "sqlite:kp.db", default_rate_limit_per_minute: ${none}, default_scopes: []}\n`,
    )
      .store!;
    assert.equal(n.defaultRateLimitPerMinute, null, none);
    assert.deepEqual(n.defaultScopes, []);
  }
  const env = parse('store: {url: "sqlite:kp.db"}\n', {
    KEYPEBBLE_STORE__DEFAULT_RATE_LIMIT_PER_MINUTE: "30",
    KEYPEBBLE_STORE__DEFAULT_SCOPES: "[read, write]",
  }).store!;
  assert.equal(env.defaultRateLimitPerMinute, 30);
  assert.deepEqual(env.defaultScopes, ["read", "write"]);
});

Deno.test("store: bad key defaults name the field; privileged scopes are never a default", () => {
  refused(
    "store: {default_rate_limit_per_minute: 0}\n",
    /store\.default_rate_limit_per_minute: must be an integer/,
  );
  refused("store: {default_rate_limit_per_minute: fast}\n", /store\.default_rate_limit_per_minute/);
  refused("store: {default_scopes: read}\n", /store\.default_scopes: must be a list/);
  refused('store: {default_scopes: ["has space"]}\n', /store\.default_scopes/);
  for (const s of ["admin", "introspect", "limits.report"]) {
    refused(`store: {default_scopes: [read, ${s}]}\n`, new RegExp(`must not grant "${s}"`));
  }
});

Deno.test("limits.routes: named per-address limits with their defaults", () => {
  const c = parse(
    "limits:\n  routes:\n    login: {requests: 3, window_seconds: 60, lock_after: 4, lock_seconds: 86400}\n    search: {requests: 5}\n",
  );
  assert.deepEqual(c.limits.routes.login, {
    requests: 3,
    windowSeconds: 60,
    lockAfter: 4,
    lockSeconds: 86_400,
  });
  assert.deepEqual(c.limits.routes.search, { requests: 5, windowSeconds: 60, lockSeconds: 900 });
  assert.deepEqual(parse("").limits.routes, {});
  const env = parse("", { KEYPEBBLE_LIMITS__ROUTES: "{signup: {requests: 2, lock_after: 1}}" });
  assert.equal(env.limits.routes.signup.lockAfter, 1);
});

Deno.test("limits.routes: bad limits name the file, the limit and the problem", () => {
  refused(
    "limits: {routes: {login: {}}}\n",
    /kp\.yaml: limits\.routes\.login\.requests: is required/,
  );
  refused("limits: {routes: {login: {requests: 0}}}\n", /limits\.routes\.login\.requests/);
  refused(
    "limits: {routes: {login: {requests: 3, lock_after: 0}}}\n",
    /limits\.routes\.login\.lock_after/,
  );
  refused("limits: {routes: {login: {requests: 3, window_seconds: 86401}}}\n", /window_seconds/);
  refused("limits: {routes: {login: {requests: 3, lock_seconds: 0}}}\n", /lock_seconds/);
  refused(
    "limits: {routes: {login: {requests: 3, lockout: 9}}}\n",
    /limits\.routes\.login\.lockout: /,
  );
  refused(
    'limits: {routes: {"log in": {requests: 3}}}\n',
    /limits\.routes\.log in: a limit's name/,
  );
  refused("limits: {routes: {login: 5}}\n", /limits\.routes\.login: must be a mapping/);
  refused("limits: {routes: [login]}\n", /limits\.routes: must be a mapping/);
});
