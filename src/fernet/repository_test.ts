/**
 * The key repository on a real directory (node:fs, as the CLI and server use it): setup makes
 * 0 and 1 with modes 0600 in a 0700 directory, rotation promotes the staged key and prunes the
 * oldest secondaries, tokens made before a rotation still verify after it, a concurrent change
 * is refused while the lock is held.
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import { nodeFernetFiles as files } from "../platform/fernet_files.ts";
import {
  fernetDecrypt,
  fernetEncrypt,
  loadRepository,
  rotateRepository,
  sealFernet,
  setupRepository,
  verifyFernet,
} from "./mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "kp_fernet_" });
  try {
    await fn(`${base}/keys`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

const names = async (dir: string) =>
  (await files.list(dir))!.filter((n) => !n.startsWith(".")).sort();

Deno.test("fernet setup makes a 0700 directory with primary 1 and staged 0, mode 0600, and is idempotent", () =>
  withDir(async (dir) => {
    const first = await setupRepository(dir, files);
    assert.deepEqual(first, { changed: true, primary: 1, staged: 0, removed: [], kept: [0, 1] });
    assert.deepEqual(await names(dir), ["0", "1"]);
    assert.equal(await files.mode(dir), 0o700);
    assert.equal(await files.mode(`${dir}/0`), 0o600);
    assert.equal(await files.mode(`${dir}/1`), 0o600);
    const key1 = await files.readText(`${dir}/1`);
    assert.match(key1!, /^[A-Za-z0-9_-]{43}=$/);
    const again = await setupRepository(dir, files);
    assert.equal(again.changed, false);
    assert.equal(await files.readText(`${dir}/1`), key1);
    const repo = await loadRepository(dir, files);
    assert.deepEqual(repo.layout, { primary: 1, secondary: [], staged: 0 });
    assert.deepEqual(repo.keys.map((k) => k.id), ["1", "0"]);
    assert.deepEqual(repo.warnings, []);
  }));

Deno.test("fernet rotate: staged becomes primary, a new staged 0, the oldest secondaries beyond max active removed", () =>
  withDir(async (dir) => {
    await setupRepository(dir, files);
    const staged = await files.readText(`${dir}/0`);
    const r1 = await rotateRepository(dir, files);
    assert.deepEqual(r1, { changed: true, primary: 2, staged: 0, removed: [], kept: [0, 1, 2] });
    assert.equal(await files.readText(`${dir}/2`), staged, "the staged key was promoted as it was");
    assert.notEqual(await files.readText(`${dir}/0`), staged);
    const r2 = await rotateRepository(dir, files);
    assert.deepEqual(r2.removed, [1]);
    assert.deepEqual(await names(dir), ["0", "2", "3"]);
    const r3 = await rotateRepository(dir, files, { maxActive: 5 });
    assert.deepEqual(r3.kept, [0, 2, 3, 4]);
    assert.equal(await files.mode(`${dir}/0`), 0o600);
    await assert.rejects(
      rotateRepository(dir, files, { maxActive: 2 }),
      (e) => isKeypebbleError(e) && /from 3 to/.test(e.message),
    );
  }));

Deno.test("fernet: a token made before a rotation verifies after it; one made with a pruned key does not", () =>
  withDir(async (dir) => {
    await setupRepository(dir, files);
    const now = 1_800_000_000;
    const before = await loadRepository(dir, files);
    const old = await sealFernet(
      { repository: before, ttlSeconds: 3600 },
      '{"sub":"a"}',
      "JWT",
      now,
    );
    // An instance that has only seen the setup already accepts the next primary (the staged key).
    await rotateRepository(dir, files);
    const after = await loadRepository(dir, files);
    const fresh = await sealFernet(
      { repository: after, ttlSeconds: 3600 },
      '{"sub":"b"}',
      "JWT",
      now,
    );
    assert.equal(
      (await verifyFernet(fresh, { repository: before, ttlSeconds: 3600 }, now)).keyId,
      "0",
    );
    const v = await verifyFernet(old, { repository: after, ttlSeconds: 3600 }, now);
    assert.deepEqual(v.claims, { sub: "a" });
    assert.equal(v.typ, "JWT");
    assert.equal(v.keyId, "1");
    await rotateRepository(dir, files);
    await rotateRepository(dir, files);
    const later = await loadRepository(dir, files);
    await assert.rejects(
      verifyFernet(old, { repository: later, ttlSeconds: 3600 }, now),
      (e) => isKeypebbleError(e) && e.code === "invalid_token",
    );
  }));

Deno.test("fernet: rotation waits for no one: a held lock refuses a second change; a missing repository is named", () =>
  withDir(async (dir) => {
    await assert.rejects(
      rotateRepository(dir, files),
      (e) => isKeypebbleError(e) && /does not exist/.test(e.message),
    );
    await assert.rejects(
      loadRepository(dir, files),
      (e) => isKeypebbleError(e) && /fernet setup/.test(e.message),
    );
    await setupRepository(dir, files);
    await files.writeNew(`${dir}/.lock`, "1\n", 0o600);
    await assert.rejects(
      rotateRepository(dir, files),
      (e) => isKeypebbleError(e) && /\.lock exists/.test(e.message),
    );
    await files.remove(`${dir}/.lock`);
    await rotateRepository(dir, files);
  }));

Deno.test("fernet: wide modes are warnings, a malformed key file an error naming it; other names are ignored", () =>
  withDir(async (dir) => {
    await setupRepository(dir, files);
    await Deno.chmod(`${dir}/1`, 0o644);
    await Deno.chmod(dir, 0o755);
    await Deno.writeTextFile(`${dir}/README`, "not a key");
    const repo = await loadRepository(dir, files);
    assert.equal(repo.warnings.length, 2);
    assert.match(repo.warnings.join("\n"), /chmod 600/);
    assert.match(repo.warnings.join("\n"), /chmod 700/);
    await Deno.writeTextFile(`${dir}/7`, "short");
    await assert.rejects(
      loadRepository(dir, files),
      (e) =>
        isKeypebbleError(e) && e.code === "config_invalid" && e.message.includes(`${dir}/7`) &&
        !e.message.includes("short"),
    );
  }));

Deno.test("fernet: the message is the kind's typ then the claims, as documented", () =>
  withDir(async (dir) => {
    await setupRepository(dir, files);
    const repo = await loadRepository(dir, files);
    const token = await sealFernet(
      { repository: repo, ttlSeconds: 60 },
      '{"iss":"kp","exp":2}',
      "at+jwt",
      1,
    );
    const { message } = await fernetDecrypt(token, repo.keys, { now: 1 });
    assert.equal(new TextDecoder().decode(message), '{"typ":"at+jwt","iss":"kp","exp":2}');
    // The claims' own exp holds as for a JWS
    await assert.rejects(
      verifyFernet(token, { repository: repo, ttlSeconds: 600 }, 62 + 1),
      (e) => isKeypebbleError(e) && e.code === "token_expired",
    );
    assert.ok(await fernetEncrypt(repo.primary, new Uint8Array(), 1));
  }));
