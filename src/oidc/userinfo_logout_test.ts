import assert from "node:assert/strict";
import { sampleUser } from "../store/accounts_suite.ts";
import { ISSUER, testClient } from "./_testing.ts";
import type { OidcClient } from "./clients.ts";
import { OIDC_PATHS, oidcDiscoveryMembers } from "./discovery.ts";
import { validateLogoutRequest, type VerifiedHint } from "./logout.ts";
import { userinfoAllowed, userinfoClaims } from "./userinfo.ts";

Deno.test("userinfoClaims(): sub always; profile and email by scope; email not claimed verified", () => {
  const u = sampleUser({
    id: "u1",
    email: "alice@example.com",
    username: "alice",
    displayName: "Alice Liddell",
    updatedAt: 1234,
  });
  assert.deepEqual(userinfoClaims(u, ["openid"]), { sub: "u1" });
  assert.deepEqual(userinfoClaims(u, ["openid", "profile", "email"]), {
    sub: "u1",
    name: "Alice Liddell",
    preferred_username: "alice",
    updated_at: 1234,
    email: "alice@example.com",
    email_verified: false,
  });
  const bare = sampleUser({ id: "u2", email: "bob@example.com" });
  assert.deepEqual(userinfoClaims(bare, ["profile"]).name, "bob@example.com");
  assert.equal(userinfoClaims(u, ["openid"]).password_hash, undefined);
  assert.ok(userinfoAllowed("openid email"));
  assert.equal(userinfoAllowed(["email"]), false);
});

const CLIENTS: Record<string, OidcClient> = {
  app: testClient({ id: "app", postLogoutRedirectUris: ["https://app.example/bye"] }),
  other: testClient({ id: "other", postLogoutRedirectUris: ["https://other.example/bye"] }),
  native: testClient({ id: "native", postLogoutRedirectUris: ["http://127.0.0.1/bye"] }),
};
const lookup = (id: string) => Promise.resolve(CLIENTS[id]);
const HINT: VerifiedHint = { sub: "u1", aud: ["app"], sid: "sid-1" };
const CURRENT = { sessionId: "sid-1", userId: "u1" };

function logout(
  q: Record<string, string>,
  hint: VerifiedHint | "invalid" | null = null,
  current: { sessionId: string; userId: string } | null = CURRENT,
) {
  return validateLogoutRequest(new URLSearchParams(q), { lookup, hint, current });
}

Deno.test("logout with a hint naming this session signs out and goes to the registered URI with state", async () => {
  const o = await logout(
    { post_logout_redirect_uri: "https://app.example/bye", state: "s1" },
    HINT,
  );
  assert.deepEqual(o, {
    kind: "sign_out",
    client: CLIENTS.app,
    location: "https://app.example/bye?state=s1",
  });
});

Deno.test("logout without a matching hint asks first (no sign-out by a bare link)", async () => {
  let o = await logout({ client_id: "app", post_logout_redirect_uri: "https://app.example/bye" });
  assert.equal(o.kind, "confirm");
  o = await logout({}, { sub: "u1", aud: ["app"], sid: "older-session" });
  assert.equal(o.kind, "confirm");
  o = await logout({}, null, null);
  assert.deepEqual(o, { kind: "sign_out", client: null, location: null });
});

Deno.test("logout open-redirect attempts and bad hints end on the error page, never a redirect", async () => {
  const bad: [Record<string, string>, VerifiedHint | "invalid" | null, RegExp][] = [
    [{ post_logout_redirect_uri: "https://evil.example/" }, null, /needs a client_id/],
    [
      { client_id: "app", post_logout_redirect_uri: "https://evil.example/" },
      null,
      /not registered/,
    ],
    [
      { client_id: "app", post_logout_redirect_uri: "https://app.example/bye/x" },
      null,
      /not registered/,
    ],
    [
      { client_id: "app", post_logout_redirect_uri: "https://other.example/bye" },
      null,
      /not registered/,
    ],
    [{ post_logout_redirect_uri: "https://other.example/bye" }, HINT, /not registered/],
    [{ client_id: "other" }, HINT, /does not match the id_token_hint/],
    [{}, "invalid", /id_token_hint is not valid/],
    [{ client_id: "ghost" }, null, /client is unknown/],
    [{ client_id: "app", state: "s".repeat(2000) }, null, /state is too long/],
  ];
  for (const [q, hint, re] of bad) {
    const o = await logout(q, hint);
    assert.equal(o.kind, "error_page", JSON.stringify(q));
    assert.match(o.kind === "error_page" ? o.message : "", re);
  }
  const dup = new URLSearchParams("client_id=app&client_id=other");
  const o = await validateLogoutRequest(dup, { lookup, hint: null, current: null });
  assert.equal(o.kind, "error_page");
});

Deno.test("logout: a loopback post-logout URI matches on any port", async () => {
  const o = await logout(
    { client_id: "native", post_logout_redirect_uri: "http://127.0.0.1:4711/bye" },
    null,
    null,
  );
  assert.equal(o.kind !== "error_page" && o.location, "http://127.0.0.1:4711/bye");
});

Deno.test("oidcDiscoveryMembers(): the endpoints, code with S256 only, iss in responses", () => {
  const d = oidcDiscoveryMembers(ISSUER, ["RS256", "ES256", "HS256"]);
  assert.equal(d.authorization_endpoint, `${ISSUER}${OIDC_PATHS.authorize}`);
  assert.equal(d.userinfo_endpoint, `${ISSUER}/userinfo`);
  assert.equal(d.end_session_endpoint, `${ISSUER}/end_session`);
  assert.deepEqual(d.response_types_supported, ["code"]);
  assert.deepEqual(d.code_challenge_methods_supported, ["S256"]);
  assert.deepEqual(d.id_token_signing_alg_values_supported, ["RS256", "ES256"]);
  assert.equal(d.authorization_response_iss_parameter_supported, true);
});
