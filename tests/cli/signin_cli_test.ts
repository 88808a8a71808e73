/**
 * Sign-in's config at the command line (issue 24): `check` and `serve` refuse a sign-in client
 * without an asymmetric key (ID tokens are verified by relying parties with the published keys),
 * naming the file and the field; with one, `check` says who signs in and what is anonymous.
 */

import assert from "node:assert/strict";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { runKeypebble } from "../helpers/process.ts";

const CLIENTS = `accounts: {}
oauth:
  clients:
    - id: wiki
      public: true
      redirect_uris: ["http://127.0.0.1/callback"]
`;

Deno.test("CLI: check and serve refuse a sign-in client when the keyring has only an HMAC secret", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    await Deno.writeTextFile(`${dir}/kp.pepper`, "p".repeat(40));
    const config = `${dir}/kp.yaml`;
    await Deno.writeTextFile(
      config,
      `issuer: "https://kp.test"\nhs256_secret_path: secret\nstore: {url: "sqlite:${dir}/kp.db", pepper_path: kp.pepper}\n${CLIENTS}`,
    );
    for (const cmd of ["check", "serve"]) {
      const r = await runKeypebble([
        cmd,
        "--config",
        config,
        ...(cmd === "serve" ? ["--port", "0"] : []),
      ]);
      assert.equal(r.code, 2, `${cmd}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(
          `${
            config.replaceAll("/", "\\/")
          }: oauth\\.clients\\[0\\]\\.redirect_uris: signing people in needs an RS256, ES256 or EdDSA key`,
        ),
      );
    }
    await Deno.writeTextFile(`${dir}/ec.pem`, await generateKeyPem("ES256"), { mode: 0o600 });
    await Deno.writeTextFile(
      config,
      `issuer: "https://kp.test"\nkeys:\n  - path: ec.pem\n    kid: sig\n  - secret_path: secret\n    kid: h\nstore: {url: "sqlite:${dir}/kp.db", pepper_path: kp.pepper}\n${CLIENTS}`,
    );
    const ok = await runKeypebble(["check", "--config", config]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /id\s+typ JWT, ES256 kid "sig", aud \(client id\), lifetime 300 s/);
    assert.match(ok.stdout, /sign-in\s+clients wiki \(and those kept in the store\)/);
    assert.match(
      ok.stdout,
      /GET \/authorize, \/end_session, \/assets\/login\.css: the sign-in pages/,
    );
    // profiles.id.key naming the HMAC secret is refused.
    await Deno.writeTextFile(
      config,
      `${await Deno.readTextFile(config)}profiles:\n  id: {key: h}\n`,
    );
    const hmac = await runKeypebble(["check", "--config", config]);
    assert.equal(hmac.code, 2);
    assert.match(hmac.stderr, /profiles\.id\.key: ID tokens need an RS256, ES256 or EdDSA key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
