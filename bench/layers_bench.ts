/**
 * In-process benchmarks of every layer a request crosses, one at a time, so the HTTP figures of
 * `deno task bench` can be explained: URL parsing, routing, header checks, limits, identity, body
 * reading, claim building, signing (more in claims_bench.ts and jose_bench.ts), metrics, logging,
 * response building, error responses, the server adapter's request deadline, and the whole
 * handler without a socket. The `request` group's
 * baseline is the bare echo's own work (build the Request, parse its JSON, build the Response),
 * so "vs baseline" reads as "how many of our requests fit in the time of one echo".
 *
 *   deno bench --allow-env bench/layers_bench.ts
 */

import { errorResponse, rawPath, responseForError } from "../src/http/mod.ts";
import { readHeadersOf, ROUTE_INDEX } from "../src/app/mod.ts";
import { json, jsonText } from "../src/http/responses.ts";
import { filterCustomClaims } from "../src/claims/mod.ts";
import { mint } from "../src/profiles/mod.ts";
import { readJsonObject } from "../src/http/body.ts";
import { KeypebbleError } from "../src/errors.ts";
import { cidrContains, parseBasicAuth, parseCidr } from "../src/identity/mod.ts";
import { Limiter, Lockout, MemoryLimits } from "../src/limits/mod.ts";
import { AuditTrail, tokenEvent } from "../src/audit/mod.ts";
import { createLogger } from "../src/log/mod.ts";
import { createKeypebbleMetrics } from "../src/metrics/mod.ts";
import { withRequestDeadline } from "../src/server/deadline.ts";
import { makeTestHandler } from "../tests/helpers/handler.ts";
import { AUTH_BODY, hs256ConfigYaml } from "./fixture.ts";

const URL_TEXT = "http://127.0.0.1:8080/v2/token?service=registry&scope=repository:a/b:pull";

const kp = await makeTestHandler({
  configYaml: hs256ConfigYaml("secret"),
  files: { secret: "0123456789abcdef0123456789abcdef-bench" },
});
const INFO = { remoteAddr: "127.0.0.1" };

// --- whole requests, in process (no socket) ------------------------------------------------

Deno.bench({
  name: "bare echo work: new Request + JSON.parse + JSON Response",
  group: "request",
  baseline: true,
  async fn() {
    const req = new Request("http://kp/auth", { method: "POST", body: AUTH_BODY });
    const body = JSON.parse(await req.text());
    await new Response(JSON.stringify({ token: "x".repeat(300), claims: body }), {
      headers: { "content-type": "application/json" },
    }).text();
  },
});
Deno.bench({
  name: "handler: POST /auth HS256",
  group: "request",
  async fn() {
    const req = new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: AUTH_BODY,
    });
    await (await kp.handler(req, INFO)).text();
  },
});
Deno.bench({
  name: "handler: GET /healthz",
  group: "request",
  async fn() {
    await (await kp.handler(new Request("http://kp/healthz"), INFO)).text();
  },
});
Deno.bench({
  name: "handler: GET /.well-known/jwks.json",
  group: "request",
  async fn() {
    await (await kp.handler(new Request("http://kp/.well-known/jwks.json"), INFO)).text();
  },
});
Deno.bench({
  name: "handler: unknown path (404)",
  group: "request",
  async fn() {
    await (await kp.handler(new Request("http://kp/nope"), INFO)).text();
  },
});

// --- layers -------------------------------------------------------------------------------

Deno.bench({
  name: "URL parsing: new URL(req.url)",
  group: "layers",
  baseline: true,
  fn() {
    new URL(URL_TEXT);
  },
});
Deno.bench({
  name: "URL parsing: rawPath(req.url) (what routing reads; new URL only when a route needs it)",
  group: "layers",
  fn() {
    rawPath(URL_TEXT);
  },
});
Deno.bench({
  name: "routing: ROUTE_INDEX.match (static path)",
  group: "layers",
  fn() {
    ROUTE_INDEX.match("/auth");
  },
});
Deno.bench({
  name: "routing: ROUTE_INDEX.match (templated Kubernetes path)",
  group: "layers",
  fn() {
    ROUTE_INDEX.match("/api/v1/namespaces/default/serviceaccounts/builder/token");
  },
});
const HEADERS = new Headers({
  "content-type": "application/json",
  "accept": "*/*",
  "host": "127.0.0.1:8080",
});
// The handler checks each header the route reads against limits.max_header_bytes.
const AUTH_READS = readHeadersOf(ROUTE_INDEX.match("/auth")!.route.methods.POST);
Deno.bench({
  name: `header checks: POST /auth's ${AUTH_READS.length} headers.get + length (as the handler)`,
  group: "layers",
  fn() {
    for (const n of AUTH_READS) {
      const v = HEADERS.get(n);
      if (v !== null && v.length > 8192) throw new Error("too long");
    }
  },
});
const limits = new MemoryLimits({ maxKeys: 10_000 });
const limiter = new Limiter(limits);
const RULE = { requests: 1e9, windowSeconds: 60 };
let n = 0;
Deno.bench({
  name: "limits: Limiter.check, memory (10k keys cycling)",
  group: "layers",
  fn() {
    limiter.check(`addr:10.0.${(n >> 8) & 255}.${n++ & 255}`, RULE, Date.now());
  },
});
const lockout = new Lockout(limits);
Deno.bench({
  name: "limits: Lockout.state, memory",
  group: "layers",
  fn() {
    lockout.state("user:alice", Date.now());
  },
});
const TRUSTED = [parseCidr("10.0.0.0/8"), parseCidr("fd00::/8")];
Deno.bench({
  name: "identity: cidrContains (trusted proxies, miss)",
  group: "layers",
  fn() {
    cidrContains(TRUSTED, "127.0.0.1");
  },
});
const BASIC = `Basic ${btoa("alice:bench-password")}`;
Deno.bench({
  name: "identity: parseBasicAuth",
  group: "layers",
  fn() {
    parseBasicAuth(BASIC);
  },
});
Deno.bench({
  name: "body reading: readJsonObject (Request with JSON body)",
  group: "layers",
  async fn() {
    const req = new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-length": String(AUTH_BODY.length) },
      body: AUTH_BODY,
    });
    await readJsonObject(req, { maxBodyBytes: 65536, maxJsonDepth: 32 });
  },
});
const metrics = createKeypebbleMetrics({ version: "bench", runtime: "deno" });
Deno.bench({
  name: "metrics: counter labels+inc and histogram observe",
  group: "layers",
  fn() {
    metrics.httpRequests.labels("/auth", "POST", "200").inc();
    metrics.httpDuration.labels("/auth").observe(0.0003);
  },
});
const quiet = createLogger({ level: "error", write: () => {}, now: () => new Date() });
const loud = createLogger({ level: "info", write: () => {}, now: () => new Date() });
Deno.bench({
  name: "logging: access line filtered out (log_level error)",
  group: "layers",
  fn() {
    if (quiet.level === "debug" || quiet.level === "info") quiet.info("request", {});
  },
});
Deno.bench({
  name: "logging: access line written (log_level info, no-op sink)",
  group: "layers",
  fn() {
    loud.info("request", {
      method: "POST",
      route: "/auth",
      status: 200,
      duration_ms: 0.12,
      remote: "127.0.0.1",
      sub: "edge-0042",
    });
  },
});
const AUDITED = { add() {} };
const trail = new AuditTrail({ logger: loud, sink: AUDITED });
const MINTED_FACTS = {
  claims: { sub: "edge-0042", aud: "bench", exp: 2_000_000_000, scope: "read write" },
  jti: "0123456789abcdef0123456789abcdef",
  ttl: 3600,
  alg: "HS256",
};
Deno.bench({
  name: "audit: token.issued event (id, log line to a no-op sink, queued for the store)",
  group: "layers",
  fn() {
    trail.record(tokenEvent("auth", MINTED_FACTS, { kind: "user", id: "edge" }, "127.0.0.1"));
  },
});
const AUTH_PROFILE = kp.runtime.profiles.auth;
const NOW = Math.floor(Date.now() / 1000);
Deno.bench({
  name: "claim building: filter the body's claims (allowed_custom_claims)",
  group: "layers",
  fn() {
    filterCustomClaims(JSON.parse(AUTH_BODY), ["sub", "edge_id", "roles"], "ttl_seconds");
  },
});
Deno.bench({
  name: "claim building + signing: mint() an /auth token, HS256 (one JSON.stringify)",
  group: "layers",
  async fn() {
    await mint(AUTH_PROFILE, {
      now: NOW,
      claims: { edge_id: "e42", roles: ["controller"] },
      subject: "edge-0042",
      record: () => {}, // the signing path alone: the server's recorder is measured end to end
    });
  },
});
const SIGNER = AUTH_PROFILE.signer;
const PAYLOAD = JSON.stringify({
  aud: "bench",
  edge_id: "e42",
  roles: ["controller"],
  sub: "edge-0042",
  iss: "https://keypebble.bench",
  iat: NOW,
  nbf: NOW,
  exp: NOW + 3600,
  jti: "0123456789abcdef0123456789abcdef",
});
Deno.bench({
  name: "signing: JwsSigner.signBytes HS256 (base64url + HMAC of a serialised payload)",
  group: "layers",
  async fn() {
    await SIGNER.signBytes(PAYLOAD);
  },
});
const TOKEN = await SIGNER.signBytes(PAYLOAD);
Deno.bench({
  name: "response building: jsonText() of the /auth answer (claims as signed, no 2nd stringify)",
  group: "layers",
  fn() {
    jsonText(`{"token":"${TOKEN}","claims":${PAYLOAD},"expires_in":3600}`);
  },
});
Deno.bench({
  name: "response building: json() of a token answer",
  group: "layers",
  fn() {
    json({ token: "x".repeat(300), expires_in: 3600, token_type: "Bearer" });
  },
});
Deno.bench({
  name: "error response: errorResponse(not_found) built, not thrown (404/405/431)",
  group: "layers",
  fn() {
    errorResponse("not_found", 'No route for "/nope"');
  },
});
Deno.bench({
  name: "error response: responseForError(not_found)",
  group: "layers",
  fn() {
    responseForError(new KeypebbleError("not_found", 'No route for "/nope"'));
  },
});
Deno.bench({
  name: "error response: responseForError(KeypebbleError.answer(unauthorized)) with a challenge",
  group: "layers",
  fn() {
    responseForError(
      KeypebbleError.answer("unauthorized", "Authentication is required", {
        headers: CHALLENGE,
      }),
    );
  },
});
Deno.bench({
  name: "error response: construct + throw + catch KeypebbleError (stack captured)",
  group: "layers",
  fn() {
    try {
      throw new KeypebbleError("not_found", 'No route for "/nope"');
    } catch (e) {
      if (!(e instanceof KeypebbleError)) throw e;
    }
  },
});
Deno.bench({
  name: "error response: KeypebbleError.answer + throw + catch (token routes' 400/401/403/429)",
  group: "layers",
  fn() {
    try {
      throw KeypebbleError.answer("unauthorized", "Authentication is required", {
        headers: CHALLENGE,
      });
    } catch (e) {
      if (!(e instanceof KeypebbleError)) throw e;
    }
  },
});
Deno.bench({
  name: "error response: KeypebbleError.answer thrown through 3 async frames",
  group: "layers",
  async fn() {
    try {
      await _frames(3);
    } catch (e) {
      if (!(e instanceof KeypebbleError)) throw e;
    }
  },
});
Deno.bench({
  name: "error response: new KeypebbleError thrown through 3 async frames (stack captured)",
  group: "layers",
  async fn() {
    try {
      await _frames(3, true);
    } catch (e) {
      if (!(e instanceof KeypebbleError)) throw e;
    }
  },
});

const CHALLENGE = { "www-authenticate": 'Basic realm="Keypebble", charset="UTF-8"' };

async function _frames(n: number, stack = false): Promise<void> {
  if (n > 1) return await _frames(n - 1, stack);
  await Promise.resolve();
  throw stack
    ? new KeypebbleError("unauthorized", "Authentication is required", { headers: CHALLENGE })
    : KeypebbleError.answer("unauthorized", "Authentication is required", { headers: CHALLENGE });
}

const OK = Promise.resolve(new Response(null));
const deadlined = withRequestDeadline(() => OK, 10);
const POST_HEADERS = { "content-type": "application/json", "content-length": "58" };
Deno.bench({
  name: "server adapter: request deadline around a POST (header check, pending set)",
  group: "layers",
  async fn(b) {
    const req = new Request("http://kp/auth", {
      method: "POST",
      headers: POST_HEADERS,
      body: AUTH_BODY,
    });
    b.start();
    await deadlined(req, INFO);
    b.end();
  },
});
