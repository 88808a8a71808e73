/**
 * `GET /metrics` through the real handler: both exposition formats, `promtool check metrics`,
 * bounded cardinality under random paths, the counters operators alert on, and no client-supplied
 * string ever reaching a label.
 */

import assert from "node:assert/strict";
import { basicAuth, cheapHash, makeTestHandler, type TestHandler } from "../helpers/handler.ts";

const MARKER = "zqxmarker" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);

async function _kp(extraYaml = ""): Promise<TestHandler> {
  const hash = await cheapHash("alice-pw");
  return await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
audience: "registry.test"
hs256_secret_path: secret
policy_path: policy.yaml
rate_limit:
  per_address: { requests: 1000000, window_seconds: 60 }
lockout: { max_failures: 3, window_seconds: 60, lock_seconds: 60 }
${extraYaml}`,
    files: {
      secret: "s".repeat(40),
      "policy.yaml": `users:
  alice:
    password_hash: "${hash}"
    repos: ["alice/*"]
    actions: ["pull", "push"]
`,
    },
  });
}

async function _text(res: Response): Promise<string> {
  return await res.text();
}

/** Drive every route, with successes and failures, and markers in every client-chosen place. */
async function _traffic(kp: TestHandler): Promise<void> {
  const alice = { authorization: basicAuth("alice", "alice-pw") };
  const calls: Array<[string, RequestInit?, string?]> = [
    ["/healthz"],
    ["/readyz"],
    ["/.well-known/jwks.json"],
    ["/.well-known/openid-configuration"],
    ["/auth", { method: "POST", body: JSON.stringify({ sub: MARKER, [MARKER]: MARKER }) }],
    ["/auth", { method: "POST", body: `{"broken": ${MARKER}` }],
    [`/v2/token?service=registry.test&scope=repository:alice/${MARKER}:pull`, { headers: alice }],
    [`/v2/token?scope=repository:alice/x:pull&offline_token=true&client_id=${MARKER}`, {
      headers: alice,
    }],
    [`/v2/token?service=${MARKER}`, { headers: alice }],
    ["/v2/token", { headers: { authorization: basicAuth(MARKER, MARKER) } }],
    ["/v2/token"],
    ["/v2/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=password&username=alice&password=alice-pw&client_id=${MARKER}` +
        `&service=registry.test&access_type=offline`,
    }],
    ["/command/token", {
      method: "POST",
      body: JSON.stringify({ target: MARKER, command: `echo ${MARKER}` }),
    }],
    [`/apis/authentication.k8s.io/v1/namespaces/${MARKER}/serviceaccounts/${MARKER}/token`, {
      method: "POST",
      body: JSON.stringify({ spec: { audiences: [MARKER] } }),
    }],
    [`/api/v1/namespaces/ns/serviceaccounts/${MARKER}/token`, { method: "GET" }],
    [`/${MARKER}/nothing`],
    ["/auth", { method: "PUT" }],
    ["/auth", { method: MARKER.toUpperCase() }],
    ["/healthz", { headers: { "x-scopes": MARKER, "user-agent": MARKER } }, MARKER],
  ];
  for (const [path, init, remote] of calls) {
    const res = await kp.fetch(path, init, remote);
    assert.ok(res.status < 500, `${path} answered ${res.status}`);
    await res.body?.cancel();
  }
  // A refresh-token grant, for the refresh counter and a second registry token
  const r = await kp.fetch("/v2/token?offline_token=true&client_id=c1", { headers: alice });
  const refresh = (await r.json()).refresh_token;
  assert.equal(typeof refresh, "string");
  const g = await kp.fetch("/v2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=refresh_token&refresh_token=${refresh}&client_id=c1&service=registry.test`,
  });
  assert.equal(g.status, 200);
  await g.body?.cancel();
}

/** Lines that are samples (not comments, not blank). */
function _samples(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

/** The value of the sample `name{labels}` exactly, or undefined. */
function _value(text: string, series: string): number | undefined {
  for (const line of _samples(text)) {
    const sp = line.lastIndexOf(" ");
    if (line.slice(0, sp) === series) return Number(line.slice(sp + 1));
  }
  return undefined;
}

// promtool's conformance check of the same output is in tests/e2e/metrics_promtool_test.ts.
Deno.test("GET /metrics serves Prometheus text 0.0.4 after mixed traffic", async () => {
  const kp = await _kp();
  await _traffic(kp);
  const res = await kp.fetch("/metrics");
  assert.equal(res.status, 200);
  const type = res.headers.get("content-type") ?? "";
  assert.match(type, /^text\/plain; version=0\.0\.4/);
  const text = await _text(res);
  assert.ok(!text.includes("# EOF"), "0.0.4 text has no EOF marker");
  assert.match(text, /^# TYPE keypebble_http_requests_total counter$/m);
});

Deno.test("GET /metrics serves OpenMetrics 1.0 when asked, ending with # EOF", async () => {
  const kp = await _kp();
  await _traffic(kp);
  const res = await kp.fetch("/metrics", {
    headers: { accept: "application/openmetrics-text; version=1.0.0" },
  });
  assert.equal(res.status, 200);
  assert.match(
    res.headers.get("content-type") ?? "",
    /^application\/openmetrics-text; version=1\.0\.0/,
  );
  const text = await _text(res);
  assert.ok(text.endsWith("# EOF\n"), "OpenMetrics text ends with # EOF");
  assert.equal(text.indexOf("# EOF"), text.length - 6, "exactly one # EOF, at the end");
  // Counters keep their _total sample name and a TYPE without it (OpenMetrics 1.0 §counter)
  assert.match(text, /^# TYPE keypebble_http_requests counter$/m);
  assert.match(text, /^keypebble_http_requests_total\{/m);
  assert.match(text, /^# TYPE keypebble_build info$/m);
});

Deno.test("GET /metrics: 10 000 requests to random paths add no series", async () => {
  const kp = await _kp();
  await _traffic(kp);
  const rand = (n: number) => {
    const b = crypto.getRandomValues(new Uint8Array(n));
    return Array.from(b, (x) => (x % 36).toString(36)).join("");
  };
  const warm = async () => {
    for (const m of ["GET", "POST"]) {
      const a = await kp.fetch(`/${rand(8)}`, { method: m });
      await a.body?.cancel();
      // a parametrised route with the wrong method: the template, never the raw names
      const b = await kp.fetch(
        `/apis/authentication.k8s.io/v1/namespaces/${rand(6)}/serviceaccounts/${rand(6)}/token`,
        { method: m === "GET" ? "GET" : "PUT" },
      );
      await b.body?.cancel();
    }
  };
  await warm();
  const before = _samples(await _text(await kp.fetch("/metrics")));
  for (let i = 0; i < 10_000; i++) {
    const kind = i % 4;
    let path: string;
    if (kind === 0) path = `/${rand(1 + (i % 40))}`;
    else if (kind === 1) path = `/v2/${rand(5)}/${rand(7)}?scope=${rand(9)}`;
    else if (kind === 2) {
      path = `/apis/authentication.k8s.io/v1/namespaces/${rand(6)}/serviceaccounts/${
        rand(6)
      }/token`;
    } else path = `/.well-known/${rand(10)}`;
    const res = await kp.fetch(path, { method: kind === 2 ? (i % 8 < 4 ? "GET" : "PUT") : "GET" });
    assert.ok(res.status === 404 || res.status === 405, `${path} answered ${res.status}`);
    await res.body?.cancel();
    if (kind === 3) {
      const p = await kp.fetch(path, { method: "POST" });
      await p.body?.cancel();
    }
  }
  const afterText = await _text(await kp.fetch("/metrics"));
  const after = _samples(afterText);
  const names = (lines: string[]) => lines.map((l) => l.slice(0, l.lastIndexOf(" ")));
  // /metrics itself may have appeared once; compare series names, not values
  const beforeSet = new Set(names(before));
  const added = names(after).filter((n) => !beforeSet.has(n) && !n.includes('route="/metrics"'));
  assert.deepEqual(added, [], "no new series");
  assert.ok(
    (_value(
      afterText,
      'keypebble_http_requests_total{route="unmatched",method="GET",code="404"}',
    ) ??
      0) >= 7_500,
    "unmatched requests are counted under route=unmatched",
  );
});

Deno.test("GET /metrics counts tokens by kind and alg, auth failures by reason, limits and reloads", async () => {
  const kp = await _kp();
  await _traffic(kp);
  // Three bad passwords lock alice out; the fourth attempt is refused as locked_out
  for (let i = 0; i < 4; i++) {
    const r = await kp.fetch("/v2/token", {
      headers: { authorization: basicAuth("alice", "wrong") },
    }, "10.9.9.9");
    await r.body?.cancel();
  }
  const text = await _text(await kp.fetch("/metrics"));
  const v = (s: string) => _value(text, s);
  assert.equal(v('keypebble_tokens_issued_total{kind="auth",alg="HS256"}'), 1);
  assert.ok((v('keypebble_tokens_issued_total{kind="registry",alg="HS256"}') ?? 0) >= 3);
  assert.ok((v('keypebble_tokens_issued_total{kind="refresh",alg="HS256"}') ?? 0) >= 2);
  assert.equal(v('keypebble_tokens_issued_total{kind="command",alg="HS256"}'), 1);
  assert.ok((v('keypebble_auth_failures_total{reason="bad_credentials"}') ?? 0) >= 4);
  assert.ok((v('keypebble_auth_failures_total{reason="missing_credentials"}') ?? 0) >= 1);
  assert.ok((v('keypebble_auth_failures_total{reason="locked_out"}') ?? 0) >= 1);
  assert.ok((v('keypebble_lockouts_total{scope="principal"}') ?? 0) >= 1);
  assert.equal(v('keypebble_rate_limited_total{scope="address"}'), 0);
  assert.equal(v('keypebble_rate_limited_total{scope="principal"}'), 0);
  assert.equal(v('keypebble_config_reloads_total{outcome="success"}'), 0);
  assert.equal(v('keypebble_config_reloads_total{outcome="failure"}'), 0);
  assert.equal(v("keypebble_config_generation"), 1);
  assert.equal(v('keypebble_build_info{version="0.1.0",runtime="test"}'), 1);
  assert.ok(
    (v('keypebble_http_requests_total{route="/v2/token",method="GET",code="200"}') ?? 0) >= 2,
  );
  assert.ok(
    v(
      'keypebble_http_request_duration_seconds_count{route="/apis/authentication.k8s.io/v1/namespaces/{ns}/serviceaccounts/{name}/token"}',
    ) !== undefined,
  );
});

Deno.test("GET /metrics counts requests refused by the per-address rate limit", async () => {
  const kp = await makeTestHandler({
    configYaml: `issuer: "https://kp.test"
hs256_secret: "${"r".repeat(32)}"
rate_limit:
  per_address: { requests: 2, window_seconds: 60 }
`,
  });
  for (let i = 0; i < 5; i++) {
    const r = await kp.fetch("/auth", { method: "POST", body: "{}" });
    await r.body?.cancel();
  }
  const text = await _text(await kp.fetch("/metrics"));
  assert.equal(_value(text, 'keypebble_rate_limited_total{scope="address"}'), 3);
  assert.equal(
    _value(text, 'keypebble_http_requests_total{route="/auth",method="POST",code="429"}'),
    3,
  );
});

Deno.test("GET /metrics never shows a client-supplied string", async () => {
  const kp = await _kp();
  await _traffic(kp);
  for (const accept of ["text/plain", "application/openmetrics-text; version=1.0.0"]) {
    const text = await _text(await kp.fetch("/metrics", { headers: { accept } }));
    assert.ok(text.includes("keypebble_http_requests_total"), "metrics rendered");
    assert.ok(!text.toLowerCase().includes(MARKER), `marker found in metrics:\n${text}`);
    assert.ok(!text.includes("alice"), "no user name in metrics");
  }
});
