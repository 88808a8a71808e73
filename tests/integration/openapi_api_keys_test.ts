/**
 * The OpenAPI document's API key operations against the real answers: each answer's status is
 * documented, and its JSON body has every required field of the documented schema and no field
 * the schema does not name (so the document and the keyguard-compatible handlers cannot drift).
 */

import assert from "node:assert/strict";
import { makeKeyInstance } from "../helpers/api_keys.ts";
import { checkDocumented as check, PATHS } from "../helpers/openapi.ts";

type Json = Record<string, unknown>;

Deno.test("openapi: admin API answers match the documented schemas (keyguard field names)", async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("ops");
    const admin = await kp.svc.createKey({ orgName: "ops", label: "admin", scopes: ["admin"] });
    const h = { "x-admin-key": admin.raw, "content-type": "application/json" };
    const call = (method: string, path: string, body?: Json) =>
      kp.fetch(path, {
        method,
        headers: h,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    await check(await call("POST", "/admin/orgs", { name: "acme" }), "/admin/orgs", "post");
    await check(await call("POST", "/admin/orgs", { name: "acme" }), "/admin/orgs", "post"); // 409
    await check(await call("GET", "/admin/orgs"), "/admin/orgs", "get");
    const created = await check(
      await call("POST", "/admin/keys", {
        org_name: "acme",
        label: "ci",
        rate_limit_per_minute: 100,
        scopes: ["read"],
        audiences: ["api"],
        claims: { tier: "gold" },
        monthly_quota: 1000,
        expires_in_seconds: 3600,
      }),
      "/admin/keys",
      "post",
    );
    const id = created.id as string;
    await check(await call("POST", "/admin/keys", { label: "x" }), "/admin/keys", "post"); // 400
    await check(await call("GET", "/admin/keys?org_name=acme"), "/admin/keys", "get");
    await check(await call("GET", `/admin/keys/${id}`), "/admin/keys/{id}", "get");
    await check(await call("GET", "/admin/keys/nope"), "/admin/keys/{id}", "get"); // 404
    const rolled = await check(
      await call("POST", `/admin/keys/${id}/roll`, { grace_seconds: 60 }),
      "/admin/keys/{id}/roll",
      "post",
    );
    await check(await call("DELETE", `/admin/keys/${rolled.id}`), "/admin/keys/{id}", "delete");
    await check(
      await call("POST", `/admin/keys/${rolled.id}/roll`, {}),
      "/admin/keys/{id}/roll",
      "post",
    ); // 409
    await check(
      await call("POST", "/admin/orgs/acme/suspend"),
      "/admin/orgs/{name}/suspend",
      "post",
    );
    await check(await call("POST", "/admin/orgs/acme/resume"), "/admin/orgs/{name}/resume", "post");
    await check(await call("GET", "/admin/stats"), "/admin/stats", "get");
    await check(
      await call("POST", "/admin/blocks", { kind: "address", value: "10.9.9.9", reason: "abuse" }),
      "/admin/blocks",
      "post",
    );
    await check(await call("GET", "/admin/blocks"), "/admin/blocks", "get");
    await check(
      await call("DELETE", "/admin/blocks/address/10.9.9.9"),
      "/admin/blocks/{kind}/{value}",
      "delete",
    );
    const anonymous = await kp.fetch("/admin/stats", {});
    await check(anonymous, "/admin/stats", "get"); // 401
  } finally {
    await kp.close();
  }
});

Deno.test("openapi: forward-auth and oauth2/token answers match the documented schemas", async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("acme");
    const { key, raw } = await kp.svc.createKey({
      orgName: "acme",
      label: "ci",
      scopes: ["read"],
      rateLimitPerMinute: 5,
    });
    const ok = await kp.fetch("/forward-auth", { headers: { "x-api-key": raw } });
    await check(ok, "/forward-auth", "get");
    const headers = (PATHS["/forward-auth"].get.responses as Record<string, Json>)["200"]
      .headers as Json;
    for (const name of ok.headers.keys()) {
      if (name.startsWith("x-auth-") || name.includes("ratelimit")) {
        assert.ok(
          Object.keys(headers).some((h) => h.toLowerCase() === name),
          `header ${name} is documented`,
        );
      }
    }
    await check(await kp.fetch("/forward-auth", {}), "/forward-auth", "get"); // 401
    await check(
      await kp.fetch("/forward-auth?scope=write", { headers: { "x-api-key": raw } }),
      "/forward-auth",
      "get",
    ); // 403
    const form = (f: Record<string, string>) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(f).toString(),
    });
    await check(
      await kp.fetch(
        "/oauth2/token",
        form({ grant_type: "client_credentials", client_id: key.id, client_secret: raw }),
      ),
      "/oauth2/token",
      "post",
    );
    for (
      const bad of <Record<string, string>[]> [
        { grant_type: "password" },
        { grant_type: "client_credentials", client_id: key.id, client_secret: raw + "x" },
        { grant_type: "client_credentials", client_id: key.id, client_secret: raw, scope: "x" },
      ]
    ) {
      await check(await kp.fetch("/oauth2/token", form(bad)), "/oauth2/token", "post");
    }
  } finally {
    await kp.close();
  }
});
