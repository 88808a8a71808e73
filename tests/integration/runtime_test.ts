/** Building a runtime from the Python Keypebble's own example configs. */

import assert from "node:assert/strict";
import { KeypebbleError } from "../../src/errors.ts";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { makeTestHandler } from "../helpers/handler.ts";
import { makeKeyAndCert } from "../helpers/process.ts";

Deno.test("the Python Keypebble's KSA example config loads unchanged", async () => {
  const kp = await makeTestHandler({
    configYaml: `service:
  host: "0.0.0.0"
  port: 8080

issuer: "https://keypebble.example.com"
default_ttl_seconds: 3600

# KSA tokens should use RS256.
algorithm: "RS256"
rs256_private_key: "/etc/keypebble/keypebble-private.pem"
`,
    files: { "/etc/keypebble/keypebble-private.pem": await generateKeyPem("RS256") },
  });
  assert.equal(kp.runtime.keyring.signer.alg, "RS256");
  assert.equal(kp.runtime.config.host, "0.0.0.0");
});

Deno.test("the Python Keypebble's 'change-me' HS256 secret is refused at start, naming the field", async () => {
  await assert.rejects(
    makeTestHandler({
      configYaml: `issuer: "https://keypebble.local"
audience: "keypebble-edge"
default_ttl_seconds: 3600
hs256_secret: "change-me"
`,
    }),
    (e: unknown) => {
      assert.ok(e instanceof KeypebbleError);
      assert.equal(e.code, "config_invalid");
      assert.match(e.message, /config\.yaml: hs256_secret: /);
      assert.match(e.message, /32 bytes/);
      assert.match(e.message, /make a new secret with: head -c 32 \/dev\/urandom \| base64/);
      assert.doesNotMatch(e.message, /change-me/);
      return true;
    },
  );
});

Deno.test("a missing key file is a config error unless generation is allowed", async () => {
  const yaml = 'issuer: kp\nrs256_private_key_path: "keys/k.pem"\n';
  await assert.rejects(
    makeTestHandler({ configYaml: yaml }),
    /config\.yaml: rs256_private_key_path: cannot read the key file: the file does not exist/,
  );
  const kp = await makeTestHandler({ configYaml: yaml + "generate_missing_key: true\n" });
  assert.match(kp.files.get("/kp/keys/k.pem") ?? "", /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(kp.notices[0].event, "key_generated");
  assert.equal(kp.notices[0].level, "warn");
});

Deno.test("an x5c chain whose leaf is for another key is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { key, cert } = await makeKeyAndCert(dir);
    const other = await generateKeyPem("RS256");
    await assert.rejects(
      makeTestHandler({
        configYaml: "issuer: kp\nrs256_private_key_path: k.pem\nx5c_chain_path: chain.pem\n",
        files: { "k.pem": other, "chain.pem": await Deno.readTextFile(cert) },
      }),
      /is not for this signing key/,
    );
    const ok = await makeTestHandler({
      configYaml: "issuer: kp\nrs256_private_key_path: k.pem\nx5c_chain_path: chain.pem\n",
      files: {
        "k.pem": await Deno.readTextFile(key),
        "chain.pem": await Deno.readTextFile(cert),
      },
    });
    const res = await ok.fetch("/auth", { method: "POST", body: "{}" });
    const token = (await res.json()).token as string;
    const header = JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")));
    assert.equal(header.x5c.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a malformed password_hash is a policy error naming the file and the field", async () => {
  await assert.rejects(
    makeTestHandler({
      configYaml: `issuer: kp\nhs256_secret: "${"s".repeat(32)}"\npolicy_path: policy.yaml\n`,
      files: {
        "policy.yaml": `users: { a: { password_hash: "$pbkdf2-sha256$i=10$AAAAAAAAAAA$AAAA" } }\n`,
      },
    }),
    /policy\.yaml: users\.a\.password_hash: Password hash is malformed/,
  );
});
