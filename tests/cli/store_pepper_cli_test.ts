/**
 * The pepper is verified (issue 20): `store init` records its fingerprint; a missing or a
 * different pepper stops `serve` and `check` alike with a message saying which (never a server
 * that answers 401 to every key); a store made before fingerprints gets one at its first start,
 * with a log line; a pepper or store file other users can read is a warning at start and in
 * `check`.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runKeypebble, startServer } from "../helpers/process.ts";

async function fixture(): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kp-pepper-" });
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
      'store: {url: "sqlite:kp.db", pepper_path: kp.pepper}\n',
  );
  return { dir, config };
}

/** `serve` that is expected to stop before listening: its exit code and output. */
async function serveRefused(config: string) {
  const r = await runKeypebble(["serve", "--config", config, "--port", "0", "--workers", "1"]);
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("store init records the pepper's fingerprint; a different pepper stops serve and check, naming it", async () => {
  const { dir, config } = await fixture();
  try {
    const init = await runKeypebble(["store", "init", "--config", config, "--json"]);
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(
      { ...JSON.parse(init.stdout), schema_version: 0 },
      {
        store: `sqlite:${dir}/kp.db`,
        schema_version: 0,
        pepper_created: true,
        pepper_fingerprint: "recorded",
      },
    );
    const ok = await runKeypebble(["check", "--config", config]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /warnings\s+none/);

    await Deno.writeTextFile(`${dir}/kp.pepper`, "x".repeat(43) + "\n");
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 2);
    assert.match(
      check.stderr,
      /store\.pepper_path: ".*kp\.pepper" is a DIFFERENT pepper from the one store sqlite:.*kp\.db was initialised with/,
    );
    const serve = await serveRefused(config);
    assert.equal(serve.code, 2);
    assert.match(serve.out, /is a DIFFERENT pepper/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing pepper stops serve and check alike (exit 2, 'MISSING'), once the store was initialised", async () => {
  const { dir, config } = await fixture();
  try {
    assert.equal((await runKeypebble(["store", "init", "--config", config])).code, 0);
    await Deno.remove(`${dir}/kp.pepper`);
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 2, check.stdout);
    assert.match(check.stderr, /store\.pepper_path: ".*kp\.pepper" is MISSING, but store/);
    assert.match(check.stderr, /would NOT start \(exit 2\)/);
    const serve = await serveRefused(config);
    assert.equal(serve.code, 2);
    assert.match(serve.out, /is MISSING, but store/);
    await assert.rejects(Deno.stat(`${dir}/kp.pepper`), "no new pepper was made");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a store without a fingerprint (made before this version) gets one at its first start, logged", async () => {
  const { dir, config } = await fixture();
  try {
    assert.equal((await runKeypebble(["store", "init", "--config", config])).code, 0);
    const db = new DatabaseSync(`${dir}/kp.db`);
    db.exec("DELETE FROM settings WHERE name = 'pepper_fingerprint'");
    db.close();
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 0, check.stderr);
    const s = await startServer(config, { args: ["--workers", "1"] });
    try {
      assert.ok(
        s.lines.some((l) => l.includes('"event":"pepper_fingerprint_recorded"')),
        s.lines.join("\n"),
      );
    } finally {
      assert.equal(await s.stop(), 0);
    }
    await Deno.writeTextFile(`${dir}/kp.pepper`, "y".repeat(43) + "\n");
    assert.equal((await runKeypebble(["check", "--config", config])).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a pepper, store file or admin password file other users can read is warned about by check and at start", async () => {
  const { dir, config } = await fixture();
  try {
    await Deno.writeTextFile(`${dir}/admin-pw`, "correct horse battery staple\n");
    await Deno.chmod(`${dir}/admin-pw`, 0o644);
    await Deno.writeTextFile(config, "accounts: {admin_password_path: admin-pw}\n", {
      append: true,
    });
    assert.equal((await runKeypebble(["store", "init", "--config", config])).code, 0);
    await Deno.chmod(`${dir}/kp.pepper`, 0o644);
    await Deno.chmod(`${dir}/kp.db`, 0o604);
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /warnings\s+3/);
    assert.match(
      check.stdout,
      /store\.pepper_path: The pepper ".*kp\.pepper" is readable by other users; chmod 600 it/,
    );
    assert.match(check.stdout, /store\.url: The store file ".*kp\.db" is readable by other users/);
    assert.match(check.stdout, /accounts\.admin_password_path: The admin password file/);
    const s = await startServer(config, { args: ["--workers", "1"] });
    try {
      const warned = s.lines.filter((l) => l.includes('"event":"store_file_permissions"'));
      // The database (and its -wal and -shm, which SQLite gives the database's mode), the
      // pepper and the admin password file.
      assert.ok(warned.length >= 3, s.lines.join("\n"));
      assert.ok(warned.some((l) => l.includes('"mode":"0644"') && l.includes("kp.pepper")));
      assert.ok(warned.some((l) => l.includes('"mode":"0604"') && l.includes('kp.db"')));
      assert.ok(warned.some((l) => l.includes("admin-pw")));
    } finally {
      assert.equal(await s.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
