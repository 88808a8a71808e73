import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parseConfig } from "./parse_config.ts";
import { redactUrl } from "./store.ts";

const BASE = 'issuer: "https://kp"\nhs256_secret: "' + "x".repeat(40) + '"\n';

function parse(extra: string) {
  return parseConfig(BASE + extra, "kp.yaml", { baseDir: "/etc/kp" });
}

Deno.test("store: a SQLite path is resolved against the config file and defaults are set", () => {
  const c = parse('store: {url: "sqlite:state/kp.db"}\n');
  assert.equal(c.store?.url, "sqlite:/etc/kp/state/kp.db");
  assert.equal(c.store?.pepperPath, "/etc/kp/keypebble.pepper");
  assert.equal(c.store?.cacheSeconds, 5);
  assert.deepEqual(c.store?.acceptedPrefixes, ["kp_live_"]);
  assert.deepEqual(c.warnings, []);
});

Deno.test("store: postgres URLs, prefixes and shared_limits are read", () => {
  const c = parse(
    'store: {url: "postgres://kp:pw@db:5432/kp", key_prefix: kp_test_, accepted_prefixes: [kg_live_], cache_seconds: 2}\nshared_limits: {redis_url: "redis://r:6379/0"}\n',
  );
  assert.equal(c.store?.url, "postgres://kp:pw@db:5432/kp");
  assert.deepEqual(c.store?.acceptedPrefixes, ["kp_test_", "kg_live_"]);
  assert.equal(c.store?.cacheSeconds, 2);
  assert.equal(c.sharedLimits?.redisUrl, "redis://r:6379/0");
});

Deno.test("store: bad values name the file and field", () => {
  const cases: [string, RegExp][] = [
    ['store: {url: "mysql://x"}\n', /kp\.yaml: store\.url: must start with/],
    ["store: {cache_seconds: 60}\n", /store\.cache_seconds: must be an integer between 1 and 10/],
    ['store: {key_prefix: "KP-"}\n', /store\.key_prefix/],
    ["store: {colour: red}\n", /store\.colour: is not a known setting/],
    ["shared_limits: {}\n", /shared_limits\.redis_url: is required/],
    ['shared_limits: {redis_url: "http://x"}\n', /shared_limits\.redis_url: must start with/],
  ];
  for (const [yaml, re] of cases) {
    assert.throws(
      () => parse(yaml),
      (e: unknown) => e instanceof KeypebbleError && re.test(e.message),
    );
  }
});

Deno.test("store: a misspelt key is refused with the key it probably meant", () => {
  const cases: [string, RegExp][] = [
    ["store: {pepper_pth: kp.pepper}\n", /store\.pepper_pth: .*did you mean "store\.pepper_path"/],
    ["store: {cache_second: 3}\n", /did you mean "store\.cache_seconds"/],
    ['shared_limit: {redis_url: "redis://r"}\n', /did you mean "shared_limits"/],
    ['shared_limits: {redis_ur: "redis://r"}\n', /did you mean "shared_limits\.redis_url"/],
  ];
  for (const [yaml, re] of cases) {
    assert.throws(
      () => parse(yaml),
      (e: unknown) => e instanceof KeypebbleError && re.test(e.message),
    );
  }
});

Deno.test("store: KEYPEBBLE_STORE__* and KEYPEBBLE_SHARED_LIMITS__* override the file", () => {
  const env = {
    KEYPEBBLE_STORE__CACHE_SECONDS: "3",
    KEYPEBBLE_STORE__URL: "postgres://kp@db/kp",
    KEYPEBBLE_SHARED_LIMITS__REDIS_URL: "redis://r:6379/1",
  };
  const c = parseConfig(BASE + 'store: {url: "sqlite:kp.db"}\n', "kp.yaml", { env });
  assert.equal(c.store?.cacheSeconds, 3);
  assert.equal(c.store?.url, "postgres://kp@db/kp");
  assert.equal(c.sharedLimits?.redisUrl, "redis://r:6379/1");
  assert.ok(c.envOverrides.some((o) => o.name === "KEYPEBBLE_STORE__CACHE_SECONDS"));
});

Deno.test("store: a bad value from the environment names the variable, not the file", () => {
  assert.throws(
    () =>
      parseConfig(BASE + "store: {}\n", "kp.yaml", {
        env: { KEYPEBBLE_STORE__CACHE_SECONDS: "60" },
      }),
    (e: unknown) =>
      e instanceof KeypebbleError &&
      /^KEYPEBBLE_STORE__CACHE_SECONDS: must be an integer between 1 and 10/.test(e.message),
  );
});

Deno.test("redactUrl() hides passwords in user-info and query, keeps hosts and paths", () => {
  assert.equal(redactUrl("postgres://kp:s3cret@db:5432/kp"), "postgres://***@db:5432/kp");
  assert.equal(redactUrl("redis://:pw@r:6379/0"), "redis://***@r:6379/0");
  assert.equal(
    redactUrl("postgres://db/kp?sslmode=require&password=s3cret&application_name=kp"),
    "postgres://db/kp?sslmode=require&password=***&application_name=kp",
  );
  assert.equal(redactUrl("redis://r:6379/0"), "redis://r:6379/0");
  assert.equal(redactUrl("sqlite:/var/lib/kp/kp.db"), "sqlite:/var/lib/kp/kp.db");
});

Deno.test("store: audit_tokens is read (default: unset, token events stored) and must be a boolean", () => {
  assert.equal(parse('store: {url: "sqlite:kp.db"}\n').store?.auditTokens, undefined);
  assert.equal(
    parse('store: {url: "sqlite:kp.db", audit_tokens: false}\n').store?.auditTokens,
    false,
  );
  assert.throws(
    () => parse('store: {url: "sqlite:kp.db", audit_tokens: "no"}\n'),
    (e: unknown) =>
      e instanceof KeypebbleError &&
      /kp\.yaml: store\.audit_tokens: must be true or false/.test(e.message),
  );
});
