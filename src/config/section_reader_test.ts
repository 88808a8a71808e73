import assert from "node:assert/strict";
import { parseConfig } from "./mod.ts";

const BASE = 'issuer: "https://kp.test"\nhs256_secret: "' + "k".repeat(40) + '"\n';

Deno.test("${CREDENTIALS_DIRECTORY} is substituted in every path: pepper, admin password, spiffe root and key", () => {
  const c = parseConfig(
    BASE + `store:
  url: "sqlite:kp.db"
  pepper_path: \${CREDENTIALS_DIRECTORY}/pepper
accounts:
  admin_password_path: \${CREDENTIALS_DIRECTORY}/admin-password
spiffe:
  trust_domain: edge.example
  root: \${CREDENTIALS_DIRECTORY}/spiffe
  key_path: \${CREDENTIALS_DIRECTORY}/issuer.pem
`,
    "/etc/kp/kp.yaml",
    { baseDir: "/etc/kp", env: { CREDENTIALS_DIRECTORY: "/run/credentials/kp" } },
  );
  assert.equal(c.store?.pepperPath, "/run/credentials/kp/pepper");
  assert.equal(c.store?.url, "sqlite:/etc/kp/kp.db");
  assert.equal(c.accounts?.adminPasswordPath, "/run/credentials/kp/admin-password");
  assert.equal(c.spiffe?.root, "/run/credentials/kp/spiffe");
  assert.equal(c.spiffe?.keyPath, "/run/credentials/kp/issuer.pem");
});

Deno.test("a bad value set by a KEYPEBBLE_SPIFFE__* variable is reported against the variable", () => {
  assert.throws(
    () =>
      parseConfig(BASE + "spiffe:\n  trust_domain: edge.example\n", "/etc/kp/kp.yaml", {
        env: { KEYPEBBLE_SPIFFE__REFRESH_HINT_SECONDS: "0" },
      }),
    /^.*KEYPEBBLE_SPIFFE__REFRESH_HINT_SECONDS.*1 to 86400/,
  );
});

Deno.test("profiles.auth settings without audiences do not clash with the default registry service", () => {
  const c = parseConfig(
    BASE + "audience: edge\nprofiles:\n  auth:\n    max_ttl_seconds: 600\n",
    "/etc/kp/kp.yaml",
  );
  assert.deepEqual(c.profiles.auth.audiences, ["edge"]);
  assert.deepEqual(c.services, ["edge"]);
});
