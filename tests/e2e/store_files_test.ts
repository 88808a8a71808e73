/**
 * The SQLite store's files at start (issue 20, reliability findings 2 and 4), as a real process
 * on a real file system. Tests run as root, which file modes do not stop: the immutable
 * attribute (`chattr +i`, ext4) makes a file unwritable for root too.
 *
 * - an `-shm` this process cannot write stops `serve` and `check` with the file named (SQLite
 *   would otherwise run with read-only shared memory, every write failing);
 * - a read-only database file starts with a warning; key checks work, writes answer 503
 *   `store_unavailable` (not 500) and the reason is logged; the usage it could not write is
 *   logged at shutdown, which exits 1.
 */

import assert from "node:assert/strict";
import { run, runKeypebble, startServer } from "../helpers/process.ts";

async function fixture(): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kp-store-files-" });
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
      'store: {url: "sqlite:kp.db", pepper_path: kp.pepper}\n',
  );
  assert.equal((await runKeypebble(["store", "init", "--config", config])).code, 0);
  return { dir, config };
}

async function immutable(path: string, on: boolean): Promise<void> {
  await run("chattr", [on ? "+i" : "-i", path], { allowFail: !on });
}

Deno.test("an -shm file this process cannot write stops serve and check, naming it", async () => {
  const { dir, config } = await fixture();
  const shm = `${dir}/kp.db-shm`;
  try {
    await Deno.writeFile(shm, new Uint8Array(0));
    await immutable(shm, true);
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 2, check.stdout);
    assert.match(check.stderr, /kp\.db-shm" is not writable by this process/);
    const serve = await runKeypebble(["serve", "--config", config, "--port", "0"]);
    assert.equal(serve.code, 2);
    assert.match(serve.stdout + serve.stderr, /kp\.db-shm\\*" is not writable by this process/);
  } finally {
    await immutable(shm, false);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a read-only store file: warned at start, key checks work, writes answer 503 and are logged", async () => {
  const { dir, config } = await fixture();
  const db = `${dir}/kp.db`;
  try {
    assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
    const created = await runKeypebble([
      "key",
      "create",
      "--config",
      config,
      "--org",
      "acme",
      "--label",
      "ops",
      "--scope",
      "admin",
      "--json",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout).key as string;
    await immutable(db, true);
    const check = await runKeypebble(["check", "--config", config]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /store\.url: The store file ".*kp\.db" is read-only/);
    const s = await startServer(config, { args: ["--workers", "1"] });
    try {
      assert.ok(
        s.lines.some((l) => l.includes('"event":"store_read_only"')),
        s.lines.join("\n"),
      );
      const ok = await fetch(`${s.url}/forward-auth`, { headers: { "x-api-key": key } });
      await ok.body?.cancel();
      assert.equal(ok.status, 200);
      const write = await fetch(`${s.url}/admin/orgs`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "beta" }),
      });
      assert.equal(write.status, 503);
      assert.equal((await write.json()).error, "store_unavailable");
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        s.lines.some((l) =>
          l.includes('"event":"store_unavailable"') && /readonly database/.test(l)
        ),
        s.lines.join("\n"),
      );
    } finally {
      // The key check was counted, and a read-only store cannot take the count: the shutdown
      // says so and exits 1.
      assert.equal(await s.stop(), 1);
      assert.ok(s.lines.some((l) => l.includes('"event":"usage_lost"')), s.lines.join("\n"));
    }
  } finally {
    await immutable(db, false);
    await Deno.remove(dir, { recursive: true });
  }
});
