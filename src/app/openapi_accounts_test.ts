import assert from "node:assert/strict";
import { ROUTE_TABLE } from "./routes.ts";
import { ACCOUNT_OPENAPI_PATHS } from "../accounts_api/openapi_paths.ts";

Deno.test("the issue-13 OpenAPI paths describe exactly the account and revocation routes served", () => {
  const mine = ROUTE_TABLE.filter((d) =>
    d.template.startsWith("/api/v1/auth/") || d.template.startsWith("/api/v1/groups") ||
    d.template === "/oauth2/introspect" || d.template === "/oauth2/revoke"
  ).map((d) => `${d.method} ${d.template}`).sort();
  const described = Object.entries(ACCOUNT_OPENAPI_PATHS).flatMap(([t, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${t}`)
  ).sort();
  assert.deepEqual(described, mine);
  for (const [t, item] of Object.entries(ACCOUNT_OPENAPI_PATHS)) {
    const inPath = [...t.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [m, o] of Object.entries(item)) {
      const params = ((o as { parameters?: { in: string; name: string }[] }).parameters ?? [])
        .filter((p) => p.in === "path").map((p) => p.name).sort();
      assert.deepEqual(params, inPath, `${m} ${t}`);
    }
  }
});
