/**
 * Fleet mode's limits through the real handler, with the Redis backend's stand-in
 * (tests/helpers/remote_limits.ts: the memory backend's decisions, asynchronous and counted):
 * every limit, quota and lockout a request touches costs ONE backend call, and a mixed sequence
 * of requests gets exactly the answers the memory backend gives (status, code, Retry-After and
 * rate-limit headers), refusals taking precedence over what authentication would have said, as in
 * memory. The real Redis backend decides as memory does (tests/e2e/limits_redis_test.ts).
 */

import assert from "node:assert/strict";
import { type Limits, limitsOver } from "../../src/limits/mod.ts";
import { makeKeyInstance } from "../helpers/api_keys.ts";
import { basicAuth, cheapHash, makeTestHandler } from "../helpers/handler.ts";
import { RemoteMemoryLimits } from "../helpers/remote_limits.ts";

const EXTRA = "rate_limit: { per_address: { requests: 12, window_seconds: 60 } }\n";

async function instance(limits?: Limits) {
  const clock = { t: Date.UTC(2026, 5, 10, 12, 0, 5) };
  const kp = await makeKeyInstance({ clock, extraYaml: EXTRA, ...(limits ? { limits } : {}) });
  await kp.svc.createOrg("acme");
  const limited = await kp.svc.createKey({
    orgName: "acme",
    label: "limited",
    scopes: ["read"],
    rateLimitPerMinute: 3,
    monthlyQuota: 20,
  });
  const open = await kp.svc.createKey({ orgName: "acme", label: "open", scopes: ["read"] });
  return { kp, clock, limited, open };
}

const GUESS = "kp_live_" + "G".repeat(43);

Deno.test("fleet mode: forward-auth costs one limits call, accepted or refused", async () => {
  const remote = new RemoteMemoryLimits();
  const { kp, limited } = await instance(limitsOver(remote));
  try {
    const fa = (key: string) =>
      kp.fetch("/forward-auth", { headers: { "x-api-key": key } }, "10.1.1.1");
    const ok = await fa(limited.raw);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("x-ratelimit-limit"), "3");
    assert.equal(ok.headers.get("x-ratelimit-remaining"), "2");
    assert.equal(remote.calls, 1);
    assert.deepEqual(
      remote.log[0],
      ["rate", "locked", "rate", "period"],
      "address, lock, key, quota",
    );
    const bad = await fa(GUESS);
    assert.equal(bad.status, 401);
    assert.equal(remote.calls, 2);
    assert.deepEqual(remote.log[1], ["rate", "locked", "fail"]);
    for (let i = 0; i < 3; i++) await (await fa(limited.raw)).body?.cancel();
    const over = await fa(limited.raw);
    assert.equal(over.status, 429);
    assert.equal((await over.json()).error, "rate_limited");
    assert.equal(remote.calls, 6, "one call per request, refusals included");
  } finally {
    await kp.close();
  }
});

Deno.test("fleet mode: a locked address costs one call and no key lookup", async () => {
  const remote = new RemoteMemoryLimits();
  const { kp, open } = await instance(limitsOver(remote));
  try {
    const fa = (key: string) =>
      kp.fetch("/forward-auth", { headers: { "x-api-key": key } }, "10.2.2.2");
    for (let i = 0; i < 5; i++) await (await fa(GUESS)).body?.cancel();
    const before = remote.calls;
    let lookups = 0;
    const byHashes = kp.store.apiKeys.byHashes.bind(kp.store.apiKeys);
    kp.store.apiKeys.byHashes = (...a) => (lookups++, byHashes(...a));
    const locked = await fa("kp_live_" + "H".repeat(43));
    assert.equal(locked.status, 429);
    assert.equal((await locked.json()).error, "locked_out");
    assert.equal(remote.calls - before, 1);
    assert.equal(lookups, 0, "a new guess from a locked address is not looked up");
    const right = await fa(open.raw);
    assert.equal(right.status, 429, "a right key is refused while locked");
  } finally {
    await kp.close();
  }
});

Deno.test("fleet mode: Basic with a remembered password costs one call; an unremembered one checks the lock first", async () => {
  const remote = new RemoteMemoryLimits();
  const hash = await cheapHash("alice-pw");
  const kp = await makeTestHandler({
    configYaml: 'issuer: "https://kp.test"\naudience: "registry.test"\nhs256_secret: "' +
      "h".repeat(32) + '"\npolicy_path: policy.yaml\nlockout: { max_failures: 2 }\n' +
      "rate_limit: { per_principal: { requests: 100, window_seconds: 60 } }\n",
    files: {
      "policy.yaml":
        `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["a/*"]\n    actions: [pull]\n`,
    },
    limits: limitsOver(remote),
  });
  const token = (pw: string) =>
    kp.fetch("/v2/token?service=registry.test&scope=repository:a/x:pull", {
      headers: { authorization: basicAuth("alice", pw) },
    }, "10.3.3.3");
  const first = await token("alice-pw");
  assert.equal(first.status, 200);
  // Not yet remembered: the lock check runs before the password costs anything, then the rest.
  assert.deepEqual(remote.log, [["rate", "locked", "locked"], ["clear", "rate"]]);
  remote.log.length = 0;
  assert.equal((await token("alice-pw")).status, 200);
  assert.deepEqual(remote.log, [["rate", "locked", "locked", "clear", "rate"]], "one call");
  remote.log.length = 0;
  for (let i = 0; i < 2; i++) await (await token("wrong")).body?.cancel();
  const locked = await token("alice-pw");
  assert.equal(locked.status, 429);
  assert.equal((await locked.json()).error, "locked_out");
});

/** What a client sees of an answer. */
async function seen(res: Response): Promise<string> {
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (body === null) await res.body?.cancel();
  return [
    res.status,
    body?.error ?? "",
    res.headers.get("retry-after") ?? "",
    res.headers.get("x-ratelimit-limit") ?? "",
    res.headers.get("x-ratelimit-remaining") ?? "",
    res.headers.get("ratelimit-remaining") ?? "",
  ].join(" ");
}

Deno.test("fleet mode answers a mixed sequence exactly as memory does", async () => {
  const mem = await instance();
  const remote = new RemoteMemoryLimits();
  const fleet = await instance(limitsOver(remote));
  try {
    let seed = 7;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const answers: [string, string][] = [];
    for (let i = 0; i < 400; i++) {
      const step = rand(3) === 0 ? rand(20_000) : rand(1500);
      const addr = `10.9.0.${rand(3)}`;
      const kind = rand(7);
      const form = rand(4) === 0 ? "text/plain" : "application/x-www-form-urlencoded";
      const pair: string[] = [];
      for (const x of [mem, fleet]) {
        x.clock.t += step;
        const keys = [x.limited.raw, x.open.raw, GUESS, "kp_live_short"];
        let res: Response;
        if (kind < 4) {
          res = await x.kp.fetch("/forward-auth", { headers: { "x-api-key": keys[kind] } }, addr);
        } else if (kind === 4) {
          res = await x.kp.fetch("/auth", { method: "POST", body: "{}" }, addr);
        } else {
          // Client authentication reads the form first: a bad body and a bad client.
          const key = kind === 5 ? x.limited : { key: { id: "nobody" }, raw: GUESS };
          res = await x.kp.fetch("/oauth2/token", {
            method: "POST",
            headers: { "content-type": form },
            body: `grant_type=client_credentials&client_id=${key.key.id}&client_secret=${key.raw}`,
          }, addr);
        }
        pair.push(await seen(res));
      }
      answers.push([pair[0], pair[1]]);
      assert.equal(pair[1], pair[0], `request ${i} (kind ${kind} from ${addr})`);
    }
    const kinds = new Set(answers.map(([a]) => a.split(" ").slice(0, 2).join(" ")));
    for (const want of ["200 ", "401 unauthorized", "429 rate_limited", "429 locked_out"]) {
      assert.ok(kinds.has(want), `the sequence meets ${want}: ${[...kinds].join(", ")}`);
    }
    assert.ok(
      remote.calls <= answers.length,
      `${remote.calls} calls for ${answers.length} requests`,
    );
  } finally {
    await mem.kp.close();
    await fleet.kp.close();
  }
});
