import assert from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";
import { redirectUriProblem } from "./redirect_uris.ts";

const BASE = `issuer: https://kp.test\nhs256_secret: "${
  "s".repeat(40)
}"\nstore:\n  url: "sqlite::memory:"\naccounts: {}\n`;
const HASH = "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$" + "A".repeat(43);

const NO_ACCOUNTS = BASE.replace("accounts: {}\n", "");

function fails(yaml: string, re: RegExp) {
  failsWith(BASE, yaml, re);
}

function failsWith(base: string, yaml: string, re: RegExp) {
  assert.throws(() => parseConfig(base + yaml, "/etc/kp.yaml"), (e: Error) => {
    assert.match(e.message, /^\/etc\/kp\.yaml: /);
    assert.match(e.message, re);
    return true;
  });
}

function client(fields: string): string {
  return `oauth:\n  clients:\n    - id: app\n${fields}`;
}

Deno.test("oauth.clients: a public first-party client with redirect and post-logout URIs", () => {
  const c = parseConfig(
    BASE + client(
      "      name: Team wiki\n      public: true\n      first_party: true\n" +
        '      redirect_uris: ["https://wiki.example/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"]\n' +
        '      post_logout_redirect_uris: ["https://wiki.example/"]\n',
    ),
    "/etc/kp.yaml",
  );
  assert.deepEqual(c.oauth?.clients[0], {
    id: "app",
    name: "Team wiki",
    audiences: [],
    scopes: [],
    public: true,
    redirectUris: ["https://wiki.example/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"],
    postLogoutRedirectUris: ["https://wiki.example/"],
    firstParty: true,
  });
});

Deno.test("oauth.clients: a confidential client keeps its secret; the new fields default off", () => {
  const c = parseConfig(BASE + client(`      secret_hash: "${HASH}"\n`), "/x.yaml");
  assert.deepEqual(c.oauth?.clients[0], {
    id: "app",
    secretHash: HASH,
    audiences: [],
    scopes: [],
    public: false,
    redirectUris: [],
    postLogoutRedirectUris: [],
    firstParty: false,
  });
});

Deno.test("oauth.clients: bad redirect URIs name the file, the field and the problem", () => {
  const pub = "      public: true\n";
  fails(
    client(pub + '      redirect_uris: ["http://app.example/cb"]\n'),
    /redirect_uris\[0\]: must be "https:\/\/", or "http:\/\/" on the loopback/,
  );
  fails(
    client(pub + '      redirect_uris: ["http://localhost:3000/cb"]\n'),
    /redirect_uris\[0\]: must use "http:\/\/127\.0\.0\.1".*rather than "localhost"/,
  );
  fails(
    client(pub + '      redirect_uris: ["https://app.example/cb#x"]\n'),
    /redirect_uris\[0\]: must not contain a fragment/,
  );
  fails(
    client(pub + '      redirect_uris: ["https://*.example/cb"]\n'),
    /redirect_uris\[0\]: must not contain a wildcard/,
  );
  fails(
    client(pub + '      redirect_uris: ["/cb"]\n'),
    /redirect_uris\[0\]: must be an absolute URL/,
  );
  fails(
    client(pub + '      redirect_uris: ["https://App.Example"]\n'),
    /redirect_uris\[0\]: must be written in canonical form: "https:\/\/app\.example\/"/,
  );
  fails(
    client(pub + '      redirect_uris: ["https://u:p@app.example/cb"]\n'),
    /must not contain a user name or password/,
  );
  fails(
    client(pub + '      redirect_uris: ["javascript:alert(1)"]\n'),
    /redirect_uris\[0\]: must be "https:\/\/"/,
  );
  fails(
    client(pub + '      redirect_uris: ["https://a.example/cb", "https://a.example/cb"]\n'),
    /redirect_uris\[1\]: duplicates/,
  );
  fails(
    client(pub + "      redirect_uris: https://a.example/cb\n"),
    /redirect_uris: must be a list of URIs/,
  );
  fails(
    client(
      pub +
        '      redirect_uris: ["https://a.example/cb"]\n      post_logout_redirect_uris: ["http://evil.example/"]\n',
    ),
    /post_logout_redirect_uris\[0\]: must be "https:\/\/"/,
  );
});

Deno.test("oauth.clients: public and secret rules, booleans, unknown keys", () => {
  fails(
    client(
      `      public: true\n      secret_hash: "${HASH}"\n      redirect_uris: ["https://a.example/cb"]\n`,
    ),
    /clients\[0\]\.secret_hash: must not be set for a public client/,
  );
  fails(
    client("      public: true\n"),
    /clients\[0\]\.redirect_uris: must list at least one URI for a public client/,
  );
  fails(
    client('      redirect_uris: ["https://a.example/cb"]\n'),
    /clients\[0\]\.secret_hash: is required .*unless the client is public: true/,
  );
  fails(client('      public: "yes"\n'), /clients\[0\]\.public: must be true or false/);
  fails(
    client(`      secret_hash: "${HASH}"\n      first_party: 1\n`),
    /clients\[0\]\.first_party: must be true or false/,
  );
  fails(
    client(`      secret_hash: "${HASH}"\n      redirect_uri: x\n`),
    /clients\[0\]\.redirect_uri: is not a known setting/,
  );
});

Deno.test("accounts: session lifetime, roles that need TOTP and the TOTP issuer name", () => {
  const BASE = NO_ACCOUNTS;
  const fails = (yaml: string, re: RegExp) => failsWith(NO_ACCOUNTS, yaml, re);
  const c = parseConfig(
    BASE +
      "accounts:\n  session_ttl_seconds: 3600\n  totp_required_roles: [superadmin, org_admin]\n  totp_issuer: Acme ID\n",
    "/x.yaml",
  );
  assert.equal(c.accounts?.sessionTtlSeconds, 3600);
  assert.deepEqual(c.accounts?.totpRequiredRoles, ["superadmin", "org_admin"]);
  assert.equal(c.accounts?.totpIssuer, "Acme ID");
  fails(
    "accounts:\n  session_ttl_seconds: 10\n",
    /accounts\.session_ttl_seconds: must be an integer between 300/,
  );
  fails(
    "accounts:\n  totp_required_roles: [root]\n",
    /accounts\.totp_required_roles\[0\]: is not a valid value/,
  );
  fails(
    'accounts:\n  totp_issuer: "a:b"\n',
    /accounts\.totp_issuer: must be at most 64 characters without a colon/,
  );
});

Deno.test("redirectUriProblem(): https, loopback http, canonical, no fragment or wildcard", () => {
  for (
    const ok of [
      "https://app.example/cb",
      "https://app.example:8443/cb?x=1",
      "http://127.0.0.1/cb",
      "http://127.0.0.1:51000/cb",
      "http://[::1]/cb",
    ]
  ) assert.equal(redirectUriProblem(ok), null, ok);
  for (
    const bad of [
      "",
      "https://app.example/c b",
      "https://app.example/cb\n",
      "http://10.0.0.1/cb",
      "http://127.0.0.2/cb",
      "ftp://app.example/",
      "data:text/html,x",
      "com.example.app:/cb",
      "https://app.example/" + "x".repeat(2048),
      "HTTPS://app.example/cb",
    ]
  ) assert.notEqual(redirectUriProblem(bad), null, bad);
});

Deno.test("oauth.clients: a sign-in client needs an accounts section and a URL issuer", () => {
  const noAccounts = NO_ACCOUNTS;
  assert.throws(
    () =>
      parseConfig(
        noAccounts + client('      public: true\n      redirect_uris: ["https://a.example/cb"]\n'),
        "/etc/kp.yaml",
      ),
    /oauth\.clients\[0\]\.redirect_uris: a sign-in client needs an "accounts" section/,
  );
  assert.throws(
    () =>
      parseConfig(
        BASE.replace("issuer: https://kp.test", "issuer: keypebble") +
          client('      public: true\n      redirect_uris: ["https://a.example/cb"]\n'),
        "/etc/kp.yaml",
      ),
    /\/etc\/kp\.yaml: issuer: must be an "https:\/\/" URL without query when oauth\.clients\[0\] signs people in/,
  );
  // A client without redirect URIs (client credentials only) needs neither.
  parseConfig(
    noAccounts.replace("issuer: https://kp.test", "issuer: keypebble") +
      client(`      secret_hash: "${HASH}"\n`),
    "/etc/kp.yaml",
  );
});
