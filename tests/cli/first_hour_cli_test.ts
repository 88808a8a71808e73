/**
 * An operator's first hour on the command line: `keypebble check` on good, broken and warning
 * configs, errors that name the right thing, and the small CLI fixes (help CMD, -c, keygen
 * flags, issue ttl_seconds and --policy, verify's --refresh hint, healthcheck's output,
 * jwks --credentials-dir, listen errors).
 */

import assert from "node:assert/strict";
import { importHmacSecret, JwsSigner, withKid } from "../../src/jose/mod.ts";
import { REFRESH_TYP } from "../../src/runtime/mod.ts";
import { freePort, keypebbleCommand, REPO_ROOT, runKeypebble } from "../helpers/process.ts";

const SECRET = "first-hour-hmac-secret-0123456789abcdef";

async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp_fh_" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

Deno.test("check on a good config prints what is served and exits 0", async () => {
  const dir = await tempDir({
    "config.yaml": `issuer: "https://kp.test"
audience: registry.test
hs256_secret_path: secret
kid: h1
policy_path: policy.yaml
`,
    secret: SECRET,
    "policy.yaml": 'users:\n  alice:\n    repos: ["team/**"]\n    actions: [pull]\n',
  });
  try {
    const r = await runKeypebble(["check", "--config", `${dir}/config.yaml`]);
    assert.equal(r.code, 0, r.stderr);
    for (
      const want of [
        /OK, serve would start/,
        /^issuer +https:\/\/kp\.test$/m,
        /POST +\/auth/,
        /GET,POST +\/v2\/token/,
        /signs +HS256 +kid "h1"/,
        /registry .*services: registry\.test/,
        /policy .*policy\.yaml: 1 user/,
        /POST \/auth: a token of the auth kind, with no credentials/,
        /^warnings +none$/m,
      ]
    ) assert.match(r.stdout, want);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check on a broken config exits 2 naming the file, field and problem", async () => {
  const dir = await tempDir({
    "config.yaml": `issuer: kp\nhs256_secret_path: secret\nservice: {hots: 0.0.0.0}\n`,
    secret: SECRET,
  });
  try {
    const r = await runKeypebble(["check", "-c", `${dir}/config.yaml`]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /config\.yaml: service\.hots: is not a known setting; did you mean "service\.host"\?/,
    );
    assert.match(r.stderr, /would NOT start/);
    const yaml = await Deno.writeTextFile(`${dir}/bad.yaml`, "issuer: kp\n  x: [\n");
    void yaml;
    const y = await runKeypebble(["check", "-c", `${dir}/bad.yaml`]);
    assert.equal(y.code, 2);
    assert.match(y.stderr, /bad\.yaml: not valid YAML at line \d+, column \d+/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check lists warnings, Python keys and patterns, and environment overrides", async () => {
  const dir = await tempDir({
    "config.yaml": `issuer: kp
rs256_private_key: key.pem
key_id: legacy
generate_missing_key: true
policy_path: policy.yaml
require_authentication: true
`,
    "policy.yaml": 'users:\n  bob:\n    repos: ["acme/*"]\n    actions: [pull]\n',
  });
  try {
    const r = await runKeypebble(["check", "--config", `${dir}/config.yaml`], {
      env: { KEYPEBBLE_REALM: "edge", KEYPEBBLE_PROT: "1" },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rs256_private_key: the Python name of "rs256_private_key_path"/);
    assert.match(r.stdout, /key_id: the Python name of "kid"/);
    assert.match(r.stdout, /users\.bob\.repos\[0\]: pattern "acme\/\*"/);
    assert.match(r.stdout, /KEYPEBBLE_REALM sets realm/);
    assert.match(r.stdout, /KEYPEBBLE_PROT: is not a setting .*KEYPEBBLE_PORT/);
    assert.match(r.stdout, /policy_path: is set but neither "audience" nor "services"/);
    assert.match(r.stdout, /serve would GENERATE/);
    // check writes nothing
    await assert.rejects(Deno.stat(`${dir}/key.pem`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check and jwks take --credentials-dir when CREDENTIALS_DIRECTORY is unset", async () => {
  const { generateKeyPem } = await import("../../src/jose/mod.ts");
  const dir = await tempDir({
    "config.yaml": 'issuer: kp\nrs256_private_key_path: "${CREDENTIALS_DIRECTORY}/signing.key"\n',
    "signing.key": await generateKeyPem("EdDSA"),
  });
  try {
    const bare = await runKeypebble(["jwks", "--config", `${dir}/config.yaml`]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /CREDENTIALS_DIRECTORY.*--credentials-dir/);
    const j = await runKeypebble([
      "jwks",
      "--config",
      `${dir}/config.yaml`,
      "--credentials-dir",
      dir,
    ]);
    assert.equal(j.code, 0, j.stderr);
    const jwks = JSON.parse(j.stdout);
    assert.equal(jwks.keys[0].alg, "EdDSA");
    assert.equal(typeof jwks.keys[0].kid, "string", "a single key publishes its thumbprint");
    const c = await runKeypebble(["check", "-c", `${dir}/config.yaml`, "--credentials-dir", dir]);
    assert.equal(c.code, 0, c.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad KEYPEBBLE_LOG_LEVEL is reported as the variable, not the file's log_level", async () => {
  const dir = await tempDir({ "config.yaml": `issuer: kp\nhs256_secret: "${SECRET}"\n` });
  try {
    const r = await runKeypebble(["serve", "--config", `${dir}/config.yaml`], {
      env: { KEYPEBBLE_LOG_LEVEL: "loud" },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /KEYPEBBLE_LOG_LEVEL: must be one of/);
    assert.doesNotMatch(r.stderr, /config\.yaml: log_level/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("help CMD prints that command's help; -c is --config", async () => {
  const h = await runKeypebble(["help", "serve"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: keypebble serve/);
  const c = await runKeypebble(["help", "check"]);
  assert.match(c.stdout, /Usage: keypebble check --config FILE \[--credentials-dir DIR\]/);
});

Deno.test("keygen: --alg defaults to RS256 out loud, --bits lists its values, a directory is named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_kg_" });
  try {
    const bits = await runKeypebble(["keygen", "--out", `${dir}/k.pem`, "--bits", "2500"]);
    assert.equal(bits.code, 2);
    assert.match(bits.stderr, /"--bits" must be 2048, 3072 or 4096/);
    const ec = await runKeypebble([
      "keygen",
      "--alg",
      "ES256",
      "--bits",
      "2048",
      "--out",
      `${dir}/e`,
    ]);
    assert.equal(ec.code, 2);
    assert.match(ec.stderr, /"--bits" is for RS256 only/);
    const asDir = await runKeypebble(["keygen", "--alg", "EdDSA", "--out", dir]);
    assert.equal(asDir.code, 2);
    assert.match(asDir.stderr, /is a directory; give a file name/);
    const ok = await runKeypebble(["keygen", "--out", `${dir}/rsa.pem`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /no --alg given: making an RS256 key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue: --claims ttl_seconds asks for a lifetime; --policy with --user generates access", async () => {
  const dir = await tempDir({
    "config.yaml": `issuer: kp\nhs256_secret: "${SECRET}"\n`,
    "policy.yaml": 'users:\n  alice:\n    repos: ["team/app"]\n    actions: [pull]\n',
  });
  try {
    const r = await runKeypebble([
      "issue",
      "-c",
      `${dir}/config.yaml`,
      "--claims",
      '{"ttl_seconds":60,"role":"x"}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const claims = JSON.parse(
      atob(r.stdout.trim().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
    );
    assert.equal(claims.exp - claims.iat, 60);
    assert.equal(claims.ttl_seconds, undefined);
    const p = await runKeypebble([
      "issue",
      "-c",
      `${dir}/config.yaml`,
      "--policy",
      `${dir}/policy.yaml`,
      "--user",
      "alice",
    ]);
    assert.equal(p.code, 0, p.stderr);
    const pc = JSON.parse(
      atob(p.stdout.trim().split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
    );
    assert.deepEqual(pc.access, [{ type: "repository", name: "team/app", actions: ["pull"] }]);
    const noUser = await runKeypebble([
      "issue",
      "-c",
      `${dir}/config.yaml`,
      "--policy",
      `${dir}/policy.yaml`,
    ]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /"--policy" needs "--user NAME"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify on a refresh token hints at --refresh", async () => {
  const dir = await tempDir({ "config.yaml": `issuer: kp\nhs256_secret: "${SECRET}"\nkid: h\n` });
  try {
    const key = withKid(await importHmacSecret(new TextEncoder().encode(SECRET)), "h");
    const signer = await JwsSigner.create(key, { typ: REFRESH_TYP });
    const now = Math.floor(Date.now() / 1000);
    const token = await signer.sign({ iss: "kp", sub: "a", iat: now, nbf: now, exp: now + 60 });
    const r = await runKeypebble(["verify", "-c", `${dir}/config.yaml`, token]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /add --refresh/);
    const ok = await runKeypebble(["verify", "-c", `${dir}/config.yaml`, "--refresh", token]);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("healthcheck says why it failed", async () => {
  const port = freePort();
  const r = await runKeypebble(["healthcheck", "--url", `http://127.0.0.1:${port}/healthz`]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`healthcheck failed: cannot reach http://127\\.0\\.0\\.1:${port}/healthz`),
  );
});

Deno.test("a listen error names host and port and exits 2", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const dir = await tempDir({
    "config.yaml":
      `issuer: kp\nhs256_secret: "${SECRET}"\nservice: {host: 127.0.0.1, port: ${port}}\n`,
  });
  try {
    const r = await runKeypebble(["serve", "-c", `${dir}/config.yaml`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}`));
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "deno task cli resolves paths against the caller's directory",
  // A binary run (KEYPEBBLE_BIN) involves no deno task: reported as ignored, not passed.
  ignore: keypebbleCommand().prefix.length === 0,
}, async () => {
  const dir = await tempDir({ "config.yaml": `issuer: kp\nhs256_secret: "${SECRET}"\n` });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--quiet",
        "--config",
        `${REPO_ROOT}deno.json`,
        "cli",
        "check",
        "-c",
        "config.yaml",
      ],
      cwd: dir,
      // As typed in a shell: this suite itself runs under deno task, whose INIT_CWD would leak.
      clearEnv: true,
      env: Object.fromEntries(
        Object.entries(Deno.env.toObject()).filter(([k]) => k !== "INIT_CWD"),
      ),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert.equal(out.code, 0, dec.decode(out.stderr));
    assert.match(dec.decode(out.stdout), /config\.yaml: OK/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KEYPEBBLE_BIN may be relative to where the tests were started", () => {
  const saved = { bin: Deno.env.get("KEYPEBBLE_BIN"), cwd: Deno.env.get("INIT_CWD") };
  try {
    Deno.env.set("KEYPEBBLE_BIN", "dist/keypebble");
    Deno.env.set("INIT_CWD", "/home/op/keypebble");
    assert.equal(keypebbleCommand().cmd, "/home/op/keypebble/dist/keypebble");
    Deno.env.set("KEYPEBBLE_BIN", "/opt/kp");
    assert.equal(keypebbleCommand().cmd, "/opt/kp");
  } finally {
    for (const [k, v] of [["KEYPEBBLE_BIN", saved.bin], ["INIT_CWD", saved.cwd]] as const) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
});

Deno.test("deno task test needs Deno alone; test:binary is not test:e2e", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}deno.json`)).tasks;
  assert.notEqual(tasks["test:binary"], tasks["test:e2e"]);
  // A task is a command line, or {command, dependencies} (test depends on build:web).
  const command = (t: string | { command: string }) => typeof t === "string" ? t : t.command;
  const dirs = command(tasks.test).split(" ").filter((a: string) => a.endsWith("/"));
  const offenders: string[] = [];
  for (const dir of dirs) {
    for await (const f of _walk(`${REPO_ROOT}${dir}`)) {
      if (!f.endsWith("_test.ts")) continue;
      const text = await Deno.readTextFile(f);
      // Programs other than Deno (and this project's own CLI) belong in tests/e2e.
      if (/new Deno\.Command\("(?!deno)|\b(promtool|openssl)\(|"\/usr\/(s?bin)\//.test(text)) {
        offenders.push(f.slice(REPO_ROOT.length));
      }
    }
  }
  assert.deepEqual(offenders, [], "move these to tests/e2e/ (they run other programs)");
});

async function* _walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir.replace(/\/$/, "")}/${e.name}`;
    if (e.isDirectory) yield* _walk(p);
    else yield p;
  }
}

Deno.test({
  name: "a file outside deno task start's read permission is explained, not a Deno flag error",
  ignore: keypebbleCommand().prefix.length === 0,
}, async () => {
  const dir = await tempDir({
    "config.yaml": `issuer: kp\nhs256_secret_path: /etc/hostname\n`,
  });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--allow-read=${dir},${REPO_ROOT}`,
        "--allow-env=LOG_TOKENS,LOG_STREAM,KEYPEBBLE_*,CREDENTIALS_DIRECTORY",
        `${REPO_ROOT}src/main.ts`,
        "check",
        "-c",
        `${dir}/config.yaml`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, err);
    assert.match(
      err,
      /hs256_secret_path: cannot read the file: this process is not allowed to read it/,
    );
    assert.doesNotMatch(err, /run again with/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a private key readable by others is warned about by the real runtime adapter", async () => {
  const dir = await tempDir({
    "config.yaml": 'issuer: kp\naudience: edge\nrs256_private_key_path: "key.pem"\n',
  });
  try {
    const made = await runKeypebble(["keygen", "--alg", "RS256", "--out", `${dir}/key.pem`]);
    assert.equal(made.code, 0, made.stderr);
    const tight = await runKeypebble(["check", "--config", `${dir}/config.yaml`]);
    assert.equal(tight.code, 0, tight.stderr);
    assert.doesNotMatch(tight.stdout, /readable by other users/);
    await Deno.chmod(`${dir}/key.pem`, 0o644);
    const loose = await runKeypebble(["check", "--config", `${dir}/config.yaml`]);
    assert.equal(loose.code, 0, loose.stderr);
    assert.match(
      loose.stdout,
      /rs256_private_key_path: The private key file is readable by other users; chmod 600 it/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
