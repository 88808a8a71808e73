/**
 * The endpoints that run on every request of someone else's traffic, driven in process (no
 * socket) for CPU time per request against the bare echo's own work in the same run, and for
 * `--cpu-prof`. One fixture holds everything they need, as `bench/per_request.ts` serves it: a
 * SQLite store with an API key (a limit of its own, the per-address limit on), a policy user for
 * Basic, an introspecting key, and an access token to introspect.
 *
 *   deno run -A bench/profile_consumers.ts all 20000          # CPU µs per request, best of 5
 *   deno run -A --cpu-prof --cpu-prof-dir=/tmp/kp-prof bench/profile_consumers.ts fwd_ok 200000
 *   deno run -A bench/profile_consumers.ts all 20000 --trees=ours,/tmp/kp-004   # A/B, interleaved
 *
 * With `--trees`, each tree's own handler is built from its own test helpers in this process,
 * and the rounds interleave them (same JIT, same machine moment): the before/after of a change.
 *
 * Kinds: fwd_ok, fwd_bad (an unknown key from a new client address each time: 401), introspect,
 * client_credentials, v2_basic (GET /v2/token HS256, Basic), command, k8s (both anonymous, as
 * round 2 measured them), auth, jwks, and echo (what a request costs with no Keypebble in it: read
 * a header, answer a small JSON body).
 */

import { argv, cpuUsage, exit } from "node:process";
import { AUTH_BODY } from "./fixture.ts";

const ARGS = argv.slice(2);
const TREES = (ARGS.find((a) => a.startsWith("--trees="))?.slice(8) ?? "ours").split(",");
const [KIND = "all", COUNT = "20000"] = ARGS.filter((a) => !a.startsWith("--"));

type Info = { remoteAddr: string };

/** One tree's handler and requests. */
interface Side {
  readonly tree: string;
  readonly handler: (req: Request, info: Info) => Promise<Response>;
  readonly requests: Record<string, () => Request>;
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const COMMAND_BODY = JSON.stringify({
  user: "ops",
  target: "edge-7",
  command: "systemctl restart app",
  ttl_seconds: 300,
});
const K8S_BODY = JSON.stringify({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  spec: { audiences: ["vault"], expirationSeconds: 3600 },
});

/** The fixture on the tree at `tree` (this one: `ours`), through that tree's own test helpers. */
async function side(tree: string): Promise<Side> {
  const root = tree === "ours" ? new URL("../", import.meta.url).href : `file://${tree}/`;
  const { makeKeyInstance } = await import(`${root}tests/helpers/api_keys.ts`);
  const { basicAuth } = await import(`${root}tests/helpers/handler.ts`);
  const { hashPassword } = await import(`${root}src/identity/mod.ts`);
  const hash = await hashPassword("bench-password");
  const kp = await makeKeyInstance({
    clock: { t: Date.now() },
    extraYaml: [
      'audience: "bench"',
      'services: ["registry"]',
      "policy_path: policy.yaml",
      "rate_limit: { per_address: { requests: 10000000, window_seconds: 60 }, per_principal: false }",
      'log_level: "error"',
      "static_claims: { scope: 'controller:read' }",
      'allowed_custom_claims: ["sub", "edge_id", "roles"]',
      "",
    ].join("\n"),
    files: {
      "policy.yaml": `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["alice/*"]\n` +
        `    actions: ["pull", "push"]\n`,
    },
  });
  // The clock of the test instance is fixed; a bench wants the real one.
  const tick = setInterval(() => kp.advance(Date.now() - kp.services.now()), 50);
  Deno.unrefTimer(tick);
  await kp.svc.createOrg("bench");
  const key = await kp.svc.createKey({
    orgName: "bench",
    label: "bench",
    scopes: ["read"],
    rateLimitPerMinute: 100_000_000,
  });
  const introspector = await kp.svc.createKey({
    orgName: "bench",
    label: "introspector",
    scopes: ["introspect"],
  });
  const client = basicAuth(key.key.id, key.raw);
  const tokenRes = await kp.fetch("/oauth2/token", {
    method: "POST",
    headers: { ...FORM, authorization: client },
    body: "grant_type=client_credentials",
  });
  const accessToken = (await tokenRes.json()).access_token as string;
  const basic = basicAuth("alice", "bench-password");
  const introspect = basicAuth(introspector.key.id, introspector.raw);
  const requests: Record<string, () => Request> = {
    fwd_ok: () => new Request("http://kp/forward-auth", { headers: { "x-api-key": key.raw } }),
    fwd_bad: () =>
      new Request("http://kp/forward-auth", {
        headers: { "x-api-key": "kp_live_" + "Q".repeat(43) },
      }),
    introspect: () =>
      new Request("http://kp/oauth2/introspect", {
        method: "POST",
        headers: { ...FORM, authorization: introspect },
        body: `token=${accessToken}`,
      }),
    client_credentials: () =>
      new Request("http://kp/oauth2/token", {
        method: "POST",
        headers: { ...FORM, authorization: client },
        body: "grant_type=client_credentials",
      }),
    v2_basic: () =>
      new Request("http://kp/v2/token?service=registry&scope=repository:alice/app:pull,push", {
        headers: { authorization: basic },
      }),
    command: () =>
      new Request("http://kp/command/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: COMMAND_BODY,
      }),
    k8s: () =>
      new Request("http://kp/api/v1/namespaces/ci/serviceaccounts/builder/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: K8S_BODY,
      }),
    auth: () =>
      new Request("http://kp/auth", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: AUTH_BODY,
      }),
    jwks: () => new Request("http://kp/.well-known/jwks.json"),
  };
  const s: Side = { tree, handler: kp.handler, requests };
  // Check every kind answers as it should before timing it.
  for (const [k, make] of Object.entries(requests)) {
    const res = await s.handler(make(), INFO);
    const want = k === "fwd_bad" ? 401 : k === "k8s" ? 201 : 200;
    if (res.status !== want) throw new Error(`${tree} ${k}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  return s;
}

const INFO: Info = { remoteAddr: "127.0.0.1" };
let peer = 0;

/** The bare echo's work: read one header, answer a small JSON body with the same headers. */
async function echo(): Promise<void> {
  const req = new Request("http://kp/forward-auth", { headers: { "x-api-key": "kp_live_x" } });
  const k = req.headers.get("x-api-key") ?? "";
  await new Response(JSON.stringify({ subject: k.length }), {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  }).arrayBuffer();
}

/** CPU µs per request of `kind` on `s` (user + system of this process). */
async function measure(s: Side | undefined, kind: string, count: number): Promise<number> {
  const make = s?.requests[kind];
  const before = cpuUsage();
  for (let i = 0; i < count; i++) {
    if (s === undefined || make === undefined) await echo();
    else {
      // An unknown key from a new address each time, as a gateway in front of many clients.
      const info = kind === "fwd_bad"
        ? { remoteAddr: `10.${(peer >> 16) & 255}.${(peer >> 8) & 255}.${peer++ & 255}` }
        : INFO;
      await (await s.handler(make(), info)).arrayBuffer();
    }
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
  }
  const used = cpuUsage(before);
  return (used.user + used.system) / count;
}

const sides: Side[] = [];
for (const t of TREES) sides.push(await side(t));
const count = Number(COUNT);
if (KIND === "all" || KIND.includes(",")) {
  const kinds = KIND === "all" ? Object.keys(sides[0].requests) : KIND.split(",");
  const best = new Map<string, number>();
  const rounds = Number(ARGS.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 5);
  for (let round = 0; round < rounds; round++) {
    const e = await measure(undefined, "echo", count);
    best.set("echo", Math.min(best.get("echo") ?? Infinity, e));
    for (const k of kinds) {
      for (const s of sides) {
        const id = `${k}\t${s.tree}`;
        best.set(id, Math.min(best.get(id) ?? Infinity, await measure(s, k, count)));
      }
    }
  }
  const echoUs = best.get("echo")!;
  console.log(`echo\t\t${echoUs.toFixed(1)} µs CPU`);
  for (const k of kinds) {
    const line = sides.map((s) => {
      const us = best.get(`${k}\t${s.tree}`)!;
      return `${s.tree === "ours" ? "ours" : "other"} ${us.toFixed(1)} µs (echo/this ${
        (echoUs / us).toFixed(2)
      })`;
    });
    const ratio = sides.length > 1
      ? `  ours/other time ${
        (best.get(`${k}\tours`)! / best.get(`${k}\t${sides[1].tree}`)!).toFixed(2)
      }`
      : "";
    console.log(`${k.padEnd(20)}${line.join("   ")}${ratio}`);
  }
  exit(0);
}
const s = sides[0];
if (s.requests[KIND] === undefined && KIND !== "echo") throw new Error(`unknown kind ${KIND}`);
const us = await measure(KIND === "echo" ? undefined : s, KIND, count);
console.log(`${KIND}: ${count} requests, ${us.toFixed(1)} µs CPU each`);
exit(0);
