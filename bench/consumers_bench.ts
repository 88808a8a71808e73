/**
 * The layers of the endpoints that run on every request of someone else's traffic (issue 21),
 * one at a time, so the HTTP figures of `bench/per_request.ts` can be explained: forward-auth
 * (the key's hash, the warm key check, the limit steps, the identity and rate-limit headers),
 * Basic on GET /v2/token (a remembered header), introspection (decoding and verifying our JWS,
 * the revocation lookup), a refresh token's hash and seal, and what every token minted for such a
 * request adds (GET /v2/token: the policy's decision, the audit event). Each group's baseline is what a
 * bare echo does for the same request, so "vs baseline" reads as "how many of these fit in the
 * time of one echo".
 *
 *   deno bench --allow-env bench/consumers_bench.ts
 */

import { sealSuccessor } from "../src/accounts/refresh_seal.ts";
import { tokenHash } from "../src/accounts/service.ts";
import { KeyHasher } from "../src/apikeys/format.ts";
import { CredentialCache, parseBasicAuth } from "../src/identity/mod.ts";
import { decodeJws, verifyJws } from "../src/jose/mod.ts";
import { Limiter, Lockout, MemoryLimits } from "../src/limits/mod.ts";
import { AuditTrail, tokenEvent } from "../src/audit/mod.ts";
import { uuid7 } from "../src/audit/uuid7.ts";
import { createLogger, lineBuffer } from "../src/log/mod.ts";
import { evaluateAccess, parsePolicy, parseScopes } from "../src/policy/mod.ts";
import { admissionHeaders } from "../src/trust/mod.ts";
import { makeKeyInstance } from "../tests/helpers/api_keys.ts";
import { basicAuth, cheapHash, makeTestHandler } from "../tests/helpers/handler.ts";
import { hs256ConfigYaml } from "./fixture.ts";

const kp = await makeKeyInstance({
  clock: { t: Date.now() },
  extraYaml: "rate_limit: { per_address: { requests: 10000000, window_seconds: 60 } }\n" +
    'log_level: "error"\n',
});
setInterval(() => kp.advance(Date.now() - kp.services.now()), 50);
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
const cc = await kp.fetch("/oauth2/token", {
  method: "POST",
  headers: {
    authorization: basicAuth(key.key.id, key.raw),
    "content-type": "application/x-www-form-urlencoded",
  },
  body: "grant_type=client_credentials",
});
const ACCESS = (await cc.json()).access_token as string;
const INFO = { remoteAddr: "127.0.0.1" };
const GUESS = "kp_live_" + "Q".repeat(43);

// The headers forward-auth answers (identity and rate limit), as the same-I/O echo answers them.
const FWD_HEADERS = [
  ...(await kp.fetch("/forward-auth", { headers: { "x-api-key": key.raw } }))
    .headers,
].filter(([n]) => n !== "content-length" && n !== "date");

// --- forward-auth ----------------------------------------------------------------------------

Deno.bench({
  name: "echo work: Request, read one header, Response with forward-auth's headers",
  group: "forward-auth",
  baseline: true,
  async fn() {
    const req = new Request("http://kp/forward-auth", { headers: { "x-api-key": key.raw } });
    req.headers.get("x-api-key");
    await new Response(null, { headers: FWD_HEADERS }).arrayBuffer();
  },
});
Deno.bench({
  name: "handler: GET /forward-auth, accepted (warm key, three limit steps, usage counted)",
  group: "forward-auth",
  async fn() {
    const req = new Request("http://kp/forward-auth", { headers: { "x-api-key": key.raw } });
    await (await kp.handler(req, INFO)).arrayBuffer();
  },
});
let peer = 0;
Deno.bench({
  name: "handler: GET /forward-auth, unknown key from a new address each time (401)",
  group: "forward-auth",
  async fn() {
    const req = new Request("http://kp/forward-auth", { headers: { "x-api-key": GUESS } });
    const remoteAddr = `10.${(peer >> 16) & 255}.${(peer >> 8) & 255}.${peer++ & 255}`;
    await (await kp.handler(req, { remoteAddr })).arrayBuffer();
  },
});
const hasher = new KeyHasher(new TextEncoder().encode("p".repeat(40)));
Deno.bench({
  name: "key check: the peppered HMAC of a presented key (KeyHasher.hash)",
  group: "forward-auth",
  fn() {
    hasher.hash(key.raw);
  },
});
Deno.bench({
  name: "key check: ApiKeyService.check, warm (shape, hash, cache, status)",
  group: "forward-auth",
  fn() {
    kp.svc.check(key.raw);
  },
});
const limits = new MemoryLimits({ maxKeys: 20_000 });
const limiter = new Limiter(limits);
const lockout = new Lockout(limits);
const RULE = { requests: 1e9, windowSeconds: 60 };
Deno.bench({
  name: "limits: one rate step and its decision, memory",
  group: "forward-auth",
  fn() {
    const now = Date.now();
    limiter.decision(RULE, limits.rate(limiter.step("key:k", RULE), now), now);
  },
});
Deno.bench({
  name: "limits: one lock check, memory",
  group: "forward-auth",
  fn() {
    limits.locked(lockout.lockedStep("api_key:127.0.0.1").key, Date.now());
  },
});
const ADMISSION = { allowed: true, limit: 1000, remaining: 999, resetSeconds: 42 };
Deno.bench({
  name: "response: the rate-limit headers of a key (admissionHeaders)",
  group: "forward-auth",
  fn() {
    admissionHeaders(ADMISSION);
  },
});

// --- Basic ------------------------------------------------------------------------------------

const BASIC = basicAuth("alice", "bench-password");
const cache = new CredentialCache();
cache.rememberBasic(BASIC, "alice", "$pbkdf2-sha256$x", 0);
Deno.bench({
  name: "Basic: parseBasicAuth (decoding the header)",
  group: "basic",
  baseline: true,
  fn() {
    parseBasicAuth(BASIC);
  },
});
Deno.bench({
  name: "Basic: a remembered header (its HMAC, the policy's hash compared)",
  group: "basic",
  fn() {
    cache.basicUser(BASIC, () => "$pbkdf2-sha256$x", 1);
  },
});

// --- introspection ---------------------------------------------------------------------------

const INTROSPECT = basicAuth(introspector.key.id, introspector.raw);
Deno.bench({
  name: "echo work: Request with a form body, parsed, JSON Response",
  group: "introspection",
  baseline: true,
  async fn() {
    const req = new Request("http://kp/oauth2/introspect", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${ACCESS}`,
    });
    const form = new URLSearchParams(await req.text());
    await new Response(JSON.stringify({ active: true, token: form.get("token")!.length }), {
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    }).arrayBuffer();
  },
});
Deno.bench({
  name: "handler: POST /oauth2/introspect (key as client, an api token)",
  group: "introspection",
  async fn() {
    const req = new Request("http://kp/oauth2/introspect", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: INTROSPECT },
      body: `token=${ACCESS}`,
    });
    await (await kp.handler(req, INFO)).arrayBuffer();
  },
});
Deno.bench({
  name: "JWS: decodeJws (three segments, two JSON objects)",
  group: "introspection",
  fn() {
    decodeJws(ACCESS);
  },
});
const KEYS = kp.runtime.keyring.keys;
Deno.bench({
  name: "JWS: verifyJws HS256 given the decoded token (the HMAC, the claims)",
  group: "introspection",
  async fn() {
    await verifyJws(
      ACCESS,
      KEYS,
      { now: Math.floor(Date.now() / 1000), leeway: 0 },
      decodeJws(ACCESS),
    )
      .catch(() => {});
  },
});
const REVOCATIONS = kp.services.revocations;
Deno.bench({
  name: "revocation: the list's lookup for a token's facts (jti, key, org, subject)",
  group: "introspection",
  fn() {
    REVOCATIONS.revoked({ jti: "j", keyId: key.key.id, org: "bench", subject: key.key.id, iat: 1 });
  },
});

// --- refresh ----------------------------------------------------------------------------------

const RT = `kprt_${"a".repeat(64)}`;
Deno.bench({
  name: "refresh: the token's SHA-256 (synchronous)",
  group: "refresh",
  baseline: true,
  async fn() {
    await tokenHash(RT);
  },
});
Deno.bench({
  name: "refresh: seal the successor (HKDF in JavaScript, AES-GCM in Web Crypto)",
  group: "refresh",
  async fn() {
    await sealSuccessor(RT, `kprt_${"b".repeat(64)}`);
  },
});

// --- minting (GET /v2/token) ------------------------------------------------------------------

const REGISTRY_POLICY =
  `users:\n  alice:\n    password_hash: "${await cheapHash("bench-password")}"\n` +
  '    repos: ["alice/*"]\n    actions: ["pull", "push"]\n';
const registry = await makeTestHandler({
  configYaml: hs256ConfigYaml("secret", [
    'services: ["registry"]',
    'policy_path: "policy.yaml"',
  ]),
  files: { secret: "0123456789abcdef0123456789abcdef-bench", "policy.yaml": REGISTRY_POLICY },
});
const V2 = "http://kp/v2/token?service=registry&scope=repository:alice/app:pull,push";
const V2_BODY = await (await registry.fetch(V2.slice(9), { headers: { authorization: BASIC } }))
  .text();
Deno.bench({
  name: "echo work: Request with one header, a JSON Response of /v2/token's size",
  group: "minting",
  baseline: true,
  async fn() {
    const req = new Request(V2, { headers: { authorization: BASIC } });
    req.headers.get("authorization");
    await new Response(JSON.stringify({ token: V2_BODY }), {
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    }).arrayBuffer();
  },
});
Deno.bench({
  name: "handler: GET /v2/token HS256 (remembered Basic, policy, mint, audit event)",
  group: "minting",
  async fn() {
    const res = await registry.handler(
      new Request(V2, { headers: { authorization: BASIC } }),
      INFO,
    );
    await res.arrayBuffer();
    registry.logLines.length = 0;
  },
});
const POLICY = parsePolicy(REGISTRY_POLICY, "policy.yaml");
Deno.bench({
  name: "policy: parse the scope and decide (what a remembered decision saves)",
  group: "minting",
  fn() {
    evaluateAccess(POLICY, "alice", parseScopes(["repository:alice/app:pull,push"]));
  },
});
const auditOut = lineBuffer(() => {});
const trail = new AuditTrail({
  logger: createLogger({
    level: "error",
    write: (l) => auditOut.write(l + "\n"),
    now: () => new Date(),
  }),
  sink: { add() {} },
});
const MINTED = {
  jti: "2dfab5dbb886d3abf9c2e5ebeb253fe2",
  ttl: 300,
  alg: "HS256",
  claims: {
    sub: "alice",
    aud: "registry",
    exp: 1_796_516_631,
    access: [{ type: "repository", name: "alice/app", actions: ["pull", "push"] }],
  },
};
Deno.bench({
  name: "audit: one token.issued event (id, log line, queued for the store)",
  group: "minting",
  fn() {
    trail.record(tokenEvent("registry", MINTED, { kind: "user", id: "alice" }, "10.0.0.1"));
  },
});
Deno.bench({
  name: "audit: one UUIDv7 (the event's id)",
  group: "minting",
  fn() {
    uuid7(Date.now());
  },
});
