/**
 * Token formats from the config, through the real handler and the one mint path: a kind with
 * `format: jwe` answers nested JWEs to its recipient (a key file, or a JWKS URL fetched and
 * cached), one with `format: fernet` answers Fernet tokens; our `use: enc` keys are published in
 * the JWKS and read JWEs sent to us (the introspection plug-in, `decryptJwe`); `verifyFernet`
 * reads our Fernet tokens. Config mistakes name the file and field.
 */

import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import * as jose from "npm:jose@5.9.6";
import { parseConfig } from "../../src/config/mod.ts";
import { KeypebbleError } from "../../src/errors.ts";
import { loadRepository, setupRepository, verifyFernet } from "../../src/fernet/mod.ts";
import {
  decryptJwe,
  generateJweKeyPem,
  generateKeyPem,
  importJweDecryptionKeyPem,
  openJwe,
  unwrapJwe,
} from "../../src/jose/mod.ts";
import { nodeFernetFiles } from "../../src/platform/fernet_files.ts";
import {
  acceptsFormat,
  checkFernetKind,
  formatOf,
  profileForTyp,
} from "../../src/profiles/formats.ts";
import { makeTestHandler, memoryIo, TEST_CONFIG_PATH } from "../helpers/handler.ts";
import { buildRuntime } from "../../src/runtime/mod.ts";

const json = { "content-type": "application/json" };
const dec = new TextDecoder();

async function fernetDir(): Promise<string> {
  const dir = `${await Deno.makeTempDir({ prefix: "kp_formats_" })}/fernet`;
  await setupRepository(dir, nodeFernetFiles);
  return dir;
}

/** A relying party's JWKS on loopback, with a switch to make it fail. */
function jwksServer(
  jwks: unknown,
): { url: string; hits: () => number; down: () => void; close: () => Promise<void> } {
  let hits = 0;
  let up = true;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    return up ? Response.json(jwks) : new Response("down", { status: 503 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/jwks.json`,
    hits: () => hits,
    down: () => {
      up = false;
    },
    close: () => server.shutdown(),
  };
}

Deno.test("format jwe and fernet from the config: every kind's route answers in its format", async () => {
  const rpPem = await generateJweKeyPem("RSA");
  const rp2Pem = await generateJweKeyPem("P-256");
  const rp2 = await importJweDecryptionKeyPem(rp2Pem, { alg: "ECDH-ES+A256KW" });
  const rpJwks = jwksServer({
    keys: [
      { ...rp2.publicJwk, kid: "rp-sig", use: "sig", alg: "ES256" },
      { ...rp2.publicJwk, kid: "rp-enc", use: "enc", alg: "ECDH-ES+A256KW" },
    ],
  });
  const dir = await fernetDir();
  try {
    const kp = await makeTestHandler({
      configYaml: `issuer: https://kp.example
keys:
  - path: sign.pem
  - path: enc.pem
    use: enc
    alg: ECDH-ES
    kid: our-enc
fernet: {keys_dir: ${dir}, ttl_seconds: 900}
profiles:
  auth: {encrypt: {to: "${rpJwks.url}"}}
  command: {format: jwe, encrypt: {to: rp.pem, enc: A128CBC-HS256}}
  kubernetes: {format: fernet}
`,
      files: {
        "sign.pem": await generateKeyPem("ES256"),
        "enc.pem": await generateJweKeyPem("P-256"),
        "rp.pem": rpPem,
      },
    });
    const jwks = await (await kp.fetch("/.well-known/jwks.json")).json();
    const ourSigning = jose.createLocalJWKSet({
      keys: jwks.keys.filter((k: { use: string }) => k.use === "sig"),
    });

    // /command/token: a nested JWE to rp.pem; the relying party (npm jose) decrypts and verifies.
    const command = await (await kp.fetch("/command/token", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ target: "edge-1", command: "uptime" }),
    })).json();
    assert.equal(command.token.split(".").length, 5);
    const opened = await jose.compactDecrypt(
      command.token,
      await jose.importPKCS8(rpPem, "RSA-OAEP-256"),
    );
    assert.equal(opened.protectedHeader.enc, "A128CBC-HS256");
    assert.equal(opened.protectedHeader.cty, "JWT");
    const inner = await jose.jwtVerify(dec.decode(opened.plaintext), ourSigning, {
      issuer: "https://kp.example",
      typ: "kp-command+jwt",
    });
    assert.equal(inner.payload.command, "uptime");
    // We cannot read it: it is for the relying party, not for our "use: enc" key.
    await assert.rejects(
      unwrapJwe(command.token, kp.runtime.keyring.decryptionKeys),
      KeypebbleError,
    );

    // /auth: a nested JWE to the key the relying party publishes at its JWKS URL (use enc only).
    const auth =
      await (await kp.fetch("/auth", { method: "POST", headers: json, body: '{"sub":"e1"}' }))
        .json();
    const { header, plaintext } = await openJwe(auth.token, [{ ...rp2, kid: "rp-enc" }]);
    assert.equal(header.alg, "ECDH-ES+A256KW");
    assert.equal(header.kid, "rp-enc");
    assert.equal((await jose.jwtVerify(dec.decode(plaintext), ourSigning)).payload.sub, "e1");
    // The key is cached: the relying party's JWKS going down changes nothing.
    const hits = rpJwks.hits();
    rpJwks.down();
    const again = await kp.fetch("/auth", { method: "POST", headers: json, body: "{}" });
    assert.equal(again.status, 200);
    assert.equal(rpJwks.hits(), hits);

    // TokenRequest: a Fernet token whose message is the claims; verifyFernet reads it.
    const k8s = await (await kp.fetch("/api/v1/namespaces/ci/serviceaccounts/builder/token", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ spec: { audiences: ["vault"] } }),
    })).json();
    const fernetToken = k8s.status.token as string;
    assert.match(fernetToken, /^gAAAAA[A-Za-z0-9_-]+=*$/);
    const v = await verifyFernet(fernetToken, kp.runtime.fernet!, Math.floor(Date.now() / 1000));
    assert.equal(v.typ, "JWT");
    assert.equal(v.claims.sub, "system:serviceaccount:ci:builder");
    assert.deepEqual(v.claims.aud, ["vault"]);
    assert.ok((v.claims.exp as number) - (v.claims.iat as number) <= 900);
    // Python's cryptography reads the same token: tests/e2e/fernet_cryptography_test.ts.

    // Our own encryption key is published for senders (use enc, its alg) and reads their JWEs.
    const encJwk = jwks.keys.find((k: { use: string }) => k.use === "enc");
    assert.equal(encJwk.alg, "ECDH-ES");
    assert.equal(encJwk.kid, "our-enc");
    assert.equal(encJwk.d, undefined);
    const now = Math.floor(Date.now() / 1000);
    const ourJws = await kp.runtime.keyring.signer.sign({
      iss: "https://kp.example",
      sub: "self",
      iat: now,
      exp: now + 60,
    });
    const toUs = await new jose.CompactEncrypt(new TextEncoder().encode(ourJws))
      .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM", kid: "our-enc", cty: "JWT" })
      .encrypt(await jose.importJWK(encJwk, "ECDH-ES"));
    const read = await decryptJwe(toUs, kp.runtime.keyring, {
      now: Math.floor(Date.now() / 1000),
      issuer: "https://kp.example",
    });
    assert.equal(read.claims.sub, "self");
    // An encrypted bare claims set is not one of our tokens (anyone can encrypt to a public key).
    const bare = await new jose.CompactEncrypt(new TextEncoder().encode('{"sub":"admin"}'))
      .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM", kid: "our-enc" })
      .encrypt(await jose.importJWK(encJwk, "ECDH-ES"));
    await assert.rejects(
      decryptJwe(bare, kp.runtime.keyring, { now: 0 }),
      (e) => e instanceof KeypebbleError && e.code === "invalid_token" && /cty/.test(e.message),
    );
  } finally {
    await rpJwks.close();
    await Deno.remove(dir.replace(/\/fernet$/, ""), { recursive: true });
  }
});

Deno.test("a JWKS URL that never answered: minting the kind is a 503 encryption_key_unavailable, never a plain token", async () => {
  const rp = jwksServer({ keys: [] });
  await rp.close();
  const kp = await makeTestHandler({
    configYaml: `issuer: kp\nhs256_secret: "${
      "s".repeat(40)
    }"\nprofiles:\n  auth: {encrypt: {to: "${rp.url}", alg: RSA-OAEP-256}}\n`,
  });
  const res = await kp.fetch("/auth", { method: "POST", headers: json, body: "{}" });
  assert.equal(res.status, 503);
  const body = await res.json();
  assert.equal(body.error, "encryption_key_unavailable");
  assert.ok(!JSON.stringify(body).includes("eyJ"));
});

Deno.test("config: format and encrypt mistakes, encryption keys and the fernet section name the file and field", () => {
  const key = 'hs256_secret: "0123456789abcdef0123456789abcdef"\n';
  const bad = (yaml: string, re: RegExp) => {
    assert.throws(
      () => parseConfig(`issuer: kp\n${yaml}`, "kp.yaml", { baseDir: "/etc/kp" }),
      (e) => {
        assert.ok(e instanceof KeypebbleError);
        assert.equal(e.code, "config_invalid");
        assert.match(e.message, re);
        return true;
      },
    );
  };
  bad(
    `${key}profiles: {auth: {format: fernet}}\n`,
    /^kp\.yaml: profiles\.auth\.format: is "fernet" but there is no "fernet" section/,
  );
  bad(
    `${key}profiles: {auth: {format: jwe}}\n`,
    /^kp\.yaml: profiles\.auth\.encrypt: is required with format "jwe"/,
  );
  bad(
    `${key}profiles: {auth: {format: jws, encrypt: {to: a.pem}}}\n`,
    /profiles\.auth\.encrypt: is only used with format "jwe"/,
  );
  bad(
    `${key}profiles: {registry: {format: fernet}}\n`,
    /profiles\.registry\.format: registry tokens are always JWS/,
  );
  bad(`${key}profiles: {svid: {format: jwe, encrypt: {to: a.pem}}}\n`, /profiles\.svid\.format/);
  bad(`${key}profiles: {auth: {format: jwz}}\n`, /profiles\.auth\.format: must be one of/);
  bad(
    `${key}profiles: {auth: {encrypt: {to: a.pem, alg: RSA1_5}}}\n`,
    /profiles\.auth\.encrypt\.alg: must be one of/,
  );
  bad(
    `${key}profiles: {auth: {encrypt: {to: a.pem, enc: A128GCM}}}\n`,
    /profiles\.auth\.encrypt\.enc: must be one of/,
  );
  bad(
    `${key}profiles: {auth: {encrypt: {to: "ftp://x/jwks"}}}\n`,
    /profiles\.auth\.encrypt\.to: must be an "https:\/\/"/,
  );
  bad(
    `${key}profiles: {auth: {encrypt: {to: a.pem, zip: DEF}}}\n`,
    /profiles\.auth\.encrypt\.zip: is not a known setting/,
  );
  bad(`${key}fernet: {ttl_seconds: 60}\n`, /^kp\.yaml: fernet\.keys_dir: is required/);
  bad(`${key}fernet: {keys_dir: k, ttl_seconds: 0}\n`, /fernet\.ttl_seconds: must be an integer/);
  bad(
    `keys:\n  - {path: e.pem, use: enc, alg: ECDH-ES}\n`,
    /^kp\.yaml: keys: needs at least one signing key/,
  );
  bad(
    `keys:\n  - {path: s.pem}\n  - {path: e.pem, use: enc}\n`,
    /^kp\.yaml: keys\[1\]\.alg: is required for an encryption key/,
  );
  bad(
    `keys:\n  - {path: s.pem}\n  - {path: e.pem, use: enc, alg: dir}\n`,
    /keys\[1\]\.alg: is required/,
  );
  bad(
    `keys:\n  - {path: s.pem}\n  - {path: e.pem, use: encrypt, alg: ECDH-ES}\n`,
    /keys\[1\]\.use: must be "sig"/,
  );
  bad(
    `keys:\n  - {path: s.pem}\n  - {path: e.pem, use: enc, alg: ECDH-ES, x5c_chain_path: c.pem}\n`,
    /keys\[1\]\.x5c_chain_path: is not a known setting/,
  );
  bad(
    `keys:\n  - {path: s.pem, kid: a}\n  - {path: e.pem, use: enc, alg: ECDH-ES, kid: a}\n`,
    /keys\[1\]\.kid: "a" is already used by keys\[0\]/,
  );
  // A relative recipient path is resolved like every other path of the config
  const ok = parseConfig(
    `issuer: kp\n${key}profiles: {auth: {encrypt: {to: rp.jwk}}}\n`,
    "kp.yaml",
    { baseDir: "/etc/kp" },
  );
  assert.deepEqual(ok.profiles.auth.tokenFormat?.encrypt?.to, {
    kind: "file",
    path: "/etc/kp/rp.jwk",
  });
  assert.equal(ok.profiles.auth.tokenFormat?.encrypt?.enc, "A256GCM");
});

Deno.test("runtime: a recipient or encryption key of the wrong type, or a missing file, is refused at start naming the field", async () => {
  const dir = await fernetDir();
  try {
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        `keys:\n  - {path: s.pem}\n  - {path: e.pem, use: enc, alg: RSA-OAEP-256}\n`,
        { "/kp/e.pem": await generateJweKeyPem("P-256") },
        /config\.yaml: keys\[1\]: the encryption key was refused: A key of type "P-256" cannot be used with "RSA-OAEP-256"/,
      ],
      [
        `keys:\n  - {path: s.pem}\nprofiles: {command: {encrypt: {to: rp.pem, alg: ECDH-ES}}}\n`,
        { "/kp/rp.pem": await generateJweKeyPem("RSA") },
        /config\.yaml: profiles\.command\.encrypt\.to: the recipient key was refused/,
      ],
      [
        `keys:\n  - {path: s.pem}\nprofiles: {command: {encrypt: {to: missing.jwk}}}\n`,
        {},
        /config\.yaml: profiles\.command\.encrypt\.to: cannot read the key file: the file does not exist/,
      ],
      [
        `keys:\n  - {path: s.pem}\nfernet: {keys_dir: ${dir}-absent}\n`,
        {},
        /config\.yaml: fernet\.keys_dir: .*does not exist.*fernet setup/,
      ],
      [
        `keys:\n  - {path: s.pem}\nfernet: {keys_dir: ${dir}, ttl_seconds: 300}\nprofiles: {kubernetes: {format: fernet}}\n`,
        {},
        /fernet\.ttl_seconds: 300 s is shorter than the kubernetes kind's minimum lifetime \(600 s\)/,
      ],
    ];
    for (const [yaml, extra, re] of cases) {
      const files = new Map<string, string>([
        ["/kp/s.pem", await generateKeyPem("ES256")],
        ...Object.entries(extra),
      ]);
      const config = parseConfig(`issuer: kp\n${yaml}`, TEST_CONFIG_PATH, { baseDir: "/kp" });
      await assert.rejects(buildRuntime(config, memoryIo(files), { generation: 1 }), (e) => {
        assert.ok(e instanceof KeypebbleError);
        assert.match(e.message, re);
        return true;
      });
    }
    // The repository's wide modes are warnings at start, not errors
    await Deno.chmod(`${dir}/1`, 0o644);
    const notices: { fields: Record<string, unknown> }[] = [];
    const config = parseConfig(
      `issuer: kp\nkeys:\n  - {path: s.pem}\nfernet: {keys_dir: ${dir}}\n`,
      TEST_CONFIG_PATH,
      {
        baseDir: "/kp",
      },
    );
    const rt = await buildRuntime(
      config,
      memoryIo(new Map([["/kp/s.pem", await generateKeyPem("ES256")]])),
      {
        generation: 1,
        notices: notices as never,
      },
    );
    assert.ok(notices.some((n) => /chmod 600/.test(String(n.fields.message))));
    assert.equal(
      (await loadRepository(dir, nodeFernetFiles)).layout.primary,
      rt.fernet!.repository.layout.primary,
    );
  } finally {
    await Deno.remove(dir.replace(/\/fernet$/, ""), { recursive: true });
  }
});

Deno.test("formats: a kind accepts a JWS always, a JWE or Fernet token only in the format it is issued in", async () => {
  const dir = await fernetDir();
  try {
    const kp = await makeTestHandler({
      configYaml: `issuer: https://kp.example
keys: [{path: sign.pem}]
fernet: {keys_dir: ${dir}}
profiles:
  command: {format: fernet}
  client: {encrypt: {to: rp.pem}}
`,
      files: {
        "sign.pem": await generateKeyPem("ES256"),
        "rp.pem": await generateJweKeyPem("RSA"),
      },
    });
    const p = kp.runtime.profiles;
    assert.deepEqual([formatOf(p.auth), formatOf(p.command), formatOf(p.client)], [
      "jws",
      "fernet",
      "jwe",
    ]);
    assert.ok(acceptsFormat(p.command, "jws") && acceptsFormat(p.command, "fernet"));
    assert.ok(!acceptsFormat(p.command, "jwe") && !acceptsFormat(p.auth, "fernet"));
    assert.ok(acceptsFormat(p.client, "jwe") && !acceptsFormat(p.client, "fernet"));
    assert.equal(profileForTyp(p, "KP-COMMAND+JWT").def.name, "command");
    assert.equal(profileForTyp(p, "kp-refresh+jwt").def.name, "auth", "refresh only when asked");
    assert.equal(profileForTyp(p, "kp-refresh+jwt", { refresh: true }).def.name, "refresh");
    // A command token made as Fernet passes the kind checks; an auth-typed one is not issued so
    const now = Math.floor(Date.now() / 1000);
    const res = await kp.fetch("/command/token", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ target: "t", command: "c" }),
    });
    const v = await verifyFernet((await res.json()).token, kp.runtime.fernet!, now);
    assert.equal(checkFernetKind(p, v, { requireFormat: true, audience: "t" }).def.name, "command");
    assert.throws(
      () => checkFernetKind(p, v, { audience: "other" }),
      (e) => e instanceof KeypebbleError && e.code === "invalid_audience",
    );
    const asAuth = { ...v, typ: "JWT" };
    assert.throws(
      () => checkFernetKind(p, asAuth, { requireFormat: true }),
      (e) => e instanceof KeypebbleError && /not issued as Fernet/.test(e.message),
    );
    assert.throws(
      () => checkFernetKind(p, { ...v, claims: { ...v.claims, iss: "x" } }),
      (e) => e instanceof KeypebbleError && e.code === "invalid_issuer",
    );
  } finally {
    await Deno.remove(dir.replace(/\/fernet$/, ""), { recursive: true });
  }
});

Deno.test("introspection reads our own Fernet tokens where the kind is issued as Fernet, and revocation holds", async () => {
  const dir = await fernetDir();
  const { makeKeyInstance } = await import("../helpers/api_keys.ts");
  const { hashPassword } = await import("../../src/identity/mod.ts");
  const hash = await hashPassword("intro-secret-0123456789", { iterations: 1000 });
  const kp = await makeKeyInstance({
    extraYaml: `fernet: {keys_dir: ${dir}, ttl_seconds: 900}
profiles:
  api: {format: fernet}
oauth:
  clients:
    - id: rs
      secret_hash: "${hash}"
      scopes: [x]
`,
  });
  try {
    await kp.svc.createOrg("acme");
    const k = await kp.svc.createKey({ orgName: "acme", label: "f", scopes: ["read"] });
    const form = (path: string, body: Record<string, string>, headers = {}) =>
      kp.fetch(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(body).toString(),
      });
    const cc = await (await form("/oauth2/token", {
      grant_type: "client_credentials",
      client_id: k.key.id,
      client_secret: k.raw,
    })).json();
    assert.match(cc.access_token, /^gAAAAA/);
    const rs = { authorization: `Basic ${btoa("rs:intro-secret-0123456789")}` };
    const intro = await (await form("/oauth2/introspect", { token: cc.access_token }, rs)).json();
    assert.equal(intro.active, true);
    assert.equal(intro.sub, k.key.id);
    assert.equal(intro.scope, "read");
    await kp.svc.revoke(k.key.id);
    assert.deepEqual(
      await (await form("/oauth2/introspect", { token: cc.access_token }, rs)).json(),
      {
        active: false,
      },
    );
  } finally {
    await kp.close();
    await Deno.remove(dir.replace(/\/fernet$/, ""), { recursive: true });
  }
});
