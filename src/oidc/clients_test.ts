import assert from "node:assert/strict";
import type { OAuthClientConfig } from "../config/mod.ts";
import type { OidcClientRecord } from "../store/mod.ts";
import {
  clientLookup,
  clientViewOfConfig,
  isScopeToken,
  scopeAllowed,
  storedClientIdProblem,
  storedClientScopes,
} from "./clients.ts";
import { findRedirectUri, redirectUriMatches } from "./redirect_uri.ts";

const CONFIG: OAuthClientConfig[] = [
  {
    id: "ci",
    secretHash: "$pbkdf2-sha256$x",
    audiences: [],
    scopes: ["deploy"],
    public: false,
    redirectUris: [],
    postLogoutRedirectUris: [],
    firstParty: false,
  },
  {
    id: "wiki",
    name: "Wiki",
    audiences: [],
    scopes: [],
    public: true,
    redirectUris: ["https://wiki.example/cb"],
    postLogoutRedirectUris: [],
    firstParty: true,
  },
];

const STORED: OidcClientRecord = {
  id: "spa",
  name: "SPA",
  secretHash: null,
  redirectUris: ["https://spa.example/cb"],
  postLogoutRedirectUris: [],
  scopes: ["read"],
  audiences: [],
  firstParty: false,
  orgId: "acme",
  createdAt: 1,
  updatedAt: 1,
};

Deno.test("clientLookup(): config clients with redirect URIs, then the store; config wins", async () => {
  const lookup = clientLookup(
    CONFIG,
    (id) =>
      Promise.resolve(id === "spa" || id === "wiki" || id === "ci" ? { ...STORED, id } : undefined),
  );
  const wiki = await lookup("wiki");
  assert.deepEqual([wiki?.name, wiki?.secretHash, wiki?.firstParty, wiki?.source], [
    "Wiki",
    null,
    true,
    "config",
  ]);
  assert.equal(
    await lookup("ci"),
    undefined,
    "a config client without redirect URIs cannot sign in",
  );
  assert.equal((await lookup("spa"))?.source, "store");
  assert.equal(await lookup("nobody"), undefined);
  assert.equal(await clientLookup(CONFIG)("spa"), undefined, "no store: config only");
});

Deno.test("scopeAllowed(): identity scopes for all, others only when the client lists them", async () => {
  const spa = (await clientLookup([], () => Promise.resolve(STORED))("spa"))!;
  for (const s of ["openid", "profile", "email", "offline_access", "read"]) {
    assert.ok(scopeAllowed(spa, s), s);
  }
  assert.equal(scopeAllowed(spa, "admin"), false);
});

Deno.test("clientViewOfConfig(): every config client, sign-in or not, in the one view", () => {
  assert.deepEqual(clientViewOfConfig(CONFIG[0]), {
    id: "ci",
    name: "ci",
    secretHash: "$pbkdf2-sha256$x",
    redirectUris: [],
    postLogoutRedirectUris: [],
    scopes: ["deploy"],
    audiences: [],
    firstParty: false,
    source: "config",
  });
  assert.equal(clientViewOfConfig(CONFIG[1]).secretHash, null, "public");
});

Deno.test("storedClientIdProblem(): the client_id shape, no UUID (a key's id), no keypebble:", () => {
  for (const ok of ["notes", "a", "app.v2_x:y-z", "A".repeat(128)]) {
    assert.equal(storedClientIdProblem(ok), null, ok);
  }
  for (
    const bad of [
      "",
      "a b",
      "-app",
      "A".repeat(129),
      "keypebble:accounts",
      "0190b0b4-7c1e-7d3a-9f00-1234567890ab",
      "0190B0B4-7C1E-7D3A-9F00-1234567890AB",
      42,
      null,
    ]
  ) {
    assert.match(storedClientIdProblem(bad) ?? "", /^must be .*not a UUID/, String(bad));
  }
});

Deno.test("isScopeToken(): RFC 6749 §3.3 scope-token, 1 to 128 characters", () => {
  for (const ok of ["read", "repo:push", "https://api.example/x", "!#[]~", "a".repeat(128)]) {
    assert.ok(isScopeToken(ok), ok);
  }
  for (const bad of ["", "a b", 'a"b', "a\\b", "é", "a\tb", "a".repeat(129)]) {
    assert.equal(isScopeToken(bad), false, bad);
  }
});

Deno.test("storedClientScopes(): each once, without the identity scopes", () => {
  assert.deepEqual(storedClientScopes(["read", "openid", "read", "email", "write"]), [
    "read",
    "write",
  ]);
});

Deno.test("redirectUriMatches(): exact strings; loopback ignores only the port", () => {
  assert.ok(redirectUriMatches("https://a.example/cb", "https://a.example/cb"));
  assert.equal(redirectUriMatches("https://a.example/cb", "https://a.example/cb?"), false);
  assert.ok(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:1234/cb"));
  assert.ok(redirectUriMatches("http://127.0.0.1:9/cb", "http://127.0.0.1:1234/cb"));
  assert.ok(redirectUriMatches("http://127.0.0.1/", "http://127.0.0.1:1234"));
  assert.ok(redirectUriMatches("http://[::1]/cb?x=1", "http://[::1]:5/cb?x=1"));
  assert.equal(redirectUriMatches("http://[::1]/cb", "http://127.0.0.1:5/cb"), false);
  assert.equal(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:5/cb#x"), false);
  assert.equal(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:65536/cb"), false);
  assert.equal(redirectUriMatches("http://127.0.0.1/cb", "http://127.0.0.1:080/cb"), false);
  assert.equal(redirectUriMatches("https://a.example/cb", "https://a.example:443/cb"), false);
  assert.equal(
    findRedirectUri(["https://a/x", "http://127.0.0.1/cb"], "http://127.0.0.1:7/cb"),
    "http://127.0.0.1/cb",
  );
  assert.equal(findRedirectUri(["https://a/x"], "https://a/y"), null);
});
