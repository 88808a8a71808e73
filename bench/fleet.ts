/**
 * Fleet mode (issue 21): two Keypebble instances on one PostgreSQL and one Redis against one
 * instance on SQLite (memory limits), on the same load generator, `GET /forward-auth` with a key
 * that has a per-minute limit of its own (every request makes a limit decision: the per-address
 * limit, the key's lockout check and the key's limit), accepted; alternating rounds.
 *
 *   deno task bench:fleet [--only=deno,bun] [--rounds=3] [--duration=4]
 *
 * What it counts, not assumes:
 * - Redis round trips per request: `EVALSHA` calls (INFO commandstats) over the requests wrk
 *   completed, and a MONITOR sample during load listing every command a client sent (the
 *   script's own reads and writes run inside Redis and are not round trips);
 * - PostgreSQL on the warm path: transactions committed (pg_stat_database) over the requests
 *   (the background re-reads of the key cache, the revocation list and the blocks, and the
 *   usage batch every 10 s, are all there is);
 * - CPU per request of each process (instances, Redis, PostgreSQL, wrk) from /proc, which is what
 *   the ratio is made of on a machine whose cores the load generator shares.
 *
 * Needs PostgreSQL 15 and redis-server (`.ci/run` installs them); started here on free ports,
 * stopped afterwards.
 */

import { startPostgres, startRedis } from "../tests/e2e/fleet_helpers.ts";
import {
  type Build,
  cli,
  cpuSeconds,
  fmt,
  loadAverage,
  log,
  median,
  type Proc,
  ROOT,
  sh,
  startKeypebble,
  wrk,
  type WrkResult,
} from "./harness.ts";

const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const ROUNDS = Number(flags.get("rounds") ?? 3);
const DURATION = Number(flags.get("duration") ?? 4);
const RUNTIMES = (flags.get("only") ?? "deno,bun").split(",") as ("deno" | "bun")[];

const COMMON = [
  'issuer: "https://keypebble.bench"',
  'hs256_secret_path: "hs.secret"',
  "service: { host: 127.0.0.1 }",
  'log_level: "error"',
  // The per-address limit on: one more limit decision per request, far above the load.
  "rate_limit: { per_address: { requests: 10000000, window_seconds: 60 }, per_principal: false }",
];

async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await sh("redis-cli", ["-p", String(port), ...args], { allowFail: true })).stdout;
}

function evalshaCalls(info: string): number {
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

async function pgTransactions(port: number, db: string): Promise<number> {
  const out = await sh("runuser", [
    "-u",
    "postgres",
    "--",
    "/usr/lib/postgresql/15/bin/psql",
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-At",
    "-c",
    `select xact_commit + xact_rollback from pg_stat_database where datname = '${db}'`,
  ]);
  return Number(out.stdout.trim());
}

/** Every command Redis clients send during `ms` (MONITOR), by name. */
async function monitor(port: number, ms: number): Promise<Map<string, number>> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "MONITOR"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  setTimeout(() => child.kill("SIGTERM"), ms);
  const text = new TextDecoder().decode((await child.output()).stdout);
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    // `1700000000.123 [0 127.0.0.1:5555] "EVALSHA" ...`; `[0 lua]` lines run inside the script.
    const m = /^\d+\.\d+ \[\d+ [0-9.]+:\d+\] "([A-Za-z]+)"/.exec(line);
    if (m !== null) out.set(m[1].toUpperCase(), (out.get(m[1].toUpperCase()) ?? 0) + 1);
  }
  return out;
}

async function main(): Promise<void> {
  const loads = [`start ${await loadAverage()}`];
  const pg = await startPostgres();
  const redis = await startRedis();
  const results: string[] = [];
  try {
    for (const runtime of RUNTIMES) {
      const build: Build = { name: `ours-${runtime}`, runtime, root: ROOT };
      const dir = await Deno.makeTempDir({ prefix: `kp-bench-fleet-${runtime}-` });
      await Deno.writeTextFile(`${dir}/hs.secret`, "s".repeat(48));
      const dbName = `fleet_${runtime}`;
      const dbUrl = await pg.createDb(dbName);
      const fleetCfg = `${dir}/fleet.yaml`;
      const oneCfg = `${dir}/one.yaml`;
      await Deno.writeTextFile(
        fleetCfg,
        [
          ...COMMON,
          `store: { url: "${dbUrl}", pepper_path: pepper }`,
          `shared_limits: { redis_url: "${redis.url}" }`,
          "",
        ].join("\n"),
      );
      await Deno.writeTextFile(
        oneCfg,
        [...COMMON, 'store: { url: "sqlite:kp.db", pepper_path: pepper }', ""].join("\n"),
      );
      const keys: Record<string, string> = {};
      for (const [name, cfg] of [["fleet", fleetCfg], ["one", oneCfg]]) {
        await cli(build, ["org", "create", "--config", cfg, "bench"], dir);
        keys[name] = JSON.parse(
          (await cli(build, [
            "key",
            "create",
            "--config",
            cfg,
            "--org",
            "bench",
            "--label",
            "bench",
            "--rate-limit",
            "1000000000",
            "--json",
          ], dir)).stdout,
        ).key;
      }
      const a = await startKeypebble(build, fleetCfg);
      const b = await startKeypebble(build, fleetCfg);
      const one = await startKeypebble(build, oneCfg);
      const lua = async (name: string) => {
        const f = `${dir}/${name}.lua`;
        await Deno.writeTextFile(f, `wrk.headers["X-API-Key"] = "${keys[name]}"\n`);
        return f;
      };
      const fleetLua = await lua("fleet");
      const oneLua = await lua("one");
      const url = (p: Proc) => `http://127.0.0.1:${p.port}/forward-auth`;
      const redisPid = Number(
        /process_id:(\d+)/.exec(await redisCli(redis.port, "INFO", "server"))?.[1] ?? 0,
      );
      try {
        log(`${runtime}: warm-up`);
        await wrk(url(one), { seconds: 2, script: oneLua });
        await Promise.all([
          wrk(url(a), { seconds: 2, script: fleetLua, connections: 16 }),
          wrk(url(b), { seconds: 2, script: fleetLua, connections: 16 }),
        ]);
        const oneRps: number[] = [];
        const twoRps: number[] = [];
        const trips: number[] = [];
        const pgPerReq: number[] = [];
        const cpu: { one: number[]; inst: number[]; redis: number[] } = {
          one: [],
          inst: [],
          redis: [],
        };
        for (let r = 0; r < ROUNDS; r++) {
          log(`${runtime}: round ${r + 1} (load ${await loadAverage()})`);
          const c1 = await cpuSeconds(one.pid);
          const o = await wrk(url(one), { seconds: DURATION, script: oneLua });
          cpu.one.push((await cpuSeconds(one.pid) - c1) / Math.max(1, o.requests) * 1e6);
          oneRps.push(o.rps);
          // The same load generator, its 32 connections split over the two instances.
          await redisCli(redis.port, "CONFIG", "RESETSTAT");
          const tx0 = await pgTransactions(pg.port, dbName);
          const ca = await cpuSeconds(a.pid);
          const cb = await cpuSeconds(b.pid);
          const cr = redisPid > 0 ? await cpuSeconds(redisPid) : 0;
          const [x, y]: WrkResult[] = await Promise.all([
            wrk(url(a), { seconds: DURATION, script: fleetLua, connections: 16 }),
            wrk(url(b), { seconds: DURATION, script: fleetLua, connections: 16 }),
          ]);
          const n = x.requests + y.requests;
          cpu.inst.push(
            ((await cpuSeconds(a.pid) - ca) + (await cpuSeconds(b.pid) - cb)) / n * 1e6,
          );
          if (redisPid > 0) cpu.redis.push((await cpuSeconds(redisPid) - cr) / n * 1e6);
          const tx = await pgTransactions(pg.port, dbName) - tx0;
          const calls = evalshaCalls(await redisCli(redis.port, "INFO", "commandstats"));
          trips.push(calls / n);
          pgPerReq.push(tx / n);
          twoRps.push(x.rps + y.rps);
          if (x.non2xx + y.non2xx + o.non2xx > 0) log("non-2xx answers: the figures are wrong");
        }
        // Which commands clients send, sampled under load.
        const sample = Promise.all([
          wrk(url(a), { seconds: 2, script: fleetLua, connections: 16 }),
          wrk(url(b), { seconds: 2, script: fleetLua, connections: 16 }),
        ]);
        const seen = await monitor(redis.port, 1000);
        await sample;
        const row = `| ${runtime} | ${fmt(median(twoRps))} | ${fmt(median(oneRps))} | ${
          (median(twoRps) / median(oneRps)).toFixed(2)
        }× | ${median(trips).toFixed(3)} (${[...seen].map(([k, v]) => `${k} ${v}`).join(", ")}) | ${
          median(pgPerReq).toFixed(5)
        } | ${median(cpu.inst).toFixed(1)} + Redis ${median(cpu.redis).toFixed(1)} | ${
          median(cpu.one).toFixed(1)
        } |`;
        console.log(row);
        results.push(row);
      } finally {
        await a.stop();
        await b.stop();
        await one.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
      loads.push(`after ${runtime} ${await loadAverage()}`);
    }
  } finally {
    await redis.stop();
    await pg.stop();
    await Deno.remove(pg.dir, { recursive: true }).catch(() => {});
  }
  console.log(
    `\nGET /forward-auth, two instances on one PostgreSQL and one Redis vs one on SQLite ` +
      `(wrk -t1 -c32 each side, split 16 + 16 for the two; median of ${ROUNDS} alternating ` +
      `rounds of ${DURATION} s); load average ${loads.join("; ")}\n`,
  );
  console.log(
    "| runtime | two instances req/s | one instance req/s | ratio | Redis round trips per request (commands clients sent) | PostgreSQL transactions per request | CPU µs per request, fleet | CPU µs per request, one |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of results) console.log(r);
}

await main();
