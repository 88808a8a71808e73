/**
 * Abuse limits through the real handler: per-address and per-user rate limits with their headers,
 * lockout after repeated failures (which a right password cannot get through), and the request
 * size limits (body, scopes, headers, JSON nesting).
 */

import assert from "node:assert/strict";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const T0 = Date.UTC(2030, 0, 1);

async function _kp(extraYaml: string, clock?: { t: number }): Promise<TestHandler> {
  const [alice, bob] = await Promise.all([cheapHash("alice-pw"), cheapHash("bob-pw")]);
  return await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
audience: "registry.test"
hs256_secret: "${"h".repeat(32)}"
policy_path: policy.yaml
${extraYaml}`,
    files: {
      "policy.yaml": `users:
  alice:
    password_hash: "${alice}"
    repos: ["alice/*"]
    actions: ["pull"]
    rate_limit: { requests: 2, window_seconds: 60 }
  bob:
    password_hash: "${bob}"
    repos: ["bob/*"]
    actions: ["pull"]
`,
    },
    ...(clock === undefined ? {} : { now: () => clock.t }),
  });
}

async function _error(res: Response): Promise<string> {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  assert.equal(typeof body.message, "string");
  return body.error;
}

function _metric(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("per-address rate limit answers 429 with Retry-After and RateLimit headers", async () => {
  const clock = { t: T0 };
  const kp = await _kp("rate_limit:\n  per_address: { requests: 3, window_seconds: 60 }\n", clock);
  for (let i = 0; i < 3; i++) {
    const ok = await kp.fetch("/auth", { method: "POST", body: "{}" }, "192.0.2.1");
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  }
  const res = await kp.fetch("/auth", { method: "POST", body: "{}" }, "192.0.2.1");
  assert.equal(res.status, 429);
  const retry = Number(res.headers.get("retry-after"));
  // Sliding window counter: the full window's count still weighs on the next one, so the wait
  // can exceed one window (here 3 × (1 − f) + 1 ≤ 3 at f = 1/3 of the next window: 80 s)
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 120, `Retry-After ${retry}`);
  assert.equal(res.headers.get("ratelimit-limit"), "3");
  assert.equal(res.headers.get("ratelimit-remaining"), "0");
  const reset = Number(res.headers.get("ratelimit-reset"));
  assert.equal(reset, retry, "RateLimit-Reset is when the next request fits");
  assert.equal(await _error(res), "rate_limited");
  // Another address is not affected; probes are never limited
  const other = await kp.fetch("/auth", { method: "POST", body: "{}" }, "192.0.2.2");
  assert.equal(other.status, 200);
  await other.body?.cancel();
  const health = await kp.fetch("/healthz", {}, "192.0.2.1");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  // After the window the address may ask again
  clock.t += 121_000;
  const later = await kp.fetch("/auth", { method: "POST", body: "{}" }, "192.0.2.1");
  assert.equal(later.status, 200);
  await later.body?.cancel();
});

Deno.test("a policy user's rate_limit overrides the per-principal limit", async () => {
  const kp = await _kp("rate_limit:\n  per_principal: { requests: 100, window_seconds: 60 }\n");
  const get = (user: string, addr: string) =>
    kp.fetch("/v2/token?scope=repository:alice/a:pull", {
      headers: { authorization: basicAuth(user, `${user}-pw`) },
    }, addr);
  for (let i = 0; i < 2; i++) {
    const r = await get("alice", `198.51.100.${i}`);
    assert.equal(r.status, 200);
    await r.body?.cancel();
  }
  const refused = await get("alice", "198.51.100.9");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("ratelimit-limit"), "2");
  assert.ok(refused.headers.has("retry-after"));
  assert.equal(await _error(refused), "rate_limited");
  for (let i = 0; i < 5; i++) {
    const r = await get("bob", "198.51.100.20");
    assert.equal(r.status, 200, "bob has the config's limit, not alice's");
    await r.body?.cancel();
  }
  const m = await (await kp.fetch("/metrics")).text();
  assert.equal(_metric(m, 'keypebble_rate_limited_total{scope="principal"}'), 1);
});

Deno.test("lockout after max_failures refuses even the right password, with Retry-After, a metric and a log line", async () => {
  const clock = { t: T0 };
  const kp = await _kp(
    "lockout: { max_failures: 3, window_seconds: 60, lock_seconds: 120 }\n",
    clock,
  );
  const get = (password: string, addr = "203.0.113.5") =>
    kp.fetch("/v2/token", { headers: { authorization: basicAuth("alice", password) } }, addr);
  for (let i = 0; i < 3; i++) {
    const r = await get("wrong");
    assert.equal(r.status, 401);
    assert.ok(r.headers.get("www-authenticate")?.startsWith("Basic "));
    assert.equal(await _error(r), "unauthorized");
  }
  const wrongWhileLocked = await get("wrong");
  assert.equal(wrongWhileLocked.status, 429);
  const retry = Number(wrongWhileLocked.headers.get("retry-after"));
  assert.ok(retry >= 1 && retry <= 120, `Retry-After ${retry}`);
  const wrongBody = await wrongWhileLocked.json();
  assert.equal(wrongBody.error, "locked_out");

  // The right password, even from another address, gets the same answer: nothing leaks
  const right = await get("alice-pw", "203.0.113.6");
  assert.equal(right.status, 429);
  const rightBody = await right.json();
  assert.deepEqual(rightBody, wrongBody);
  assert.ok(right.headers.has("retry-after"));

  // Another user is unaffected (from a fresh address)
  const bob = await kp.fetch("/v2/token", {
    headers: { authorization: basicAuth("bob", "bob-pw") },
  }, "203.0.113.7");
  assert.equal(bob.status, 200);
  await bob.body?.cancel();

  const m = await (await kp.fetch("/metrics")).text();
  assert.ok((_metric(m, 'keypebble_lockouts_total{scope="principal"}') ?? 0) >= 1);
  assert.ok((_metric(m, 'keypebble_auth_failures_total{reason="locked_out"}') ?? 0) >= 2);
  const lines = kp.logLines.map((l) => JSON.parse(l)).filter((r) => r.event === "lockout");
  assert.ok(lines.length >= 1, "a lockout log line");
  assert.equal(lines[0].level, "warn");
  assert.equal(lines[0].lock_seconds, 120);
  assert.ok(!kp.logLines.some((l) => l.includes("alice-pw")));

  // When the lock expires the right password works again
  clock.t += 121_000;
  const after = await get("alice-pw", "203.0.113.8");
  assert.equal(after.status, 200);
  await after.body?.cancel();
});

Deno.test("the password grant shares the lockout: locked_out after failures, right password refused", async () => {
  const kp = await _kp("lockout: { max_failures: 3, window_seconds: 60, lock_seconds: 60 }\n");
  const post = (password: string) =>
    kp.fetch("/v2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body:
        `grant_type=password&username=alice&password=${password}&client_id=c&service=registry.test`,
    }, "203.0.113.50");
  for (let i = 0; i < 3; i++) {
    const r = await post("wrong");
    assert.equal(r.status, 400);
    assert.equal(await _error(r), "invalid_grant");
  }
  const locked = await post("alice-pw");
  assert.equal(locked.status, 429);
  assert.ok(locked.headers.has("retry-after"));
  assert.equal(await _error(locked), "locked_out");
});

Deno.test("a body over limits.max_body_bytes is 413 payload_too_large, declared or streamed", async () => {
  const kp = await _kp("limits: { max_body_bytes: 256 }\n");
  const big = JSON.stringify({ sub: "x".repeat(1000) });
  const declared = await kp.fetch("/auth", { method: "POST", body: big });
  assert.equal(declared.status, 413);
  assert.equal(await _error(declared), "payload_too_large");
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode("x".repeat(100)));
      c.close();
    },
  });
  const streamed = await kp.fetch("/auth", { method: "POST", body: stream });
  assert.equal(streamed.status, 413);
  assert.equal(await _error(streamed), "payload_too_large");
  const form = await kp.fetch("/v2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=password&username=" + "a".repeat(1000),
  });
  assert.equal(form.status, 413);
  assert.equal(await _error(form), "payload_too_large");
  const fits = await kp.fetch("/auth", { method: "POST", body: JSON.stringify({ sub: "x" }) });
  assert.equal(fits.status, 200);
  await fits.body?.cancel();
});

Deno.test("more scopes than limits.max_scopes is 400 invalid_scope", async () => {
  const kp = await _kp("limits: { max_scopes: 2 }\n");
  const auth = { authorization: basicAuth("bob", "bob-pw") };
  const two = await kp.fetch(
    "/v2/token?scope=repository:bob/a:pull&scope=repository:bob/b:pull",
    { headers: auth },
  );
  assert.equal(two.status, 200);
  await two.body?.cancel();
  const three = await kp.fetch(
    "/v2/token?scope=repository:bob/a:pull&scope=repository:bob/b:pull%20repository:bob/c:pull",
    { headers: auth },
  );
  assert.equal(three.status, 400);
  assert.equal(await _error(three), "invalid_scope");
});

Deno.test("a header over limits.max_header_bytes is 431 headers_too_large where the route reads it", async () => {
  const kp = await _kp("limits: { max_header_bytes: 256 }\n");
  const long = "Basic " + "A".repeat(400);
  for (const name of ["authorization", "x-scopes", "x-authenticated-user"]) {
    const res = await kp.fetch("/v2/token", { headers: { [name]: long } });
    assert.equal(res.status, 431, name);
    assert.equal(await _error(res), "headers_too_large");
  }
  const body = await kp.fetch("/auth", { method: "POST", headers: { "content-type": long } });
  assert.equal(body.status, 431, "content-type where a body is read");
  await body.body?.cancel();
  // A header the route does not read costs nothing, long or not (issue 21).
  const unread = await kp.fetch("/v2/token", {
    headers: { "content-type": long, "x-required-scope": long },
  });
  assert.notEqual(unread.status, 431);
  await unread.body?.cancel();
  const scrape = await kp.fetch("/metrics", { headers: { accept: long } });
  assert.equal(scrape.status, 431, "the scrape reads accept");
  await scrape.body?.cancel();
});

Deno.test("JSON nested deeper than limits.max_json_depth is 400 invalid_json", async () => {
  const kp = await _kp("limits: { max_json_depth: 4 }\n");
  const ok = await kp.fetch("/auth", {
    method: "POST",
    body: JSON.stringify({ a: { b: { c: 1 } } }),
  });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  for (
    const body of [
      JSON.stringify({ a: { b: { c: { d: { e: 1 } } } } }),
      `{"a":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
      `{"a":${"[".repeat(100_000)}`,
    ]
  ) {
    const res = await kp.fetch("/auth", { method: "POST", body });
    assert.ok(res.status === 400 || res.status === 413, `status ${res.status}`);
    assert.ok(["invalid_json", "payload_too_large"].includes(await _error(res)));
  }
  const deep = await kp.fetch("/auth", {
    method: "POST",
    body: JSON.stringify({ a: { b: { c: { d: { e: 1 } } } } }),
  });
  assert.equal(deep.status, 400);
  assert.equal(await _error(deep), "invalid_json");
});
