/**
 * The benchmark runner (`deno task bench`): in-process `Deno.bench` files, then HTTP on loopback
 * with `wrk`, each figure paired with a baseline measured in the same run on the same runtime,
 * on Deno (source) and on the Bun binary (dist/keypebble). Prints a table with the ratios and
 * writes everything as JSON to bench/results/.
 *
 *   deno task bench                 # full run (about 3 minutes on 2 cores)
 *   deno task bench --quick         # shorter wrk runs, fewer cold starts
 *   deno task bench --only=deno     # one runtime (deno | bun)
 *   deno task bench --skip-micro    # no Deno.bench files
 *   deno task bench --soak [--minutes=N]  # RSS over a long POST /auth load
 *
 * Pairs (ratio = ours / baseline; higher is better):
 * - POST /auth (HS256) vs a bare server parsing the same JSON and answering a same-sized JSON
 *   (bench/baseline_echo.ts), target ≥ 0.8.
 * - GET /v2/token (RS256, Basic auth, policy) vs the runtime's own concurrent RSA-2048 signing
 *   rate (bench/sign_rate.ts), target ≥ 0.9.
 * - Cold start: process start → first 200 on /healthz, median, target ≤ 100 ms.
 * - Resident memory (VmRSS) after at least 100 000 requests, target ≤ 80 MB.
 */

const ROOT = new URL("../", import.meta.url).pathname;
const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const QUICK = flags.has("quick");
const SOAK = flags.has("soak");
const DURATION = Number(flags.get("duration") ?? (QUICK ? 3 : 8));
const CONNECTIONS = Number(flags.get("connections") ?? 32);
const COLD_RUNS = Number(flags.get("cold-runs") ?? (QUICK ? 7 : 21));
const RUNTIMES = (flags.get("only") ?? "deno,bun").split(",") as ("deno" | "bun")[];
const BUN_BIN = `${ROOT}dist/keypebble`;
const dec = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// small helpers

async function sh(
  cmd: string,
  args: string[],
  opts: { stdin?: string; allowFail?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (r.code !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  }
  return r;
}

async function which(cmd: string): Promise<boolean> {
  return (await sh("sh", ["-c", `command -v ${cmd}`], { allowFail: true })).code === 0;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

// ---------------------------------------------------------------------------------------------
// processes

interface Proc {
  child: Deno.ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

function keypebbleCmd(rt: "deno" | "bun"): { cmd: string; args: string[] } {
  if (rt === "bun") return { cmd: BUN_BIN, args: [] };
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      `${ROOT}src/main.ts`,
    ],
  };
}

function spawn(cmd: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function waitHttp(url: string, init: RequestInit, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url, init);
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`);
    await sleep(20);
  }
}

async function startKeypebble(rt: "deno" | "bun", config: string): Promise<Proc> {
  const port = freePort();
  const { cmd, args } = keypebbleCmd(rt);
  const child = spawn(cmd, [...args, "serve", "--config", config, "--port", String(port)]);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, {});
  return procOf(child, port);
}

async function startEcho(rt: "deno" | "bun", responseBytes: number, body: string): Promise<Proc> {
  const port = freePort();
  const script = `${ROOT}bench/baseline_echo.ts`;
  const child = rt === "deno"
    ? spawn(Deno.execPath(), [
      "run",
      "--quiet",
      "--allow-net",
      script,
      String(port),
      `${responseBytes}`,
    ])
    : spawn("bun", [script, String(port), String(responseBytes)]);
  await waitHttp(`http://127.0.0.1:${port}/`, { method: "POST", body });
  return procOf(child, port);
}

function procOf(child: Deno.ChildProcess, port: number): Proc {
  return {
    child,
    pid: child.pid,
    port,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.stderr.cancel().catch(() => {});
      await child.status;
    },
  };
}

async function rssMb(pid: number): Promise<number> {
  // Reading /proc/<pid> from Deno needs --allow-all; `cat` needs only --allow-run.
  const status = (await sh("cat", [`/proc/${pid}/status`])).stdout;
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Math.round(Number(m[1]) / 102.4) / 10;
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

async function wrk(
  url: string,
  opts: { seconds: number; script?: string; headers?: string[] },
): Promise<WrkResult> {
  const args = [
    "-t1",
    `-c${CONNECTIONS}`,
    `-d${opts.seconds}s`,
    "--latency",
    ...(opts.script ? ["-s", opts.script] : []),
    ...(opts.headers ?? []).flatMap((h) => ["-H", h]),
    url,
  ];
  const out = (await sh("wrk", args)).stdout;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? "0");
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Math.round(num(/Requests\/sec:\s+([\d.]+)/)),
    requests: num(/(\d+) requests in/),
    p50Ms: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    p99Ms: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

function checkClean(what: string, r: WrkResult): void {
  if (r.non2xx > 0) throw new Error(`${what}: ${r.non2xx} non-2xx responses; the figure is wrong`);
  if (r.errors > 0) log(`${what}: ${r.errors} socket errors`);
}

// ---------------------------------------------------------------------------------------------
// setup

async function ensureTools(): Promise<void> {
  if (!(await which("wrk"))) {
    log("wrk not found: installing it with apt-get");
    await sh("apt-get", ["update", "-qq"]);
    await sh("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "wrk"], {
      env: { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  if (RUNTIMES.includes("bun")) {
    let exists = false;
    try {
      exists = (await Deno.stat(BUN_BIN)).isFile;
    } catch {
      exists = false;
    }
    if (!exists || flags.has("rebuild")) {
      log("building the Bun binary (scripts/compile_bun.sh)");
      await sh("bash", [`${ROOT}scripts/compile_bun.sh`]);
    }
  }
}

const AUTH_BODY = JSON.stringify({ sub: "edge-0042", edge_id: "e42", roles: ["controller"] });
const BASIC = `Basic ${btoa("alice:bench-password")}`;
const TOKEN_PATH = "/v2/token?service=registry&scope=repository:alice/app:pull,push";

interface Fixture {
  dir: string;
  hsConfig: string;
  rsConfig: string;
  postLua: string;
}

async function fixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "keypebble-bench-" });
  const kp = keypebbleCmd("deno");
  await sh(kp.cmd, [...kp.args, "keygen", "--alg", "RS256", "--out", `${dir}/rs256.pem`]);
  const hash = (await sh(kp.cmd, [...kp.args, "hash-password"], { stdin: "bench-password" }))
    .stdout.trim();
  await Deno.writeTextFile(
    `${dir}/hs.secret`,
    Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join(""),
  );
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["alice/*"]\n` +
      `    actions: ["pull", "push"]\n`,
  );
  // The limits would throttle a benchmark (600 requests per minute per address by default), and
  // request logging is a real but separate cost: both off, as a tuned deployment would run.
  const common = [
    'issuer: "https://keypebble.bench"',
    'audience: "bench"',
    "service:",
    '  host: "127.0.0.1"',
    "rate_limit: { per_address: false, per_principal: false }",
    'log_level: "error"',
  ];
  const hsConfig = `${dir}/hs256.yaml`;
  await Deno.writeTextFile(
    hsConfig,
    [
      ...common,
      'hs256_secret_path: "hs.secret"',
      'kid: "hs-1"',
      "static_claims:",
      '  scope: "controller:read controller:write"',
      'allowed_custom_claims: ["sub", "edge_id", "roles"]',
      "",
    ].join("\n"),
  );
  const rsConfig = `${dir}/rs256.yaml`;
  await Deno.writeTextFile(
    rsConfig,
    [
      ...common,
      'rs256_private_key_path: "rs256.pem"',
      'kid: "thumbprint"',
      'services: ["registry"]',
      'policy_path: "policy.yaml"',
      "",
    ].join("\n"),
  );
  const postLua = `${dir}/post_auth.lua`;
  await Deno.writeTextFile(
    postLua,
    `wrk.method = "POST"\nwrk.body = '${AUTH_BODY}'\n` +
      `wrk.headers["Content-Type"] = "application/json"\n`,
  );
  return { dir, hsConfig, rsConfig, postLua };
}

// ---------------------------------------------------------------------------------------------
// measurements

interface MicroRow {
  group: string;
  name: string;
  avgNs: number;
  perSec: number;
  /** baseline avg / this avg (1.0 for the baseline itself). */
  vsBaseline: number;
}

async function micro(): Promise<MicroRow[]> {
  log("in-process Deno.bench files (bench/*_bench.ts)");
  const files: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}bench`)) {
    if (e.isFile && e.name.endsWith("_bench.ts")) files.push(`${ROOT}bench/${e.name}`);
  }
  files.sort();
  const r = await sh(Deno.execPath(), ["bench", "--allow-env", "--json", ...files]);
  const doc = JSON.parse(r.stdout) as {
    benches: {
      group: string | null;
      name: string;
      baseline: boolean;
      results: { ok?: { avg: number } }[];
    }[];
  };
  const rows: MicroRow[] = doc.benches.map((b) => {
    const avg = b.results[0]?.ok?.avg ?? NaN;
    return { group: b.group ?? "", name: b.name, avgNs: avg, perSec: 1e9 / avg, vsBaseline: 1 };
  });
  for (const b of doc.benches.filter((b) => b.baseline)) {
    const base = rows.find((r) => r.name === b.name)!;
    for (const r of rows.filter((r) => r.group === base.group)) {
      r.vsBaseline = base.avgNs / r.avgNs;
    }
  }
  return rows;
}

interface RuntimeFigures {
  runtime: string;
  echo: WrkResult;
  auth: WrkResult;
  authVsEcho: number;
  signRate: { serial_per_sec: number; concurrent_per_sec: number; concurrency: number };
  token: WrkResult;
  tokenVsSign: number;
  coldStartMs: { median: number; min: number; max: number; runs: number };
  rssMb: { afterRequests: number; vmRss: number; idle: number };
}

async function runtimeFigures(rt: "deno" | "bun", fx: Fixture): Promise<RuntimeFigures> {
  const runtime = rt === "deno"
    ? `deno ${Deno.version.deno} (source, deno run)`
    : `${/\((bun [^)]*)\)/.exec((await sh(BUN_BIN, ["--version"])).stdout)?.[1]} (dist/keypebble)`;
  log(`${runtime}: POST /auth HS256 vs baseline echo`);

  // One HS256 server serves the /auth runs and the memory figure.
  const hs = await startKeypebble(rt, fx.hsConfig);
  const idle = await rssMb(hs.pid);
  const sample = await fetch(`http://127.0.0.1:${hs.port}/auth`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: AUTH_BODY,
  });
  const sampleText = await sample.text();
  if (sample.status !== 200) throw new Error(`POST /auth answered ${sample.status}: ${sampleText}`);
  const responseBytes = new TextEncoder().encode(sampleText).length;

  const echo = await startEcho(rt, responseBytes, AUTH_BODY);
  const authUrl = `http://127.0.0.1:${hs.port}/auth`;
  const echoUrl = `http://127.0.0.1:${echo.port}/auth`;
  let served = 0;
  // warm-up both, then measure back to back (baseline first, then ours)
  checkClean("echo warm-up", await wrk(echoUrl, { seconds: 2, script: fx.postLua }));
  const w = await wrk(authUrl, { seconds: 2, script: fx.postLua });
  checkClean("auth warm-up", w);
  served += w.requests;
  const echoR = await wrk(echoUrl, { seconds: DURATION, script: fx.postLua });
  checkClean("echo", echoR);
  await echo.stop();
  const authR = await wrk(authUrl, { seconds: DURATION, script: fx.postLua });
  checkClean("POST /auth", authR);
  served += authR.requests;

  while (served < 100_000) {
    const more = await wrk(authUrl, { seconds: 3, script: fx.postLua });
    checkClean("POST /auth (memory)", more);
    served += more.requests;
  }
  const vmRss = await rssMb(hs.pid);
  await hs.stop();

  log(`${runtime}: concurrent RSA-2048 signing rate`);
  const signScript = `${ROOT}bench/sign_rate.ts`;
  const signSeconds = String(QUICK ? 3 : 5);
  const signOut = rt === "deno"
    ? await sh(Deno.execPath(), ["run", "--quiet", signScript, signSeconds, "32"])
    : await sh("bun", [signScript, signSeconds, "32"]);
  const signRate = JSON.parse(signOut.stdout.trim().split("\n").at(-1)!);

  log(`${runtime}: GET /v2/token RS256 (Basic auth, policy)`);
  const rs = await startKeypebble(rt, fx.rsConfig);
  const tokenUrl = `http://127.0.0.1:${rs.port}${TOKEN_PATH}`;
  const check = await fetch(tokenUrl, { headers: { authorization: BASIC } });
  const checkText = await check.text();
  if (check.status !== 200) throw new Error(`GET /v2/token answered ${check.status}: ${checkText}`);
  const headers = [`Authorization: ${BASIC}`];
  checkClean("token warm-up", await wrk(tokenUrl, { seconds: 2, headers }));
  const tokenR = await wrk(tokenUrl, { seconds: DURATION, headers });
  checkClean("GET /v2/token", tokenR);
  await rs.stop();

  log(`${runtime}: cold start, ${COLD_RUNS} runs`);
  const cold = await coldStart(rt, fx.rsConfig);

  return {
    runtime,
    echo: echoR,
    auth: authR,
    authVsEcho: authR.rps / echoR.rps,
    signRate,
    token: tokenR,
    tokenVsSign: tokenR.rps / signRate.concurrent_per_sec,
    coldStartMs: cold,
    rssMb: { afterRequests: served, vmRss, idle },
  };
}

/** Process start → first 200 on /healthz, polled every millisecond over a fresh connection. */
async function coldStart(
  rt: "deno" | "bun",
  config: string,
): Promise<RuntimeFigures["coldStartMs"]> {
  const { cmd, args } = keypebbleCmd(rt);
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const port = freePort();
    const t0 = performance.now();
    const child = spawn(cmd, [...args, "serve", "--config", config, "--port", String(port)]);
    const url = `http://127.0.0.1:${port}/healthz`;
    for (;;) {
      try {
        const r = await fetch(url);
        await r.body?.cancel();
        if (r.status === 200) break;
      } catch {
        // not yet
      }
      if (performance.now() - t0 > 15_000) throw new Error("cold start: never healthy");
      await sleep(1);
    }
    times.push(performance.now() - t0);
    await procOf(child, port).stop();
  }
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return {
    median: r1(median(times)),
    min: r1(Math.min(...times)),
    max: r1(Math.max(...times)),
    runs: times.length,
  };
}

// ---------------------------------------------------------------------------------------------
// soak: memory over a long load

async function soak(fx: Fixture): Promise<Record<string, unknown>> {
  const minutes = Number(flags.get("minutes") ?? 5);
  const out: Record<string, unknown> = {};
  for (const rt of RUNTIMES) {
    log(`soak ${rt}: POST /auth for ${minutes} min, RSS every 30 s`);
    const hs = await startKeypebble(rt, fx.hsConfig);
    const url = `http://127.0.0.1:${hs.port}/auth`;
    const samples: { minute: number; requests: number; rssMb: number }[] = [];
    let requests = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < minutes * 60_000) {
      const r = await wrk(url, { seconds: 30, script: fx.postLua });
      checkClean("soak", r);
      requests += r.requests;
      const s = {
        minute: Math.round((Date.now() - t0) / 600) / 100,
        requests,
        rssMb: await rssMb(hs.pid),
      };
      samples.push(s);
      log(`  ${s.minute} min: ${s.requests} requests, RSS ${s.rssMb} MB`);
    }
    await hs.stop();
    out[rt] = samples;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// report

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => pad(c, widths[i])).join(" | ") + " |";
  return [line(rows[0]), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|"]
    .concat(rows.slice(1).map(line)).join("\n");
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const verdict = (ok: boolean) => (ok ? "ok" : "MISS");

async function machine(): Promise<Record<string, unknown>> {
  const cpuinfo = (await sh("cat", ["/proc/cpuinfo"], { allowFail: true })).stdout;
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  return {
    date: new Date().toISOString(),
    cpu: model,
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    bun: (await sh("bun", ["--version"], { allowFail: true })).stdout.trim(),
    wrk: `-t1 -c${CONNECTIONS} -d${DURATION}s --latency`,
  };
}

async function main(): Promise<void> {
  await ensureTools();
  const fx = await fixture();
  const host = await machine();
  const result: Record<string, unknown> = { machine: host };
  try {
    if (SOAK) {
      result.soak = await soak(fx);
    } else {
      const microRows = flags.has("skip-micro") ? [] : await micro();
      result.micro = microRows;
      const figures: RuntimeFigures[] = [];
      for (const rt of RUNTIMES) figures.push(await runtimeFigures(rt, fx));
      result.http = figures;

      console.log(`\nKeypebble benchmarks, ${host.date}, ${host.cpu}, ${host.cores} cores\n`);
      if (microRows.length > 0) {
        console.log("In process (deno bench; vs baseline = raw op time / this op time)\n");
        console.log(table([
          ["group", "benchmark", "avg", "ops/s", "vs baseline"],
          ...microRows.map((r) => [
            r.group,
            r.name,
            r.avgNs >= 1e6
              ? `${(r.avgNs / 1e6).toFixed(2)} ms`
              : r.avgNs >= 1e3
              ? `${(r.avgNs / 1e3).toFixed(1)} µs`
              : `${r.avgNs.toFixed(0)} ns`,
            fmt(r.perSec),
            r.vsBaseline.toFixed(2),
          ]),
        ]));
      }
      console.log(`\nHTTP on loopback (wrk ${host.wrk})\n`);
      const rows = [["runtime", "measure", "ours", "baseline", "ratio", "target", ""]];
      for (const f of figures) {
        rows.push([
          f.runtime,
          "POST /auth HS256 req/s vs JSON echo",
          `${fmt(f.auth.rps)} (p50 ${f.auth.p50Ms} ms, p99 ${f.auth.p99Ms} ms)`,
          `${fmt(f.echo.rps)} (p50 ${f.echo.p50Ms} ms, p99 ${f.echo.p99Ms} ms)`,
          f.authVsEcho.toFixed(2),
          "≥ 0.80",
          verdict(f.authVsEcho >= 0.8),
        ]);
        rows.push([
          f.runtime,
          "GET /v2/token RS256 req/s vs RSA-2048 signs/s",
          `${fmt(f.token.rps)} (p50 ${f.token.p50Ms} ms, p99 ${f.token.p99Ms} ms)`,
          `${fmt(f.signRate.concurrent_per_sec)} (serial ${fmt(f.signRate.serial_per_sec)})`,
          f.tokenVsSign.toFixed(2),
          "≥ 0.90",
          verdict(f.tokenVsSign >= 0.9),
        ]);
        rows.push([
          f.runtime,
          `cold start → /healthz 200, median of ${f.coldStartMs.runs}`,
          `${f.coldStartMs.median} ms (${f.coldStartMs.min}–${f.coldStartMs.max})`,
          "",
          "",
          "≤ 100 ms",
          verdict(f.coldStartMs.median <= 100),
        ]);
        rows.push([
          f.runtime,
          `VmRSS after ${fmt(f.rssMb.afterRequests)} requests`,
          `${f.rssMb.vmRss} MB (idle ${f.rssMb.idle} MB)`,
          "",
          "",
          "≤ 80 MB",
          verdict(f.rssMb.vmRss <= 80),
        ]);
      }
      console.log(table(rows));
    }
    await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
    const file = `${ROOT}bench/results/${SOAK ? "soak" : "bench"}-${
      String(host.date).replace(/[:.]/g, "-")
    }.json`;
    await Deno.writeTextFile(file, JSON.stringify(result, null, 2) + "\n");
    console.log(`\nJSON: ${file.slice(ROOT.length)}`);
  } finally {
    await Deno.remove(fx.dir, { recursive: true });
  }
}

await main();
