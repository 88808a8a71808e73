/**
 * The OpenAPI document's account and OAuth2 operations (issue 13) against the real answers: the
 * password, refresh_token and token-exchange grants of `POST /oauth2/token`, introspection,
 * revocation and pico-auth's login and refresh. Each status is documented and each JSON body has
 * exactly the documented fields (tests/helpers/openapi.ts).
 */

import assert from "node:assert/strict";
import { hashPassword } from "../../src/identity/mod.ts";
import { makeAccountInstance } from "../helpers/accounts.ts";
import { checkDocumented as check } from "../helpers/openapi.ts";

const SECRET = "ci-secret-0123456789abcdef";

Deno.test("openapi: the grants, introspection, revocation and pico-auth login answer as documented", async () => {
  const hash = await hashPassword(SECRET, { iterations: 1000 });
  const kp = await makeAccountInstance({
    extraYaml: `oauth:
  clients:
    - id: ci
      secret_hash: "${hash}"
      audiences: [deploy-api]
      scopes: [deploy]
  exchange_audiences: [deploy-api]
  token_exchange: true
`,
  });
  const basic = { authorization: `Basic ${btoa(`ci:${SECRET}`)}` };
  const form = (path: string, params: Record<string, string>, headers = {}) =>
    kp.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(params).toString(),
    });
  const token = (params: Record<string, string>, headers = {}) =>
    form("/oauth2/token", params, headers).then((r) => check(r, "/oauth2/token", "post"));
  try {
    const u = await kp.user("doc@example.com", { role: "operator" });
    const pw = await token({
      grant_type: "password",
      username: "doc@example.com",
      password: u.password,
    });
    await token({ grant_type: "password", username: "doc@example.com", password: "wrong-pw" });
    const refreshed = await token({
      grant_type: "refresh_token",
      refresh_token: pw.refresh_token as string,
    });
    assert.match(String(refreshed.refresh_token), /^kprt_/, "the grants answered 200");
    await token({ grant_type: "client_credentials", scope: "deploy" }, basic);
    await token({ grant_type: "client_credentials" }, { authorization: "Basic eDp5" }); // 401
    const exchanged = await token({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: refreshed.access_token as string,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: "deploy-api",
    });
    assert.equal(exchanged.issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
    await token({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: "x.y.z",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    }); // 400
    await token({ grant_type: "device_code" }); // unsupported_grant_type
    for (const t of [u.access, refreshed.refresh_token as string, "nonsense"]) {
      await check(
        await form("/oauth2/introspect", { token: t }, basic),
        "/oauth2/introspect",
        "post",
      );
    }
    await check(
      await form("/oauth2/introspect", { token: u.access }),
      "/oauth2/introspect",
      "post",
    );
    await check(await form("/oauth2/revoke", { token: u.access }), "/oauth2/revoke", "post");
    await check(await form("/oauth2/revoke", {}), "/oauth2/revoke", "post"); // 400
    const login = await kp.postJson("/api/v1/auth/login", {
      email: "doc@example.com",
      password: u.password,
    });
    const tokens = await check(login, "/api/v1/auth/login", "post");
    await check(
      await kp.postJson("/api/v1/auth/login", { email: "doc@example.com", password: "nope-nope" }),
      "/api/v1/auth/login",
      "post",
    );
    await check(
      await kp.postJson("/api/v1/auth/refresh", tokens.refresh_token),
      "/api/v1/auth/refresh",
      "post",
    );
  } finally {
    await kp.close();
  }
});
