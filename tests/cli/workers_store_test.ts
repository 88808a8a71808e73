/**
 * `serve --workers 2` with a SQLite store, as a real process: the main thread migrates the store
 * and creates the bootstrap admin once, then each worker opens its own connection and key cache.
 * Fresh connections (`connection: close`) let the kernel spread requests over both workers; the
 * assertions hold for the process as a whole: a key's rate limit never exceeds its configured
 * total, a revocation made through the CLI reaches every worker within `store.cache_seconds`,
 * and every worker's usage counts end in the store.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { collectLines, freePort, REPO_ROOT, runKeypebble } from "../helpers/process.ts";

const BIN = Deno.env.get("KEYPEBBLE_BIN");

async function _serve(dir: string, env: Record<string, string> = {}) {
  const port = freePort();
  const prefix = BIN ? [] : [
    "run",
    "--quiet",
    "--unstable-net",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    `${REPO_ROOT}src/main.ts`,
  ];
  const child = new Deno.Command(BIN ?? Deno.execPath(), {
    args: [...prefix, "serve", "--config", `${dir}/kp.yaml`, "--port", String(port)],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { KEYPEBBLE_WORKERS: "2", ...env },
  }).spawn();
  const { lines, done } = collectLines(child);
  const exited = child.status.then(async (s) => {
    await done;
    return s.code;
  });
  for (let i = 0; i < 400 && !lines.some((l) => l.includes('"event":"start"')); i++) {
    const end = await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    if (typeof end === "number") throw new Error(`serve exited ${end}:\n${lines.join("\n")}`);
  }
  const start = lines.find((l) => l.includes('"event":"start"'));
  if (start === undefined) {
    child.kill("SIGKILL");
    await exited;
    throw new Error(`serve did not start:\n${lines.join("\n")}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    start: JSON.parse(start),
    stop: async () => {
      child.kill("SIGTERM");
      return await exited;
    },
  };
}

async function _fresh(extra = ""): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp-workers-store-" });
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  await Deno.writeTextFile(
    `${dir}/kp.yaml`,
    'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
      'store: {url: "sqlite:kp.db", cache_seconds: 1}\n' +
      "rate_limit: { per_address: false, per_principal: false }\n" + extra,
  );
  return dir;
}

async function _cli(dir: string, args: string[]): Promise<string> {
  const r = await runKeypebble([
    ...args.slice(0, 2),
    "--config",
    `${dir}/kp.yaml`,
    ...args.slice(2),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** One forward-auth check on its own connection, so the kernel picks a worker afresh. */
async function _check(url: string, key: string): Promise<number> {
  const r = await fetch(`${url}/forward-auth`, {
    headers: { "x-api-key": key, connection: "close" },
  });
  await r.body?.cancel();
  return r.status;
}

/** Wait until at least `seconds` remain in the current minute (per-minute windows). */
async function _awayFromMinuteEnd(seconds: number): Promise<void> {
  const left = 60 - (Date.now() / 1000) % 60;
  if (left < seconds) await new Promise((r) => setTimeout(r, left * 1000 + 100));
}

Deno.test({
  name: "two workers on one SQLite store: migrated once, key limit held in total, revocation " +
    "reaches every worker within cache_seconds, every worker's usage is stored",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await _fresh();
  const s = await _serve(dir);
  try {
    assert.equal(s.start.workers, 2);
    // The store did not exist: the main thread created and migrated it before the workers.
    const versions = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const rows = versions.prepare("SELECT version FROM schema_migrations").all();
    versions.close();
    assert.ok(rows.length > 0);
    assert.equal(new Set(rows.map((r) => r.version)).size, rows.length);

    await _cli(dir, ["org", "create", "acme"]);
    const limited = JSON.parse(
      await _cli(dir, [
        "key",
        "create",
        "--org",
        "acme",
        "--label",
        "l",
        "--rate-limit",
        "10",
        "--json",
      ]),
    );
    const plain = JSON.parse(
      await _cli(dir, ["key", "create", "--org", "acme", "--label", "p", "--json"]),
    );

    await _awayFromMinuteEnd(25);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await _check(s.url, limited.key));
    // Each worker allows its share (10 / 2) of the key's limit: 10 in total, exactly 10 only
    // when both workers took at least five of the 40 connections.
    assert.equal(statuses.filter((x) => x === 200).length, 10, statuses.join(","));
    assert.equal(statuses.filter((x) => x === 429).length, 30);

    for (let i = 0; i < 20; i++) assert.equal(await _check(s.url, plain.key), 200);
    await _cli(dir, ["key", "revoke", plain.id]);
    await new Promise((r) => setTimeout(r, 1500)); // store.cache_seconds: 1
    for (let i = 0; i < 20; i++) assert.equal(await _check(s.url, plain.key), 401);
  } finally {
    assert.equal(await s.stop(), 0, s.lines.join("\n"));
  }
  try {
    // Each worker flushed its own counts at SIGTERM; the store adds them up.
    const db = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const sum = db.prepare(
      "SELECT k.label, SUM(u.requests) AS requests, SUM(u.errors) AS errors " +
        "FROM usage_minutes u JOIN api_keys k ON k.id = u.key_id GROUP BY k.label ORDER BY k.label",
    ).all();
    db.close();
    assert.deepEqual(sum.map((r) => [r.label, Number(r.requests), Number(r.errors)]), [
      ["l", 40, 30],
      ["p", 20, 0],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "two workers with accounts: the bootstrap admin is created once and its password " +
    "printed once",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await _fresh("accounts: {}\n");
  const s = await _serve(dir);
  try {
    assert.equal(s.start.workers, 2);
  } finally {
    assert.equal(await s.stop(), 0, s.lines.join("\n"));
  }
  try {
    assert.equal(s.lines.filter((l) => l.includes('"event":"admin_created"')).length, 1);
    assert.equal(s.lines.filter((l) => l.includes("one-time password")).length, 1);
    const db = new DatabaseSync(`${dir}/kp.db`, { readOnly: true });
    const n = db.prepare("SELECT COUNT(*) AS n FROM users").get();
    db.close();
    assert.equal(Number(n?.n), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
