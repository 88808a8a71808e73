import assert from "node:assert/strict";
import { CHALLENGE, ISSUER, testClient } from "./_testing.ts";
import { type AuthorizeOutcome, codeRedirect, validateAuthorizationRequest } from "./authorize.ts";
import type { OidcClient } from "./clients.ts";

const CLIENTS: Record<string, OidcClient> = {
  app: testClient({ id: "app", scopes: ["deploy"] }),
  native: testClient({
    id: "native",
    redirectUris: ["http://127.0.0.1/callback", "http://[::1]/callback"],
  }),
  q: testClient({ id: "q", redirectUris: ["https://q.example/cb?tenant=7"] }),
};

function params(over: Record<string, string | null> = {}): URLSearchParams {
  const base: Record<string, string | null> = {
    client_id: "app",
    redirect_uri: "https://app.example/cb",
    response_type: "code",
    scope: "openid email",
    state: "xyz",
    nonce: "n1",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...over,
  };
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(base)) if (v !== null) p.set(k, v);
  return p;
}

function validate(
  p: URLSearchParams,
  nonceSeen?: (c: string, n: string) => Promise<boolean>,
): Promise<AuthorizeOutcome> {
  return validateAuthorizationRequest(p, {
    issuer: ISSUER,
    lookup: (id) => Promise.resolve(CLIENTS[id]),
    ...(nonceSeen === undefined ? {} : { nonceSeen }),
  });
}

function assertPage(o: AuthorizeOutcome, re: RegExp): void {
  assert.equal(o.kind, "error_page", JSON.stringify(o));
  assert.match((o as { message: string }).message, re);
  assert.equal("location" in o, false, "an error page never redirects");
}

function assertRedirect(o: AuthorizeOutcome, error: string, base = "https://app.example/cb") {
  assert.equal(o.kind, "redirect_error", JSON.stringify(o));
  const loc = (o as { location: string }).location;
  assert.ok(loc.startsWith(base + "?"), loc);
  const u = new URL(loc);
  assert.equal(u.searchParams.get("error"), error);
  assert.equal(u.searchParams.get("iss"), ISSUER, "RFC 9207 iss on every response");
  return u;
}

Deno.test("a complete request is accepted with its parameters", async () => {
  const o = await validate(
    params({ prompt: "login consent", max_age: "300", login_hint: "alice" }),
  );
  assert.equal(o.kind, "ok");
  if (o.kind !== "ok") return;
  assert.equal(o.request.client.id, "app");
  assert.deepEqual(o.request.scopes, ["openid", "email"]);
  assert.deepEqual([...o.request.prompt], ["login", "consent"]);
  assert.equal(o.request.maxAge, 300);
  assert.equal(o.request.loginHint, "alice");
  assert.equal(o.request.codeChallenge, CHALLENGE);
  const loc = new URL(codeRedirect(o.request, "CODE", ISSUER));
  assert.deepEqual(Object.fromEntries(loc.searchParams), {
    code: "CODE",
    state: "xyz",
    iss: ISSUER,
  });
});

Deno.test("unknown, missing or repeated client_id: error page, never a redirect", async () => {
  assertPage(await validate(params({ client_id: "nobody" })), /client is unknown/);
  assertPage(await validate(params({ client_id: null })), /client_id is required/);
  assertPage(await validate(params({ client_id: "bad id!" })), /client_id is not valid/);
  const p = params();
  p.append("client_id", "app");
  assertPage(await validate(p), /client_id is repeated/);
});

Deno.test("redirect_uri mismatch: error page for every near miss (open redirect attempts)", async () => {
  for (
    const uri of [
      "https://evil.example/cb",
      "https://app.example/cb/",
      "https://app.example/cb?x=1",
      "https://app.example/cb#frag",
      "https://app.example/cb/../evil",
      "https://app.example/cbx",
      "https://app.example.evil.example/cb",
      "https://app.example@evil.example/cb",
      "HTTPS://app.example/cb",
      "http://app.example/cb",
      "https://app.example:443/cb",
      "//evil.example/cb",
      "javascript:alert(1)",
    ]
  ) {
    assertPage(await validate(params({ redirect_uri: uri })), /not registered/);
  }
  assertPage(await validate(params({ redirect_uri: null })), /redirect_uri is required/);
  const p = params();
  p.append("redirect_uri", "https://evil.example/cb");
  assertPage(await validate(p), /redirect_uri is repeated/);
});

Deno.test("loopback redirects (RFC 8252 §7.3): any port, the rest exact", async () => {
  const ok = async (uri: string) => {
    const o = await validate(params({ client_id: "native", redirect_uri: uri }));
    assert.equal(o.kind, "ok", uri);
    assert.equal(o.kind === "ok" && o.request.redirectUri, uri, "the port is kept");
  };
  await ok("http://127.0.0.1:51234/callback");
  await ok("http://127.0.0.1/callback");
  await ok("http://[::1]:8080/callback");
  for (
    const uri of [
      "http://127.0.0.1:51234/callback2",
      "http://127.0.0.1:51234/Callback",
      "http://localhost:51234/callback",
      "https://127.0.0.1:51234/callback",
      "http://127.0.0.2:51234/callback",
      "http://127.0.0.1:0/callback",
      "http://127.0.0.1:99999/callback",
      "http://127.0.0.1:51234/callback?x=1",
      "http://127.0.0.1:51234@evil.example/callback",
    ]
  ) {
    assertPage(
      await validate(params({ client_id: "native", redirect_uri: uri })),
      /not registered/,
    );
  }
});

Deno.test("other errors redirect back with error, state and iss", async () => {
  let u = assertRedirect(
    await validate(params({ response_type: "token" })),
    "unsupported_response_type",
  );
  assert.equal(u.searchParams.get("state"), "xyz");
  assertRedirect(
    await validate(params({ response_type: "code id_token" })),
    "unsupported_response_type",
  );
  assertRedirect(await validate(params({ response_type: null })), "invalid_request");
  assertRedirect(await validate(params({ scope: "openid admin" })), "invalid_scope");
  assertRedirect(await validate(params({ scope: null })), "invalid_scope");
  assertRedirect(await validate(params({ response_mode: "fragment" })), "invalid_request");
  assertRedirect(await validate(params({ prompt: "none login" })), "invalid_request");
  assertRedirect(await validate(params({ prompt: "select_account" })), "invalid_request");
  assertRedirect(await validate(params({ max_age: "-1" })), "invalid_request");
  assertRedirect(await validate(params({ max_age: "soon" })), "invalid_request");
  assertRedirect(await validate(params({ request: "eyJ..." })), "request_not_supported");
  assertRedirect(await validate(params({ request_uri: "https://x" })), "request_uri_not_supported");
  assertRedirect(await validate(params({ registration: "{}" })), "registration_not_supported");
  const p = params();
  p.append("scope", "openid");
  assertRedirect(await validate(p), "invalid_request");
  u = assertRedirect(
    await validate(params({ state: null, response_type: "token" })),
    "unsupported_response_type",
  );
  assert.equal(u.searchParams.has("state"), false);
});

Deno.test("PKCE: missing, plain, unknown method or a malformed challenge is refused", async () => {
  let u = assertRedirect(await validate(params({ code_challenge: null })), "invalid_request");
  assert.match(u.searchParams.get("error_description")!, /code_challenge is required/);
  u = assertRedirect(await validate(params({ code_challenge_method: "plain" })), "invalid_request");
  assert.match(u.searchParams.get("error_description")!, /"plain" is not accepted/);
  assertRedirect(await validate(params({ code_challenge_method: null })), "invalid_request");
  assertRedirect(await validate(params({ code_challenge: "abc" })), "invalid_request");
});

Deno.test("a replayed nonce is refused; an unused one passes", async () => {
  const seen = new Set(["app|used"]);
  const nonceSeen = (c: string, n: string) => Promise.resolve(seen.has(`${c}|${n}`));
  assertRedirect(await validate(params({ nonce: "used" }), nonceSeen), "invalid_request");
  assert.equal((await validate(params({ nonce: "fresh" }), nonceSeen)).kind, "ok");
  assert.equal((await validate(params({ nonce: null }), nonceSeen)).kind, "ok");
});

Deno.test("a registered URI's own query is kept; an over-long state is an error page", async () => {
  const u = assertRedirect(
    await validate(
      params({ client_id: "q", redirect_uri: "https://q.example/cb?tenant=7", response_type: "x" }),
    ),
    "unsupported_response_type",
    "https://q.example/cb",
  );
  assert.equal(u.searchParams.get("tenant"), "7");
  assertPage(await validate(params({ state: "s".repeat(1025) })), /state is longer/);
});

Deno.test("the client's own scopes are allowed beside the identity scopes", async () => {
  const o = await validate(params({ scope: "openid profile email offline_access deploy deploy" }));
  assert.equal(o.kind, "ok");
  assert.deepEqual(o.kind === "ok" && o.request.scopes, [
    "openid",
    "profile",
    "email",
    "offline_access",
    "deploy",
  ]);
});
