/**
 * `GET /admin/clients`: the OAuth2 clients declared in the config, for root principals only,
 * never with a secret or its hash (the console's clients page reads it).
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";
import { checkDocumented } from "../helpers/openapi.ts";

const HASH = "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$" + "A".repeat(43);

Deno.test("admin clients: declared clients without secrets, for root principals only", async () => {
  const kp = await makeAccountInstance({
    extraYaml: [
      "oauth:",
      "  clients:",
      "    - id: billing",
      `      secret_hash: "${HASH}"`,
      "      audiences: [billing-api]",
      "      scopes: [read]",
      "",
    ].join("\n"),
  });
  try {
    await kp.svc.createOrg("acme");
    const root = (await kp.user("root@example.com", { role: "superadmin" })).access;
    const orgAdmin = (await kp.user("a@acme.test", { role: "org_admin", orgId: "acme" })).access;
    const res = await kp.fetch("/admin/clients", { headers: bearer(root) });
    assert.equal(res.status, 200);
    const text = await res.clone().text();
    const body = await checkDocumented(res, "/admin/clients", "get");
    // Sign-in clients (with redirect_uris) are listed too: tests/integration/signin_admin_test.ts.
    assert.equal(body.total, 1);
    const [billing] = body.clients as Record<string, unknown>[];
    assert.equal(billing.id, "billing");
    assert.equal(billing.source, "config");
    assert.equal(billing.public, false);
    assert.deepEqual(billing.audiences, ["billing-api"]);
    assert.ok(!text.includes("pbkdf2") && !text.includes("secret"), "never a secret or its hash");
    const refused = await kp.fetch("/admin/clients", { headers: bearer(orgAdmin) });
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
  } finally {
    await kp.close();
  }
});
