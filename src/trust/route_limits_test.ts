import assert from "node:assert/strict";
import { parseConfig } from "../config/mod.ts";
import { routeLockBucket } from "./route_limits.ts";
import type { Ctx } from "./services.ts";

/** The policy of a route-limit bucket reads nothing of the request. */
const CTX = {} as unknown as Ctx;

function routesOf(limits: string) {
  const yaml = `issuer: "https://kp.test"\nhs256_secret: "${"s".repeat(40)}"\n` +
    `limits:\n  routes:\n${limits}`;
  return parseConfig(yaml, "/kp/config.yaml").limits.routes;
}

Deno.test("routeLockBucket() builds one bucket per limit of a config and reuses it", () => {
  const routes = routesOf(
    "    login: {requests: 3, window_seconds: 60, lock_after: 2, lock_seconds: 600}\n" +
      "    search: {requests: 2, window_seconds: 10}\n",
  );
  const login = routeLockBucket("login", routes.login);
  assert.equal(routeLockBucket("login", routes.login), login, "the same bucket on every call");
  assert.equal(login.name, "route:login");
  assert.equal(login.scope("203.0.113.5"), "address");
  assert.equal(login.logScope("203.0.113.5"), "route_limit");
  assert.deepEqual(login.policy(CTX), { maxFailures: 2, windowSeconds: 60, lockSeconds: 600 });
  assert.equal(login.policy(CTX), login.policy(CTX), "the same policy on every call");

  const search = routeLockBucket("search", routes.search);
  assert.notEqual(search, login);
  assert.equal(search.name, "route:search");
  assert.equal(search.policy(CTX), undefined, "no lock_after: the lockout is off");
});

Deno.test("routeLockBucket(): a new config generation (a reload) gets buckets of its own limits", () => {
  const before = routesOf("    login: {requests: 3, lock_after: 2, lock_seconds: 600}\n");
  const after = routesOf("    login: {requests: 3, lock_after: 5, lock_seconds: 60}\n");
  const old = routeLockBucket("login", before.login);
  const now = routeLockBucket("login", after.login);
  assert.notEqual(now, old);
  assert.deepEqual(now.policy(CTX), { maxFailures: 5, windowSeconds: 60, lockSeconds: 60 });
  assert.deepEqual(old.policy(CTX), { maxFailures: 2, windowSeconds: 60, lockSeconds: 600 });
  // A limit object asked for under another name is never given the first name's bucket.
  assert.equal(routeLockBucket("signup", after.login).name, "route:signup");
});
