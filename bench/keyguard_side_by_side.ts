/**
 * `/forward-auth` side by side with what a user would otherwise run (issue 21): keyguard's own
 * middleware verifying a key, from its public source (The-honoured1/keyguard, its snapshot on the
 * machine, see tests/helpers/peers.ts), on FastAPI under uvicorn as its README sets it up
 * (`app.add_middleware(KeyGuardMiddleware, kg_instance=kg, protected_path="/api")`), on Debian's
 * Python with SQLAlchemy 2, aiosqlite, FastAPI and uvicorn from pip (the package index the machine
 * is configured with). Nothing of keyguard is committed: it is checked out into a temporary
 * directory for the run.
 *
 * Both sides verify one key of one organisation with a per-minute limit far above the load, on a
 * SQLite file in the same directory, with in-memory rate limiting (keyguard without Redis;
 * Keypebble without `shared_limits`), one process each (uvicorn's default one worker;
 * `serve --workers 1`), on the same cores, measured with the same wrk in alternating rounds; and
 * keyguard once more with its database in memory (`/dev/shm`), its most favourable setting, so
 * the comparison does not rest on the disk:
 *
 *   deno task bench:keyguard [--rounds=5] [--duration=5] [--only=deno,bun] [--workers=1,2]
 *
 * With `--workers=2` keyguard runs `uvicorn --workers 2` and Keypebble `--workers 2` (wrk -t2).
 * Every keyguard request reads the key from the database (a join with its organisation) and
 * writes a usage row; Keypebble answers from its key cache and counts usage in memory, written
 * every 10 s in one batch: what a user gains is that difference, measured.
 */

import { checkout, peerGitDir, PYTHON, pythonDeps } from "../tests/helpers/peers.ts";
import {
  type Build,
  cli,
  fmt,
  freePort,
  loadAverage,
  log,
  median,
  ROOT,
  sh,
  sleep,
  startKeypebble,
  wrk,
} from "./harness.ts";

const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const ROUNDS = Number(flags.get("rounds") ?? 5);
const DURATION = Number(flags.get("duration") ?? 5);
const RUNTIMES = (flags.get("only") ?? "deno,bun").split(",") as ("deno" | "bun")[];
const WORKERS = (flags.get("workers") ?? "1").split(",").map(Number);
const SECRET = "keyguard-bench-secret";

/** The app of keyguard's README: its middleware on a FastAPI app, a protected route. */
const APP = `
import os
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request
from keyguard import KeyGuard, KeyGuardConfig, KeyGuardMiddleware

kg = KeyGuard(KeyGuardConfig(secret_key=os.environ["KG_SECRET"], database_url=os.environ["KG_DB"]))

@asynccontextmanager
async def lifespan(app):
    await kg.init_db()
    yield
    await kg.engine.dispose()

app = FastAPI(lifespan=lifespan)
app.add_middleware(KeyGuardMiddleware, kg_instance=kg, protected_path="/api")

@app.get("/api/check")
async def check(request: Request):
    return {"label": request.state.api_key.label}
`;

/**
 * keyguard's requirements ask for `uvicorn[standard]`: uvloop and httptools, its fast event loop
 * and HTTP parser. Installed once with pip (`--target`, from the configured index) beside the
 * peers' dependencies, so keyguard runs as its authors set it up.
 */
async function uvicornStandard(): Promise<string> {
  const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/keypebble-peer-python-uvicorn-standard`;
  try {
    await Deno.stat(`${dir}/.complete`);
    return dir;
  } catch { /* install */ }
  await sh(PYTHON, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    "--no-warn-script-location",
    "--target",
    dir,
    "uvloop",
    "httptools",
  ]);
  await Deno.writeTextFile(`${dir}/.complete`, "uvloop httptools\n");
  return dir;
}

async function keyguard(
  dir: string,
  dbFile: string,
): Promise<{ pythonPath: string; key: string; db: string }> {
  const git = await peerGitDir("The-honoured1/keyguard");
  await checkout(git, "HEAD", ["keyguard"], `${dir}/src`);
  await Deno.writeTextFile(`${dir}/src/kg_app.py`, APP);
  const pythonPath = `${dir}/src:${await uvicornStandard()}:${await pythonDeps()}`;
  const db = `sqlite+aiosqlite:///${dbFile}`;
  const py = (args: string[]) =>
    sh(PYTHON, ["-m", "keyguard", "--db", db, "--secret", SECRET, ...args], {
      cwd: dir,
      env: { PYTHONPATH: pythonPath, PYTHONDONTWRITEBYTECODE: "1", PATH: Deno.env.get("PATH")! },
    });
  await py(["init"]);
  await py(["create-org", "bench"]);
  const out = (await py([
    "create-key",
    "--org",
    "bench",
    "--label",
    "bench",
    "--rate-limit",
    "100000000",
  ])).stdout;
  const m = /║\s+(\S+)\s+║/.exec(out.split("\n").filter((l) => /║\s+\S+\s+║/.test(l)).pop() ?? "");
  if (m === null) throw new Error(`no key in keyguard's output:\n${out}`);
  return { pythonPath, key: m[1], db };
}

async function startKeyguard(
  dir: string,
  kg: { pythonPath: string; db: string },
  workers: number,
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command(PYTHON, {
    args: [
      "-m",
      "uvicorn",
      "kg_app:app",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      String(workers),
      // uvicorn[standard], as keyguard's requirements ask: uvloop and httptools.
      "--loop",
      "uvloop",
      "--http",
      "httptools",
      "--log-level",
      "warning",
      "--no-access-log",
    ],
    cwd: `${dir}/src`,
    env: {
      PYTHONPATH: kg.pythonPath,
      PYTHONDONTWRITEBYTECODE: "1",
      KG_SECRET: SECRET,
      KG_DB: kg.db,
      PATH: Deno.env.get("PATH")!,
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/check`);
      await r.body?.cancel();
      if (r.status === 401) break;
    } catch {
      // not up yet
    }
    if (i > 300) throw new Error("keyguard's app did not start");
    await sleep(100);
  }
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp-bench-keyguard-" });
  const cleanups: (() => Promise<unknown>)[] = [];
  const loads = [`start ${await loadAverage()}`];
  const rows: string[] = [];
  try {
    log("keyguard: checkout, pip dependencies, init, one organisation and key");
    const kg = await keyguard(dir, `${dir}/kg.db`);
    const shm = `/dev/shm/kp-bench-keyguard-${crypto.randomUUID()}.db`;
    cleanups.push(() => Deno.remove(shm).catch(() => {}));
    const kgShm = await keyguard(`${dir}/shm`, shm);
    for (const runtime of RUNTIMES) {
      const build: Build = { name: `ours-${runtime}`, runtime, root: ROOT };
      const kpDir = `${dir}/kp-${runtime}`;
      await Deno.mkdir(kpDir);
      await Deno.writeTextFile(`${kpDir}/hs.secret`, "s".repeat(48));
      const config = `${kpDir}/kp.yaml`;
      await Deno.writeTextFile(
        config,
        [
          'issuer: "https://keypebble.bench"',
          'hs256_secret_path: "hs.secret"',
          "service: { host: 127.0.0.1 }",
          'log_level: "error"',
          'store: { url: "sqlite:kp.db" }',
          "",
        ].join("\n"),
      );
      await cli(build, ["org", "create", "--config", config, "bench"], kpDir);
      const ours = JSON.parse(
        (await cli(build, [
          "key",
          "create",
          "--config",
          config,
          "--org",
          "bench",
          "--label",
          "bench",
          "--rate-limit",
          "100000000",
          "--json",
        ], kpDir)).stdout,
      ).key as string;
      for (const workers of WORKERS) {
        const kp = await startKeypebble(build, config, workers);
        const k = await startKeyguard(dir, kg, workers);
        const ks = await startKeyguard(`${dir}/shm`, kgShm, workers);
        const oursUrl = `http://127.0.0.1:${kp.port}/forward-auth`;
        const kgUrl = `http://127.0.0.1:${k.port}/api/check`;
        const ksUrl = `http://127.0.0.1:${ks.port}/api/check`;
        const oursLua = `${kpDir}/ours.lua`;
        const kgLua = `${kpDir}/kg.lua`;
        const ksLua = `${kpDir}/kg-shm.lua`;
        await Deno.writeTextFile(oursLua, `wrk.headers["X-API-Key"] = "${ours}"\n`);
        await Deno.writeTextFile(kgLua, `wrk.headers["X-API-KEY"] = "${kg.key}"\n`);
        await Deno.writeTextFile(ksLua, `wrk.headers["X-API-KEY"] = "${kgShm.key}"\n`);
        const sides = [
          { url: oursUrl, lua: oursLua, rps: [] as number[], p99: [] as number[] },
          { url: kgUrl, lua: kgLua, rps: [] as number[], p99: [] as number[] },
          { url: ksUrl, lua: ksLua, rps: [] as number[], p99: [] as number[] },
        ];
        try {
          log(`${runtime}, ${workers} worker(s): warm-up (load ${await loadAverage()})`);
          for (const s of sides) await wrk(s.url, { seconds: 2, script: s.lua, threads: workers });
          for (let r = 0; r < ROUNDS; r++) {
            for (const s of sides) {
              const w = await wrk(s.url, { seconds: DURATION, script: s.lua, threads: workers });
              if (w.non2xx > 0) log(`non-2xx from ${s.url}: ${w.non2xx}`);
              s.rps.push(w.rps);
              s.p99.push(w.p99Ms);
            }
          }
          const [o, g, m] = sides.map((s) => median(s.rps));
          const cell = (i: number) =>
            `${fmt(median(sides[i].rps))} (p99 ${median(sides[i].p99)} ms)`;
          const row = `| ${runtime} | ${workers} | ${cell(0)} | ${cell(1)} | ${
            (o / g).toFixed(0)
          }× | ${cell(2)} | ${(o / m).toFixed(0)}× |`;
          rows.push(row);
          console.log(row);
        } finally {
          await kp.stop();
          await k.stop();
          await ks.stop();
        }
      }
      loads.push(`after ${runtime} ${await loadAverage()}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    for (const c of cleanups) await c();
  }
  console.log(
    `\nGET /forward-auth vs keyguard's middleware on the same key check (wrk -c32, -t = workers, ` +
      `median of ${ROUNDS} alternating rounds of ${DURATION} s); load average ${
        loads.join("; ")
      }\n`,
  );
  console.log(
    "| runtime | workers | Keypebble /forward-auth req/s | keyguard middleware req/s (SQLite file) | ratio | keyguard, database in /dev/shm | ratio |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}

await main();
