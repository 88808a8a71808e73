/**
 * Helpers of the `serve --workers 2` with a store suites (SQLite in tests/cli, PostgreSQL in
 * tests/e2e): a real process, fresh connections so the kernel spreads requests over both workers.
 */

import assert from "node:assert/strict";
import { collectLines, freePort, keypebbleCommand, runKeypebble } from "./process.ts";

/** `serve` with KEYPEBBLE_WORKERS=2 in `dir` (config `kp.yaml`), once its start line is out. */
export async function serveTwoWorkers(dir: string, env: Record<string, string> = {}) {
  const port = freePort();
  // The binary, or the source with --unstable-net (SO_REUSEPORT on Deno).
  const { cmd, prefix: base } = keypebbleCommand();
  const prefix = base.length === 0 ? [] : ["run", "--unstable-net", ...base.slice(1)];
  const child = new Deno.Command(cmd, {
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

/**
 * A temp dir with an HS256 config and `storeYaml` (a `store:` line) plus `extra` (limits off
 * unless `extra` has a `rate_limit:` line).
 */
export async function storeFixture(storeYaml: string, extra = ""): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp-workers-store-" });
  await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
  await Deno.writeTextFile(
    `${dir}/kp.yaml`,
    'issuer: "https://kp.test"\nhs256_secret_path: secret\n' +
      storeYaml + "\n" +
      (extra.includes("rate_limit:")
        ? ""
        : "rate_limit: { per_address: false, per_principal: false }\n") +
      extra,
  );
  return dir;
}

/** Run a CLI command against the fixture config. */
export async function cli(dir: string, args: string[]): Promise<string> {
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
export async function forwardAuth(
  url: string,
  key: string,
  seen?: (h: Headers) => void,
): Promise<number> {
  const r = await fetch(`${url}/forward-auth`, {
    headers: { "x-api-key": key, connection: "close" },
  });
  await r.body?.cancel();
  seen?.(r.headers);
  return r.status;
}

/** Wait until at least `seconds` remain in the current minute (per-minute windows). */
async function _awayFromMinuteEnd(seconds: number): Promise<void> {
  const left = 60 - (Date.now() / 1000) % 60;
  if (left < seconds) await new Promise((r) => setTimeout(r, left * 1000 + 100));
}

/**
 * The shared scenario: a key limited to 10 per minute gets 10 in total over 40 fresh connections
 * (5 per worker); a revoked key is refused by every worker after `store.cache_seconds` (1 here).
 * Returns the keys' ids (label `l`: 40 requests, 30 refused; `p`: 20 requests).
 */
export async function keysAcrossWorkers(
  dir: string,
  url: string,
): Promise<{ l: string; p: string }> {
  await cli(dir, ["org", "create", "acme"]);
  const limited = JSON.parse(
    await cli(dir, [
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
    await cli(dir, ["key", "create", "--org", "acme", "--label", "p", "--json"]),
  );

  await _awayFromMinuteEnd(25);
  const statuses: number[] = [];
  const limits = new Set<string | null>();
  const policies = new Set<string | null>();
  for (let i = 0; i < 40; i++) {
    statuses.push(
      await forwardAuth(url, limited.key, (h) => {
        limits.add(h.get("x-ratelimit-limit"));
        policies.add(h.get("ratelimit-policy"));
      }),
    );
  }
  // The headers tell the configured limit, never a worker's share (10, not 5).
  assert.deepEqual([...limits], ["10"]);
  assert.deepEqual([...policies], ["10;w=60"]);
  // Each worker allows its share (10 / 2) of the key's limit: 10 in total, exactly 10 only
  // when both workers took at least five of the 40 connections.
  assert.equal(statuses.filter((x) => x === 200).length, 10, statuses.join(","));
  assert.equal(statuses.filter((x) => x === 429).length, 30);

  for (let i = 0; i < 20; i++) assert.equal(await forwardAuth(url, plain.key), 200);
  await cli(dir, ["key", "revoke", plain.id]);
  await new Promise((r) => setTimeout(r, 1500)); // store.cache_seconds: 1
  for (let i = 0; i < 20; i++) assert.equal(await forwardAuth(url, plain.key), 401);
  return { l: limited.id, p: plain.id };
}
