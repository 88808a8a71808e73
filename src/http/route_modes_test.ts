import assert from "node:assert/strict";
import type { Services } from "./context.ts";
import { declForQuery, type RouteDecl, RouteIndex } from "./route.ts";

const decl = (over: Partial<RouteDecl<Services>>): RouteDecl<Services> => ({
  method: "GET",
  template: "/check",
  caller: { accepts: ["api_key"], anonymous: "never" },
  body: "none",
  style: "keypebble",
  handle: () => new Response(null),
  ...over,
});

Deno.test("RouteIndex: a query mode is chosen by its parameter; without it, the route's declaration", () => {
  const base = decl({});
  const mode = decl({ queryMode: "limit", caller: { accepts: [], anonymous: "always" } });
  const idx = new RouteIndex([base, mode, decl({ method: "POST" })]);
  const { route } = idx.match("/check")!;
  assert.deepEqual(Object.keys(route.methods).sort(), ["GET", "POST"], "a mode is no method");
  assert.equal(declForQuery(route, base, new URLSearchParams("")), base);
  assert.equal(declForQuery(route, base, new URLSearchParams("scope=a")), base);
  assert.equal(declForQuery(route, base, new URLSearchParams("LIMIT=a")), base);
  assert.equal(declForQuery(route, base, new URLSearchParams("limit=a")), mode);
  assert.equal(declForQuery(route, base, new URLSearchParams("limit")), mode);
  const post = route.methods.POST;
  assert.equal(declForQuery(route, post, new URLSearchParams("limit=a")), post, "per method");
});

Deno.test("RouteIndex: a mode needs its route's declaration and is declared once", () => {
  assert.throws(() => new RouteIndex([decl({ queryMode: "limit" })]), /no declaration/);
  assert.throws(
    () => new RouteIndex([decl({}), decl({ queryMode: "x" }), decl({ queryMode: "x" })]),
    /twice/,
  );
});
