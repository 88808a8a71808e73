/**
 * The API key CLI contracts, run as a real process on a real SQLite file: `org create`,
 * `key create --json` (with `id` and `key`), `key list --json`, `key revoke`, `store status`,
 * and clear errors for a read-only or locked store.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runKeypebble } from "../helpers/process.ts";

async function fresh(): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    'issuer: "https://kp.test"\nhs256_secret_path: secret\nstore: {url: "sqlite:kp.db"}\n',
  );
  return { dir, config };
}

Deno.test("CLI: org create, key create --json, key list --json, key revoke on a fresh config", async () => {
  const { dir, config } = await fresh();
  try {
    const org = await runKeypebble(["org", "create", "--config", config, "acme"]);
    assert.equal(org.code, 0, org.stderr);
    assert.equal((await Deno.stat(`${dir}/kp.db`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/keypebble.pepper`)).mode! & 0o777, 0o600);
    const created = await runKeypebble([
      "key",
      "create",
      "--config",
      config,
      "--org",
      "acme",
      "--label",
      "ci",
      "--scope",
      "read",
      "--scope",
      "write",
      "--rate-limit",
      "10",
      "--expires-in",
      "3600",
      "--json",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const lines = created.stdout.trim().split("\n");
    assert.equal(lines.length, 1, "one JSON object");
    const k = JSON.parse(lines[0]);
    assert.match(k.key, /^kp_live_[A-Za-z0-9_-]{43}$/);
    assert.equal(typeof k.id, "string");
    assert.deepEqual(k.scopes, ["read", "write"]);
    assert.equal(k.rate_limit_per_minute, 10);
    const db = await Deno.readFile(`${dir}/kp.db`);
    assert.ok(!new TextDecoder("latin1").decode(db).includes(k.key), "the key is not stored");
    const list = await runKeypebble(["key", "list", "--config", config, "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout);
    assert.equal(listed.total, 1);
    assert.equal(listed.keys[0].id, k.id);
    assert.ok(!list.stdout.includes(k.key), "never listed");
    const revoked = await runKeypebble(["key", "revoke", "--config", config, k.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = JSON.parse(
      (await runKeypebble(["key", "list", "--config", config, "--json"])).stdout,
    );
    assert.equal(after.keys[0].status, "revoked");
    assert.equal(after.keys[0].is_active, false);
    const table = await runKeypebble(["key", "list", "--config", config]);
    assert.match(table.stdout, /^ID\s+ORG\s+LABEL/);
    const unknown = await runKeypebble(["key", "revoke", "--config", config, "nope"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /No API key "nope"/);
    const status = await runKeypebble(["store", "status", "--config", config, "--json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout).pending, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: org, block and stats commands with --json", async () => {
  const { dir, config } = await fresh();
  try {
    await runKeypebble(["org", "create", "--config", config, "acme"]);
    const dup = await runKeypebble(["org", "create", "--config", config, "acme"]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);
    const s = await runKeypebble(["org", "suspend", "--config", config, "acme", "--json"]);
    assert.equal(JSON.parse(s.stdout).status, "suspended");
    const b = await runKeypebble([
      "block",
      "--config",
      config,
      "--address",
      "10.0.0.9",
      "--seconds",
      "60",
      "--json",
    ]);
    assert.equal(b.code, 0, b.stderr);
    const blocks = JSON.parse(
      (await runKeypebble(["blocks", "--config", config, "--json"])).stdout,
    );
    assert.equal(blocks.blocks[0].value, "10.0.0.9");
    assert.equal(
      (await runKeypebble(["unblock", "--config", config, "--address", "10.0.0.9"])).code,
      0,
    );
    const stats = JSON.parse((await runKeypebble(["stats", "--config", config, "--json"])).stdout);
    assert.equal(stats.total_organizations, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: a read-only store file gives a clear error and changes nothing", async () => {
  const { dir, config } = await fresh();
  try {
    assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
    await Deno.chmod(`${dir}/kp.db`, 0o400);
    await Deno.chmod(dir, 0o500);
    const r = await runKeypebble(["org", "create", "--config", config, "beta"]);
    if (Deno.uid() === 0) {
      // root ignores file modes; the test still proves no crash
      assert.ok(r.code === 0 || /store/i.test(r.stderr), r.stderr);
    } else {
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /store|readonly|read-only/i);
    }
  } finally {
    await Deno.chmod(dir, 0o700);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: a store locked by another writer gives a clear 'unavailable' error, not a crash", async () => {
  const { dir, config } = await fresh();
  try {
    assert.equal((await runKeypebble(["org", "create", "--config", config, "acme"])).code, 0);
    const holder = new DatabaseSync(`${dir}/kp.db`);
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const r = await runKeypebble(["org", "create", "--config", config, "beta"]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unavailable|locked/i);
      assert.ok(!/at .*\.ts:\d+/.test(r.stderr), "no stack trace");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    const list = JSON.parse(
      (await runKeypebble(["org", "list", "--config", config, "--json"])).stdout,
    );
    assert.deepEqual(list.organizations.map((o: { name: string }) => o.name), ["acme"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: check summarises the store and shared_limits with passwords redacted; an unreachable Postgres stops it as it stops serve", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    const config = `${dir}/kp.yaml`;
    await Deno.writeTextFile(
      `${dir}/pg.yaml`,
      'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
        'store: {url: "postgres://kp:pg-s3cret@127.0.0.1:1/kp?password=pg-s3cret", ' +
        "pepper_path: kp.pepper}\n",
    );
    const down = await runKeypebble(["check", "--config", `${dir}/pg.yaml`]);
    assert.equal(down.code, 2, down.stdout);
    assert.match(
      down.stderr,
      /Store postgres:\/\/\*\*\*@127\.0\.0\.1:1\/kp\?password=\*\*\* is unavailable/,
    );
    assert.ok(!down.stderr.includes("s3cret"), "no password shown");
    await Deno.writeTextFile(
      config,
      'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
        'store: {url: "sqlite:kp.db", pepper_path: kp.pepper, ' +
        "cache_seconds: 3, accepted_prefixes: [kg_live_]}\n" +
        'shared_limits: {redis_url: "redis://:redis-s3cret@redis.invalid:6379/0"}\n',
    );
    const missing = await runKeypebble(["check", "--config", config]);
    assert.equal(missing.code, 0, missing.stderr);
    const out = missing.stdout;
    assert.match(out, new RegExp(`store\\s+sqlite:${dir}/kp\\.db \\(opened read-only by check\\)`));
    assert.match(out, new RegExp(`pepper\\s+${dir}/kp\\.pepper \\(missing: serve creates it`));
    assert.match(out, /cached 3 s .*accepted: kp_live_, kg_live_/);
    assert.match(out, /shared limits redis:\/\/\*\*\*@redis\.invalid:6379\/0: counters shared/);
    for (const e of ["/forward-auth", "/oauth2/token", "/admin/keys/{id}/roll"]) {
      assert.ok(out.includes(e), e);
    }
    assert.match(out, /api\s+POST \/oauth2\/token .*lifetime 900 s/);
    assert.ok(!out.includes("s3cret") && !missing.stderr.includes("s3cret"), "no password shown");
    await assert.rejects(Deno.stat(`${dir}/kp.pepper`), "check writes no pepper");
    await assert.rejects(Deno.stat(`${dir}/kp.db`), "check creates no store");

    await Deno.writeTextFile(`${dir}/kp.pepper`, "p".repeat(40));
    const ok = await runKeypebble(["check", "--config", config]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes("missing"));

    await Deno.writeTextFile(`${dir}/kp.pepper`, "short");
    const weak = await runKeypebble(["check", "--config", config]);
    assert.equal(weak.code, 2);
    assert.match(weak.stderr, /store\.pepper_path: .*holds 5 bytes; at least 32/);
    assert.match(weak.stderr, /would NOT start \(exit 2\)/);

    await Deno.writeTextFile(`${dir}/kp.pepper`, "p".repeat(40));
    const env = await runKeypebble(["check", "--config", config], {
      env: { KEYPEBBLE_STORE__CACHE_SECONDS: "7" },
    });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /cached 7 s/);
    assert.match(env.stdout, /KEYPEBBLE_STORE__CACHE_SECONDS sets store\.cache_seconds/);
    const typo = await runKeypebble(["check", "--config", config], {
      env: { KEYPEBBLE_STORE__CACHE_SECOND: "2" },
    });
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /KEYPEBBLE_STORE__CACHE_SECOND: is not a known setting; did you mean "store\.cache_seconds"\?/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: check without a store says the API key endpoints answer 404", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    await Deno.writeTextFile(
      `${dir}/kp.yaml`,
      'issuer: "https://kp.test"\nhs256_secret_path: secret\n',
    );
    const r = await runKeypebble(["check", "--config", `${dir}/kp.yaml`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /store\s+none: API keys, \/forward-auth, \/oauth2\/token and \/admin\/\* answer 404/,
    );
    assert.match(r.stdout, /shared limits none: rate limits and lockout are counted per instance/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
