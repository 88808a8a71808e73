import assert from "node:assert/strict";
import { AuditTrail } from "../audit/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { createLogger } from "../log/mod.ts";
import type { AuditRecord } from "../store/mod.ts";
import { settleAudit } from "./audit.ts";
import type { AppRoute, Ctx } from "./services.ts";

const ROUTE = {
  method: "POST",
  template: "/admin/keys/{id}/roll",
  caller: { accepts: ["api_key"], anonymous: "never" },
  body: "json",
  style: "keypebble",
  handle: () => new Response(),
  audit: { action: "key.rolled", target: "id", org: "org_name" },
} as unknown as AppRoute;

const KEY_CALLER = {
  kind: "api_key",
  subject: "k-admin",
  method: "api_key",
  key: { id: "k-admin", orgName: "acme" },
};

/** A request context with just what settleAudit reads, and the events it recorded. */
function ctxOf(over: Record<string, unknown> = {}): { ctx: Ctx; got: AuditRecord[] } {
  const got: AuditRecord[] = [];
  const audit = new AuditTrail({
    logger: createLogger({ level: "info", write: () => {}, now: () => new Date() }),
    sink: { add: (r) => got.push(r) },
  });
  const ctx = {
    caller: KEY_CALLER,
    params: { id: "k-1" },
    json: { org_name: "acme" },
    jsonValue: undefined,
    client: { address: "192.0.2.1", known: true },
    services: { audit },
    ...over,
  } as unknown as Ctx;
  return { ctx, got };
}

Deno.test("settleAudit(): success, an authenticated caller's 403/404, and a failure after a noted change are recorded", () => {
  const ok = ctxOf();
  settleAudit(ok.ctx, ROUTE, 201);
  assert.equal(ok.got.length, 1);
  assert.deepEqual(
    [ok.got[0].action, ok.got[0].outcome, ok.got[0].actor, ok.got[0].target, ok.got[0].org],
    ["key.rolled", "success", "k-admin", "k-1", "acme"],
  );
  assert.equal(ok.got[0].client, "192.0.2.1");

  const denied = ctxOf({ json: { org_name: "globex" } });
  settleAudit(denied.ctx, ROUTE, 403, KeypebbleError.answer("forbidden", "no"));
  assert.equal(denied.got[0].outcome, "forbidden");
  assert.equal(denied.got[0].org, "acme", "a refusal is filed under the caller's organisation");

  const hidden = ctxOf();
  settleAudit(hidden.ctx, ROUTE, 404, KeypebbleError.answer("not_found", "no"));
  assert.equal(hidden.got[0].outcome, "not_found");

  const failed = ctxOf({ audit: { org: "acme", details: { successor: "k-2" } } });
  settleAudit(failed.ctx, ROUTE, 503, new KeypebbleError("store_unavailable", "down"));
  assert.equal(failed.got[0].outcome, "store_unavailable");
  assert.equal((failed.got[0].details as Record<string, unknown>).successor, "k-2");
});

Deno.test("settleAudit(): anonymous refusals, bad input, failures before any change and skips are not recorded", () => {
  const cases: [Record<string, unknown>, number][] = [
    [{ caller: null }, 401],
    [{ caller: null }, 403],
    [{}, 400],
    [{}, 409],
    [{}, 429],
    [{}, 503],
    [{ audit: { skip: true } }, 200],
  ];
  for (const [over, status] of cases) {
    const c = ctxOf(over);
    settleAudit(c.ctx, ROUTE, status);
    assert.deepEqual(c.got, [], `${JSON.stringify(over)} ${status}`);
  }
  const noAudit = ctxOf();
  settleAudit(noAudit.ctx, { ...ROUTE, audit: undefined } as unknown as AppRoute, 200);
  assert.deepEqual(noAudit.got, []);
});

Deno.test("settleAudit(): the handler's note wins; a token's kind and jti noted become the event's own", () => {
  const c = ctxOf({
    audit: { action: "token.revoked", target: "alice", details: { kind: "account", jti: "j-9" } },
  });
  settleAudit(c.ctx, ROUTE, 200);
  const e = c.got[0];
  assert.deepEqual([e.action, e.target, e.kind, e.jti], [
    "token.revoked",
    "alice",
    "account",
    "j-9",
  ]);
  assert.deepEqual(e.details, {});
  // A target from the body is cut to 256 characters.
  const long = ctxOf({ params: {}, json: { id: "x".repeat(1000) } });
  settleAudit(long.ctx, ROUTE, 200);
  assert.equal(long.got[0].target.length, 256);
  // The action may depend on the request.
  const fn = ctxOf({ jsonValue: { status: "suspended" } });
  settleAudit(fn.ctx, {
    ...ROUTE,
    audit: {
      action: (x: Ctx) =>
        (x.jsonValue as { status: string }).status === "suspended" ? "account.suspended" : "x",
    },
  } as unknown as AppRoute, 200);
  assert.equal(fn.got[0].action, "account.suspended");
});
