import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { parseConfig } from "./parse_config.ts";

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
  // Strict config: parsing at all means every key was known.
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
