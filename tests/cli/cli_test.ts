/**
 * The command line as a user runs it: exit codes, help, issue → verify round trips, tampering,
 * inspect, config errors that name their field, and policy-generated access.
 */

import assert from "node:assert/strict";
import { ROUTE_TABLE } from "../../src/app/mod.ts";
import { runKeypebble } from "../helpers/process.ts";

const COMMANDS = [
  "serve",
  "issue",
  "command",
  "verify",
  "inspect",
  "keygen",
  "jwks",
  "hash-password",
];
const SECRET = "cli-test-hmac-secret-0123456789abcdefghij";

async function tempConfig(yaml: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp_cli_" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  await Deno.writeTextFile(`${dir}/config.yaml`, yaml);
  return `${dir}/config.yaml`;
}

function cleanup(config: string): Promise<void> {
  return Deno.remove(config.slice(0, config.lastIndexOf("/")), { recursive: true });
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(
    atob(
      part.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(part.length / 4) * 4, "="),
    ),
  );
}

Deno.test("--version prints the version and runtime", async () => {
  const r = await runKeypebble(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^keypebble \d+\.\d+\.\d+\S* \((deno|bun)/);
});

Deno.test("--help lists every command; each command has its own --help", async () => {
  const main = await runKeypebble(["--help"]);
  assert.equal(main.code, 0);
  for (const c of COMMANDS) assert.match(main.stdout, new RegExp(`^  ${c} `, "m"), c);
  for (const c of COMMANDS) {
    const r = await runKeypebble([c, "--help"]);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`Usage: keypebble ${c}`), c);
  }
});

Deno.test("serve --help names every fixed path of the route table, the /spiffe/v1 routes included", async () => {
  const r = await runKeypebble(["serve", "--help"]);
  assert.equal(r.code, 0);
  const text = r.stdout.replace(/\s+/g, " ");
  const fixed = ROUTE_TABLE.map((d) => d.template).filter((t) => !t.includes("{"));
  assert.ok(fixed.includes("/spiffe/v1/svid"));
  for (const t of fixed) assert.ok(text.includes(t), `serve --help lacks ${t}`);
  assert.match(text, /Kubernetes TokenRequest paths/);
});

Deno.test("an unknown command or option exits 2 with usage", async () => {
  const r = await runKeypebble(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown command "frobnicate"/);
  const none = await runKeypebble([]);
  assert.equal(none.code, 2);
  const badFlag = await runKeypebble(["verify", "--nope", "x"]);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /Usage: keypebble verify/);
});

Deno.test("issue signs tokens that verify; a tampered token fails with the reason", async () => {
  const config = await tempConfig(
    `issuer: "https://cli.test"\naudience: aud-1\nhs256_secret_path: secret\nallowed_custom_claims: [sub, role]\n`,
    { secret: SECRET },
  );
  try {
    const r = await runKeypebble([
      "issue",
      "--config",
      config,
      "--claims",
      '{"sub":"edge-1","role":"reader","exp":1,"iss":"evil","secret_sauce":true}',
      "--ttl",
      "120",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /not signed.*(exp|iss)/);
    const token = r.stdout.trim();
    const claims = decode(token.split(".")[1]);
    assert.equal(claims.sub, "edge-1");
    assert.equal(claims.role, "reader");
    assert.equal(claims.iss, "https://cli.test");
    assert.equal(claims.aud, "aud-1");
    assert.equal(claims.secret_sauce, undefined);
    assert.equal((claims.exp as number) - (claims.iat as number), 120);

    const ok = await runKeypebble(["verify", "--config", config, token]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).valid, true);
    const aud = await runKeypebble(["verify", "--config", config, "--audience", "aud-1", "-"], {
      stdin: token + "\n",
    });
    assert.equal(aud.code, 0, aud.stderr);
    const wrongAud = await runKeypebble(["verify", "--config", config, "--audience", "x", token]);
    assert.equal(wrongAud.code, 1);
    assert.match(wrongAud.stderr, /invalid_audience/);

    // Tamper with the payload (keep the signature).
    const [h, , s] = token.split(".");
    const forged = btoa(JSON.stringify({ ...claims, sub: "root" })).replaceAll("+", "-")
      .replaceAll("/", "_").replace(/=+$/, "");
    const bad = await runKeypebble(["verify", "--config", config, `${h}.${forged}.${s}`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid token \(invalid_signature\)/);
    assert.equal(bad.stdout, "");
    // Garbage is invalid too, not a crash.
    const junk = await runKeypebble(["verify", "--config", config, "not.a.token"]);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /invalid token/);
    // A token from another key fails.
    const other = await tempConfig(
      `issuer: "https://cli.test"\nhs256_secret: "${"z".repeat(40)}"\n`,
    );
    try {
      const r2 = await runKeypebble(["verify", "--config", other, token]);
      assert.equal(r2.code, 1);
    } finally {
      await cleanup(other);
    }
  } finally {
    await cleanup(config);
  }
});

Deno.test("inspect decodes without verifying and says so", async () => {
  const config = await tempConfig(`issuer: "https://cli.test"\nhs256_secret_path: secret\n`, {
    secret: SECRET,
  });
  try {
    const token = (await runKeypebble(["issue", "--config", config])).stdout.trim();
    const r = await runKeypebble(["inspect", token]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /NOT verified/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.verified, false);
    assert.equal(out.header.alg, "HS256");
    assert.equal(out.claims.iss, "https://cli.test");
    const junk = await runKeypebble(["inspect", "zzz"]);
    assert.equal(junk.code, 1);
  } finally {
    await cleanup(config);
  }
});

Deno.test("serve exits 2 naming the field for a non-integer default_ttl_seconds", async () => {
  const config = await tempConfig(
    `issuer: kp\nhs256_secret_path: secret\ndefault_ttl_seconds: "soon"\n`,
    { secret: SECRET },
  );
  try {
    const r = await runKeypebble(["serve", "--config", config, "--port", "0"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml: default_ttl_seconds: must be an integer, got \\"soon\\"/);
    const issue = await runKeypebble(["issue", "--config", config]);
    assert.equal(issue.code, 2);
    assert.match(issue.stderr, /default_ttl_seconds: must be an integer, got "soon"/);
  } finally {
    await cleanup(config);
  }
});

Deno.test("serve exits 2 naming the field for a 5-byte HS256 secret", async () => {
  for (
    const [yaml, field] of [
      ["issuer: kp\nhs256_secret: abcde\n", "hs256_secret"],
      ["issuer: kp\nhs256_secret_path: secret\n", "hs256_secret_path"],
      ["issuer: kp\nkeys:\n  - secret_path: secret\n    kid: h\n", "keys\\[0\\]"],
    ]
  ) {
    const config = await tempConfig(yaml, { secret: "abcde\n" });
    try {
      const r = await runKeypebble(["serve", "--config", config, "--port", "0"]);
      assert.equal(r.code, 2, yaml);
      assert.match(r.stderr, new RegExp(`config\\.yaml: ${field}: .*5 bytes.*at least 32`), yaml);
      assert.ok(!r.stderr.includes("abcde"), "the secret is never printed");
    } finally {
      await cleanup(config);
    }
  }
});

Deno.test("issue --policy --generate --user adds the user's access from the policy", async () => {
  const config = await tempConfig(`issuer: "https://cli.test"\nhs256_secret_path: secret\n`, {
    secret: SECRET,
    "policy.yaml": `users:
  alice:
    repos: ["alice/app", "shared/base", "alice/*"]
    actions: ["pull", "push"]
`,
  });
  const policy = config.replace("config.yaml", "policy.yaml");
  try {
    const r = await runKeypebble([
      "issue",
      "--config",
      config,
      "--policy",
      policy,
      "--generate",
      "--user",
      "alice",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const claims = decode(r.stdout.trim().split(".")[1]);
    assert.equal(claims.sub, "alice");
    assert.deepEqual(claims.access, [
      { type: "repository", name: "alice/app", actions: ["pull", "push"] },
      { type: "repository", name: "shared/base", actions: ["pull", "push"] },
    ]);
    assert.equal(typeof claims.scope, "string");
    assert.match(claims.scope as string, /repository:alice\/app:pull,push/);
    const v = await runKeypebble(["verify", "--config", config, r.stdout.trim()]);
    assert.equal(v.code, 0, v.stderr);
    const noUser = await runKeypebble([
      "issue",
      "--config",
      config,
      "--policy",
      policy,
      "--generate",
    ]);
    assert.equal(noUser.code, 2);
    const noPolicy = await runKeypebble(["issue", "--config", config, "--generate", "--user", "a"]);
    assert.equal(noPolicy.code, 2);
  } finally {
    await cleanup(config);
  }
});

Deno.test("hash-password reads stdin and prints a PBKDF2 PHC string", async () => {
  const r = await runKeypebble(["hash-password", "--iterations", "100000"], {
    stdin: "hunter2\n",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.trim(), /^\$pbkdf2-sha256\$i=100000\$[^$]+\$[^$]+$/);
  assert.ok(!r.stdout.includes("hunter2"));
});
