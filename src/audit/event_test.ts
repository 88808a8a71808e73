import assert from "node:assert/strict";
import { createLogger } from "../log/mod.ts";
import { actorOf, ANONYMOUS, auditJson, tokenEvent } from "./event.ts";
import { AuditTrail } from "./trail.ts";
import type { AuditRecord } from "../store/mod.ts";

const MINTED = {
  token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SECRET-SIGNATURE",
  claims: {
    iss: "https://kp.test",
    sub: "alice",
    aud: "registry.test",
    access: [{ type: "repository", name: "alice/app", actions: ["pull"] }],
    email: "alice@example.com",
    exp: 2000,
    jti: "j-1",
  },
  payload: "{}",
  ttl: 300,
  jti: "j-1",
  alg: "HS256",
  dropped: [],
};

Deno.test("tokenEvent() records what a token grants and to whom, never the token or other claims", () => {
  const e = tokenEvent("registry", MINTED, { kind: "user", id: "alice" }, "192.0.2.1");
  assert.deepEqual(e, {
    action: "token.issued",
    actor: { kind: "user", id: "alice" },
    target: "alice",
    client: "192.0.2.1",
    kind: "registry",
    jti: "j-1",
    details: {
      sub: "alice",
      aud: "registry.test",
      access: MINTED.claims.access,
      exp: 2000,
      ttl: 300,
      alg: "HS256",
    },
  });
  assert.ok(!JSON.stringify(e).includes("SECRET"));
  assert.ok(!JSON.stringify(e).includes("alice@example.com"), "custom claims are not copied");
  // A token without a subject is named by its jti; an API key's token carries its org.
  const anon = tokenEvent("auth", { ...MINTED, claims: { exp: 1 } }, ANONYMOUS);
  assert.equal(anon.target, "j-1");
  const api = tokenEvent("api", { ...MINTED, claims: { sub: "k1", org: "acme" } }, ANONYMOUS);
  assert.equal(api.org, "acme");
  const acc = tokenEvent(
    "account",
    { ...MINTED, claims: { sub: "u1", org_id: "beta" } },
    ANONYMOUS,
  );
  assert.equal(acc.org, "beta");
});

Deno.test("actorOf() names every kind of caller by its subject, with the organisation of keys and accounts", () => {
  assert.deepEqual(actorOf(null), { kind: "anonymous", id: "anonymous" });
  assert.deepEqual(actorOf({ kind: "user", subject: "alice", method: "basic" }), {
    kind: "user",
    id: "alice",
  });
  assert.deepEqual(
    actorOf({ kind: "spiffe", subject: "spiffe://example.org/w", method: "mtls" }),
    { kind: "spiffe", id: "spiffe://example.org/w" },
  );
});

Deno.test("the trail writes one audit line at once, whatever the log level, and hands the event to its sink", () => {
  const lines: string[] = [];
  const got: AuditRecord[] = [];
  const trail = new AuditTrail({
    logger: createLogger({
      level: "error",
      write: (l) => lines.push(l),
      now: () => new Date(Date.UTC(2026, 0, 2)),
    }),
    sink: { add: (r) => got.push(r) },
    now: () => Date.UTC(2026, 0, 2),
  });
  const r = trail.record({
    action: "key.created",
    actor: { kind: "api_key", id: "k-root", org: "ops" },
    target: "k-2",
    org: "acme",
    client: "192.0.2.1",
    details: { scopes: ["read"], id: "forged", action: "forged" },
  });
  assert.equal(got.length, 1);
  assert.equal(got[0], r);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(line).slice(0, 3), ["time", "level", "event"]);
  assert.equal(line.event, "audit");
  assert.equal(line.level, "info");
  assert.equal(line.id, r.id, "details never overwrite the event's own fields");
  assert.equal(line.action, "key.created");
  assert.equal(line.actor, "k-root");
  assert.equal(line.actor_kind, "api_key");
  assert.equal(line.org, "acme");
  assert.deepEqual(line.scopes, ["read"]);
  // The API's shape: the same fields, with `at`.
  assert.equal(auditJson(r).at, "2026-01-02T00:00:00.000Z");
  // Without an organisation of its own the event takes the actor's.
  const r2 = trail.record({
    action: "block.created",
    actor: { kind: "api_key", id: "k", org: "ops" },
    target: "x",
  });
  assert.equal(r2.org, "ops");
  assert.equal(r2.outcome, "success");
});
