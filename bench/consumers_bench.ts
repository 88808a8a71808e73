/**
 * The layers of the endpoints that run on every request of someone else's traffic (issue 21),
 * one at a time, so the HTTP figures of `bench/per_request.ts` can be explained: forward-auth
 * (the key's hash, the warm key check, the limit steps, the identity and rate-limit headers),
 * Basic on GET /v2/token (a remembered header), introspection (decoding and verifying our JWS,
 * the revocation lookup), and a refresh token's hash and seal. Each group's baseline is what a
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
import { admissionHeaders } from "../src/trust/mod.ts";
import { makeKeyInstance } from "../tests/helpers/api_keys.ts";
import { basicAuth } from "../tests/helpers/handler.ts";

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
