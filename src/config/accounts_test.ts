import assert from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";

const BASE = `issuer: https://kp.test\nhs256_secret: "${
  "s".repeat(40)
}"\nstore:\n  url: "sqlite::memory:"\n`;
const HASH = "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$" + "A".repeat(43);

function fails(yaml: string, re: RegExp) {
  assert.throws(() => parseConfig(BASE + yaml, "/etc/kp.yaml"), (e: Error) => {
    assert.match(e.message, re);
    assert.match(e.message, /^\/etc\/kp\.yaml: /);
    return true;
  });
}

Deno.test("accounts: defaults are registration off, 8 characters, admin@localhost", () => {
  const c = parseConfig(BASE + "accounts: {}\n", "/etc/kp.yaml");
  assert.deepEqual(c.accounts, {
    registration: "off",
    passwordMinLength: 8,
    adminEmail: "admin@localhost",
    defaultOrg: "default",
    accessTtlSeconds: 900,
    refreshTtlSeconds: 2_592_000,
    registrationsPerHour: 20,
  });
});

Deno.test("accounts: registration open | off (YAML 1.1's bare off too) and a password minimum", () => {
  const c = parseConfig(
    BASE +
      "accounts:\n  registration: open\n  password_min_length: 12\n  admin_email: Root@Example.com\n",
    "/x.yaml",
  );
  assert.equal(c.accounts?.registration, "open");
  assert.equal(c.accounts?.passwordMinLength, 12);
  assert.equal(c.accounts?.adminEmail, "root@example.com");
  assert.equal(
    parseConfig(BASE + "accounts:\n  registration: off\n", "/x").accounts?.registration,
    "off",
  );
});

Deno.test("accounts and oauth: bad values name the file, the field and the problem", () => {
  fails("accounts:\n  registration: maybe\n", /accounts\.registration: must be "open" or "off"/);
  fails(
    "accounts:\n  password_min_length: 4\n",
    /accounts\.password_min_length: must be an integer between 8/,
  );
  fails("accounts:\n  colour: blue\n", /accounts\.colour: is not a known setting/);
  fails("accounts:\n  admin_email: nope\n", /accounts\.admin_email: must be an e-mail/);
  fails("oauth:\n  clients:\n    - id: ci\n", /oauth\.clients\[0\]\.secret_hash: is required/);
  fails(
    "oauth:\n  clients:\n    - id: ci\n      secret_hash: plain\n",
    /oauth\.clients\[0\]\.secret_hash: must be a "\$pbkdf2-sha256\$" hash/,
  );
  fails(
    `oauth:\n  clients:\n    - {id: ci, secret_hash: "${HASH}"}\n    - {id: ci, secret_hash: "${HASH}"}\n`,
    /oauth\.clients\[1\]\.id: duplicates client "ci"/,
  );
  fails(
    "oauth:\n  trusted_issuers:\n    - issuer: https://k8s\n      jwks_uri: ftp://x\n      audiences: [kp]\n",
    /jwks_uri: must be an "https:\/\/"/,
  );
  fails(
    "oauth:\n  trusted_issuers:\n    - issuer: https://k8s\n      jwks_uri: https://k8s/jwks\n",
    /audiences: must name at least one/,
  );
  assert.throws(
    () => parseConfig(`issuer: x\nhs256_secret: "${"s".repeat(40)}"\naccounts: {}\n`, "/x.yaml"),
    /accounts: needs a "store" section/,
  );
});

Deno.test("oauth: clients and trusted issuers are read", () => {
  const c = parseConfig(
    BASE +
      `oauth:\n  clients:\n    - id: ci\n      secret_hash: "${HASH}"\n      scopes: [deploy]\n      audiences: [api]\n  trusted_issuers:\n    - issuer: https://k8s\n      jwks_uri: https://k8s/jwks\n      audiences: [kp]\n  exchange_audiences: [api]\n`,
    "/x.yaml",
  );
  assert.deepEqual(c.oauth?.clients[0].scopes, ["deploy"]);
  assert.equal(c.oauth?.trustedIssuers[0].cacheSeconds, 300);
  assert.deepEqual(c.oauth?.exchangeAudiences, ["api"]);
});
