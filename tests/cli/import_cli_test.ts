/**
 * `keypebble import keyguard|pico-auth` as a real process (issue 22 contracts): exit 0 with a
 * JSON summary under `--json`, 2 with a message when the source cannot be read, the usage is
 * wrong or keyguard's secret does not match the config's; the pepper is created with the store;
 * the secret never appears in the output. The databases are hand-built (src/import/sample_dbs.ts);
 * tests/e2e/import_*_test.ts use ones written by the real programs.
 */

import assert from "node:assert/strict";
import { KeyguardDb, PicoAuthDb } from "../../src/import/sample_dbs.ts";
import { runKeypebble } from "../helpers/process.ts";

const SECRET = "keyguard-secret-for-cli-test";

async function fresh(extra = ""): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  await Deno.writeTextFile(`${dir}/kg.secret`, `${SECRET}\n`);
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    `issuer: "https://kp.test"\nhs256_secret_path: secret\nstore:\n  url: "sqlite:kp.db"\n${extra}`,
  );
  return { dir, config };
}

Deno.test("CLI import keyguard: --json summary, exit 0, pepper created, secret not printed", async () => {
  const { dir, config } = await fresh("  keyguard_secret_key_path: kg.secret\n");
  try {
    const kg = new KeyguardDb(`${dir}/keyguard.db`, SECRET);
    const org = kg.org("Acme Corp");
    await kg.key(org, { label: "one" });
    await kg.key(org, { label: "two", active: false });
    kg.close();
    const args = ["import", "keyguard", "--config", config, "--secret-key-file"];
    const dry = await runKeypebble([
      ...args,
      `${dir}/kg.secret`,
      "--from",
      `sqlite+aiosqlite:///${dir}/keyguard.db`,
      "--dry-run",
      "--json",
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).dry_run, true);
    const r = await runKeypebble([
      ...args,
      `${dir}/kg.secret`,
      "--from",
      `${dir}/keyguard.db`,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.source, "keyguard");
    assert.equal(s.dry_run, false);
    assert.deepEqual(s.counts.keys, {
      created: 2,
      updated: 0,
      unchanged: 0,
      refused: 0,
      removed: 0,
    });
    assert.deepEqual(s.refused, []);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
    assert.equal((await Deno.stat(`${dir}/keypebble.pepper`)).mode! & 0o777, 0o600);
    const list = await runKeypebble(["key", "list", "--config", config, "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).keys.length, 2);
    const text = await runKeypebble([...args, `${dir}/kg.secret`, "--from", `${dir}/keyguard.db`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /keys\s+0 created, 0 updated, 2 unchanged, 0 refused/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI import: exit 2 with a message for an unreadable source, wrong usage or a mismatched secret", async () => {
  const { dir, config } = await fresh("  keyguard_secret_key_path: kg.secret\n");
  try {
    const missing = await runKeypebble([
      "import",
      "keyguard",
      "--config",
      config,
      "--from",
      `${dir}/nope.db`,
      "--secret-key-file",
      `${dir}/kg.secret`,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the source sqlite:.*nope\.db/);
    await Deno.writeTextFile(`${dir}/junk.db`, "this is not a database");
    const junk = await runKeypebble([
      "import",
      "pico-auth",
      "--config",
      config,
      "--from",
      `${dir}/junk.db`,
    ]);
    assert.equal(junk.code, 2);
    assert.match(junk.stderr, /source/);
    const pg = await runKeypebble([
      "import",
      "pico-auth",
      "--config",
      config,
      "--from",
      "postgresql+asyncpg://u:hunter2@127.0.0.1:1/auth",
    ]);
    assert.equal(pg.code, 2);
    assert.match(pg.stderr, /Cannot read the source postgres:/);
    assert.ok(!pg.stderr.includes("hunter2"));
    const noSecret = await runKeypebble([
      "import",
      "keyguard",
      "--config",
      config,
      "--from",
      `${dir}/nope.db`,
    ]);
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /--secret-key-file/);
    const peer = await runKeypebble(["import", "auth0", "--config", config, "--from", "x"]);
    assert.equal(peer.code, 2);
    await Deno.writeTextFile(`${dir}/other.secret`, "another-secret");
    const kg = new KeyguardDb(`${dir}/keyguard.db`, SECRET);
    kg.close();
    const mismatch = await runKeypebble([
      "import",
      "keyguard",
      "--config",
      config,
      "--from",
      `${dir}/keyguard.db`,
      "--secret-key-file",
      `${dir}/other.secret`,
    ]);
    assert.equal(mismatch.code, 2);
    assert.match(mismatch.stderr, /keyguard_secret_key_path.*another secret/);
    assert.ok(!mismatch.stderr.includes("another-secret"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI import pico-auth: --json summary and a note when the config serves no accounts", async () => {
  const { dir, config } = await fresh();
  try {
    const pa = new PicoAuthDb(`${dir}/auth.db`);
    const u = pa.user("alice@example.com");
    await pa.refresh(u, "2999-01-01T00:00:00+00:00");
    pa.close();
    const r = await runKeypebble([
      "import",
      "pico-auth",
      "--config",
      config,
      "--from",
      `sqlite:${dir}/auth.db`,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.counts.users.created, 1);
    assert.equal(s.counts.refresh_tokens.created, 1);
    assert.ok(s.notes.some((n: string) => /no accounts: section/.test(n)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
