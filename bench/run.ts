/**
 * The benchmark runner (`deno task bench`): in-process `Deno.bench` files (every layer a request
 * crosses, bench/*_bench.ts), then HTTP on loopback with `wrk`, each endpoint paired with a bare
 * echo on the same runtime that does the same I/O (parses the same JSON body, answers a body of
 * the same size), measured in alternating rounds and reported as medians; on Deno (source) and on
 * the Bun binary (dist/keypebble) in one run. Prints tables with the ratios and writes everything
 * as JSON to bench/results/.
 *
 *   deno task bench                 # full run
 *   deno task bench --quick         # fewer, shorter rounds
 *   deno task bench --only=deno     # one runtime (deno | bun)
 *   deno task bench --skip-micro    # no Deno.bench files
 *   deno task bench --rounds=N --duration=S
 *   deno task bench --soak [--minutes=N]  # RSS over a long POST /auth load
 *
 * What it reports (ratio = ours / baseline; higher is better):
 * - every endpoint of {@link endpointTable} vs its echo, one worker (targets: /auth ≥ 0.6,
 *   /healthz ≥ 0.8). An endpoint that answers 404 is not on this build and is skipped, so the
 *   table can list endpoints before they land.
 * - GET /v2/token (RS256) vs the runtime's own concurrent RSA-2048 signing rate, and with
 *   `--workers 2`, vs `openssl speed -multi 2 rsa2048` (target ≥ 0.9).
 * - Scaling: `--workers 2` vs `--workers 1` on /auth and /healthz (target ≥ 1.6×), wrk -t2.
 * - Cold start: process start → first 200 on /healthz, median (target ≤ 50 ms, binary).
 * - Resident memory (VmRSS) after at least 100 000 requests (target ≤ 60 MB).
 */

import { AUTH_BODY, BENCH_COMMON_LINES, hs256ConfigYaml, POST_AUTH_LUA } from "./fixture.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const QUICK = flags.has("quick");
const SOAK = flags.has("soak");
const DURATION = Number(flags.get("duration") ?? (QUICK ? 2 : 4));
const ROUNDS = Number(flags.get("rounds") ?? (QUICK ? 3 : 5));
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
      // As `deno task start` and `deno task compile` ship it: a 2 MB young generation keeps
      // resident memory near the live heap (bench/NOTES.md).
      "--v8-flags=--max-semi-space-size=2",
      "--unstable-net",
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

async function startKeypebble(
  rt: "deno" | "bun",
  config: string,
  workers = 1,
): Promise<Proc> {
  const port = freePort();
  const { cmd, args } = keypebbleCmd(rt);
  const child = spawn(cmd, [
    ...args,
    "serve",
    "--config",
    config,
    "--port",
    String(port),
    "--workers",
    String(workers),
  ]);
  await waitHttp(`http://127.0.0.1:${port}/healthz`, {});
  return procOf(child, port);
}

async function startEcho(
  rt: "deno" | "bun",
  responseBytes: number,
  body: string,
  contentType = "application/json",
): Promise<Proc> {
  const port = freePort();
  const script = `${ROOT}bench/baseline_echo.ts`;
  const child = rt === "deno"
    ? spawn(Deno.execPath(), [
      "run",
      "--quiet",
      "--unstable-net",
      "--allow-net",
      script,
      String(port),
      `${responseBytes}`,
    ])
    : spawn("bun", [script, String(port), String(responseBytes)]);
  await waitHttp(`http://127.0.0.1:${port}/`, {
    method: "POST",
    body,
    headers: { "content-type": contentType },
  });
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
  opts: { seconds: number; script?: string; headers?: string[]; threads?: number },
): Promise<WrkResult> {
  const args = [
    `-t${opts.threads ?? 1}`,
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

function checkClean(what: string, r: WrkResult, non2xxOk = false): void {
  if (r.non2xx > 0 && !non2xxOk) {
    throw new Error(`${what}: ${r.non2xx} non-2xx responses; the figure is wrong`);
  }
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

const BASIC = `Basic ${btoa("alice:bench-password")}`;
const TOKEN_PATH = "/v2/token?service=registry&scope=repository:alice/app:pull,push";
const COMMAND_BODY = JSON.stringify({
  user: "ops",
  target: "edge-7",
  command: "systemctl restart app",
  ttl_seconds: 300,
});
const K8S_BODY = JSON.stringify({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  spec: { audiences: ["vault"], expirationSeconds: 3600 },
});

interface Fixture {
  dir: string;
  hsConfig: string;
  rsConfig: string;
  /** HS256 with a SQLite store (API keys) and the registry policy. */
  stConfig: string;
  /** An API key created with the CLI (`key create --json`) in the store of `stConfig`. */
  apiKey: { id: string; key: string };
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
  const common = [...BENCH_COMMON_LINES, "service:", '  host: "127.0.0.1"'];
  const hsConfig = `${dir}/hs256.yaml`;
  await Deno.writeTextFile(
    hsConfig,
    hs256ConfigYaml("hs.secret", ["service:", '  host: "127.0.0.1"']),
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
  // A store for forward-auth and /oauth2/token (client_credentials with an API key), with the
  // registry policy so GET /v2/token runs on HS256 too; the key is made as an operator would.
  const stConfig = `${dir}/store.yaml`;
  await Deno.writeTextFile(
    stConfig,
    [
      ...common,
      'hs256_secret_path: "hs.secret"',
      'kid: "hs-1"',
      'services: ["registry"]',
      'policy_path: "policy.yaml"',
      'store: { url: "sqlite:bench.db" }',
      "",
    ].join("\n"),
  );
  await sh(kp.cmd, [...kp.args, "org", "create", "--config", stConfig, "bench"]);
  const created = JSON.parse(
    (await sh(kp.cmd, [
      ...kp.args,
      "key",
      "create",
      "--config",
      stConfig,
      "--org",
      "bench",
      "--label",
      "bench",
      "--scope",
      "read",
      // New keys get 60/min by default (store.default_rate_limit_per_minute): a bench key has
      // no limit, so the figures measure the check, not the 429s.
      "--rate-limit",
      "none",
      "--json",
    ])).stdout,
  );
  const postLua = `${dir}/post_auth.lua`;
  await Deno.writeTextFile(postLua, POST_AUTH_LUA);
  return {
    dir,
    hsConfig,
    rsConfig,
    stConfig,
    apiKey: { id: created.id, key: created.key },
    postLua,
  };
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

/**
 * The endpoints measured against their echo. Add a row when an endpoint lands: a row whose
 * endpoint answers 404 on the build under test is reported as skipped.
 */
interface Endpoint {
  readonly name: string;
  readonly method: "GET" | "POST";
  /** Path and query. */
  readonly path: string;
  /** Which fixture config serves it. */
  readonly config: "hs" | "rs" | "st";
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: readonly string[];
  /** The status it answers (default 200). */
  readonly status?: number;
  /** The issue's target for ours / echo, when it sets one. */
  readonly target?: number;
  /** Compared with the signing rate instead of an echo (signing dominates). */
  readonly vsSigning?: boolean;
}

/** The endpoint table; rows that need the fixture's API key read it from `fx`. */
function endpointTable(fx: Fixture): readonly Endpoint[] {
  const client = `Basic ${btoa(`${fx.apiKey.id}:${fx.apiKey.key}`)}`;
  return [
    {
      name: "POST /auth HS256",
      method: "POST",
      path: "/auth",
      config: "hs",
      body: AUTH_BODY,
      contentType: "application/json",
      target: 0.6,
    },
    { name: "GET /healthz", method: "GET", path: "/healthz", config: "hs", target: 0.8 },
    {
      name: "GET /.well-known/jwks.json",
      method: "GET",
      path: "/.well-known/jwks.json",
      config: "hs",
    },
    { name: "GET unknown path (404)", method: "GET", path: "/nope", config: "hs", status: 404 },
    {
      name: "GET /v2/token RS256 (Basic, policy)",
      method: "GET",
      path: TOKEN_PATH,
      config: "rs",
      headers: [`Authorization: ${BASIC}`],
      vsSigning: true,
    },
    {
      name: "GET /v2/token HS256 (Basic, policy)",
      method: "GET",
      path: TOKEN_PATH,
      config: "st",
      headers: [`Authorization: ${BASIC}`],
    },
    {
      name: "POST /command/token HS256",
      method: "POST",
      path: "/command/token",
      config: "hs",
      body: COMMAND_BODY,
      contentType: "application/json",
    },
    {
      name: "POST Kubernetes TokenRequest HS256",
      method: "POST",
      path: "/api/v1/namespaces/ci/serviceaccounts/builder/token",
      config: "hs",
      body: K8S_BODY,
      contentType: "application/json",
      status: 201,
    },
    // With a store (SQLite): the key check is answered from the key cache (store.cache_seconds).
    {
      name: "GET /forward-auth (API key, SQLite store)",
      method: "GET",
      path: "/forward-auth",
      config: "st",
      headers: [`X-API-Key: ${fx.apiKey.key}`],
    },
    {
      name: "POST /oauth2/token client_credentials (API key)",
      method: "POST",
      path: "/oauth2/token",
      config: "st",
      body: "grant_type=client_credentials",
      contentType: "application/x-www-form-urlencoded",
      headers: [`Authorization: ${client}`],
    },
  ];
}

interface EndpointFigure {
  name: string;
  skipped?: string;
  ours?: WrkResult;
  echo?: WrkResult;
  oursRounds?: number[];
  echoRounds?: number[];
  ratio?: number;
  target?: number;
}

interface RuntimeFigures {
  runtime: string;
  endpoints: EndpointFigure[];
  signRate: { serial_per_sec: number; concurrent_per_sec: number; concurrency: number };
  token1: WrkResult;
  token2: WrkResult;
  tokenVsSign: number;
  /** `openssl speed -multi <cores> rsa2048` signs/s, median of the rounds alternating with token2. */
  openssl?: number;
  token2VsOpenssl?: number;
  scaling: { name: string; one: number; two: number; ratio: number }[];
  coldStartMs: { median: number; min: number; max: number; runs: number };
  coldStartDefaultMs: { median: number; min: number; max: number; runs: number };
  rssMb: { afterRequests: number; vmRss: number; idle: number; twoWorkers: number };
}

async function luaFor(dir: string, e: Endpoint, i: number): Promise<string> {
  const file = `${dir}/endpoint_${i}.lua`;
  const lines = [`wrk.method = "${e.method}"`];
  if (e.body !== undefined) lines.push(`wrk.body = '${e.body}'`);
  if (e.contentType !== undefined) lines.push(`wrk.headers["Content-Type"] = "${e.contentType}"`);
  for (const h of e.headers ?? []) {
    const c = h.indexOf(":");
    lines.push(`wrk.headers["${h.slice(0, c)}"] = "${h.slice(c + 1).trim()}"`);
  }
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return file;
}

/** The round whose req/s is the median (its latency figures with it). */
function medianResult(xs: WrkResult[]): WrkResult {
  const m = median(xs.map((x) => x.rps));
  return { ...xs.find((x) => x.rps >= m)!, rps: Math.round(m) };
}

/** Alternate echo and ours for ROUNDS rounds; medians of each. */
async function rounds(
  oursUrl: string,
  echoUrl: string,
  script: string,
  non2xxOk: boolean,
  threads = 1,
): Promise<{ ours: WrkResult; echo: WrkResult; oursRps: number[]; echoRps: number[] }> {
  const o: WrkResult[] = [];
  const b: WrkResult[] = [];
  await wrk(echoUrl, { seconds: 1, script, threads });
  await wrk(oursUrl, { seconds: 1, script, threads });
  for (let r = 0; r < ROUNDS; r++) {
    const e = await wrk(echoUrl, { seconds: DURATION, script, threads });
    checkClean("echo", e, non2xxOk);
    b.push(e);
    const w = await wrk(oursUrl, { seconds: DURATION, script, threads });
    checkClean(oursUrl, w, non2xxOk);
    o.push(w);
  }
  const med = (xs: WrkResult[]) => {
    const m = median(xs.map((x) => x.rps));
    return { ...xs.find((x) => x.rps >= m)!, rps: Math.round(m) };
  };
  return { ours: med(o), echo: med(b), oursRps: o.map((x) => x.rps), echoRps: b.map((x) => x.rps) };
}

async function runtimeFigures(rt: "deno" | "bun", fx: Fixture): Promise<RuntimeFigures> {
  const runtime = rt === "deno"
    ? `deno ${Deno.version.deno} (source, deno run)`
    : `${/\((bun [^)]*)\)/.exec((await sh(BUN_BIN, ["--version"])).stdout)?.[1]} (dist/keypebble)`;
  const servers = {
    hs: await startKeypebble(rt, fx.hsConfig),
    rs: await startKeypebble(rt, fx.rsConfig),
    st: await startKeypebble(rt, fx.stConfig),
  };
  const ENDPOINTS = endpointTable(fx);
  const idle = await rssMb(servers.hs.pid);
  const endpoints: EndpointFigure[] = [];
  let served = 0;
  for (const [i, e] of ENDPOINTS.entries()) {
    const srv = servers[e.config];
    const url = `http://127.0.0.1:${srv.port}${e.path}`;
    const init: RequestInit = {
      method: e.method,
      headers: Object.fromEntries([
        ...(e.contentType ? [["content-type", e.contentType]] : []),
        ...(e.headers ?? []).map((
          h,
        ) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1).trim()]),
      ]),
      ...(e.body === undefined ? {} : { body: e.body }),
    };
    const probe = await fetch(url, init);
    const text = await probe.text();
    const want = e.status ?? 200;
    if (probe.status !== want) {
      if (probe.status === 404 || probe.status === 405) {
        log(`${runtime}: ${e.name}: ${probe.status} on this build, skipped`);
        endpoints.push({ name: e.name, skipped: `answers ${probe.status} on this build` });
        continue;
      }
      throw new Error(`${e.name} answered ${probe.status}: ${text}`);
    }
    if (e.vsSigning) {
      endpoints.push({ name: e.name, skipped: "RSA signing dominates: see the signing rows" });
      continue;
    }
    log(`${runtime}: ${e.name} vs echo, ${ROUNDS} rounds of ${DURATION} s`);
    const size = new TextEncoder().encode(text).length;
    const echo = await startEcho(rt, size, e.body ?? "{}", e.contentType);
    const script = await luaFor(fx.dir, e, i);
    const r = await rounds(url, `http://127.0.0.1:${echo.port}${e.path}`, script, want !== 200);
    await echo.stop();
    if (e.config === "hs") served += r.oursRps.reduce((a, b) => a + b, 0) * DURATION;
    endpoints.push({
      name: e.name,
      ours: r.ours,
      echo: r.echo,
      oursRounds: r.oursRps,
      echoRounds: r.echoRps,
      ratio: r.ours.rps / r.echo.rps,
      ...(e.target === undefined ? {} : { target: e.target }),
    });
  }
  const authScript = await luaFor(fx.dir, ENDPOINTS[0], 0);
  const authUrl = `http://127.0.0.1:${servers.hs.port}/auth`;
  while (served < 100_000) {
    const more = await wrk(authUrl, { seconds: 3, script: authScript });
    checkClean("POST /auth (memory)", more);
    served += more.requests;
  }
  const vmRss = await rssMb(servers.hs.pid);

  // RS256: each round signs in a bare process (the runtime's own concurrent rate), then serves
  // GET /v2/token for as long; the medians of the alternating rounds are compared.
  log(`${runtime}: GET /v2/token RS256, 1 worker, alternating with the concurrent signing rate`);
  const signScript = `${ROOT}bench/sign_rate.ts`;
  const signRound = async () => {
    const out = rt === "deno"
      ? await sh(Deno.execPath(), ["run", "--quiet", signScript, String(DURATION), "32"])
      : await sh("bun", [signScript, String(DURATION), "32"]);
    return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as RuntimeFigures["signRate"];
  };
  const tokenUrl = `http://127.0.0.1:${servers.rs.port}${TOKEN_PATH}`;
  const tokenHeaders = [`Authorization: ${BASIC}`];
  const signs: RuntimeFigures["signRate"][] = [];
  const tokens1: WrkResult[] = [];
  await wrk(tokenUrl, { seconds: 1, headers: tokenHeaders });
  for (let r = 0; r < ROUNDS; r++) {
    signs.push(await signRound());
    const t = await wrk(tokenUrl, { seconds: DURATION, headers: tokenHeaders });
    checkClean("GET /v2/token", t);
    tokens1.push(t);
  }
  const signRate = {
    serial_per_sec: median(signs.map((x) => x.serial_per_sec)),
    concurrent_per_sec: median(signs.map((x) => x.concurrent_per_sec)),
    concurrency: 32,
  };
  const token1 = medianResult(tokens1);

  log(`${runtime}: scaling, --workers 2 vs --workers 1 (wrk -t2)`);
  const hs2 = await startKeypebble(rt, fx.hsConfig, 2);
  const rs2 = await startKeypebble(rt, fx.rsConfig, 2);
  const st2 = await startKeypebble(rt, fx.stConfig, 2);
  const scaling = [];
  const forwardAuth = ENDPOINTS.findIndex((e) => e.path === "/forward-auth");
  for (
    const [name, srv1, srv2, path, script] of [
      ["POST /auth HS256", servers.hs, hs2, "/auth", authScript],
      ["GET /healthz", servers.hs, hs2, "/healthz", await luaFor(fx.dir, ENDPOINTS[1], 1)],
      [
        "GET /forward-auth (SQLite store)",
        servers.st,
        st2,
        "/forward-auth",
        await luaFor(fx.dir, ENDPOINTS[forwardAuth], forwardAuth),
      ],
    ] as const
  ) {
    const one: number[] = [];
    const two: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [srv, into] of [[srv1, one], [srv2, two]] as const) {
        const w = await wrk(`http://127.0.0.1:${srv.port}${path}`, {
          seconds: DURATION,
          script,
          threads: 2,
        });
        checkClean(`${name} scaling`, w);
        into.push(w.rps);
      }
    }
    scaling.push({ name, one: median(one), two: median(two), ratio: median(two) / median(one) });
  }
  // Each worker verifies the password once (PBKDF2) before its credential cache answers: warm
  // both over fresh connections first, or the first seconds measure 32 concurrent PBKDF2 runs.
  for (let i = 0; i < 16; i++) {
    const r = await fetch(`http://127.0.0.1:${rs2.port}${TOKEN_PATH}`, {
      headers: { authorization: BASIC, connection: "close" },
    });
    await r.body?.cancel();
  }
  await wrk(`http://127.0.0.1:${rs2.port}${TOKEN_PATH}`, {
    seconds: 2,
    headers: tokenHeaders,
    threads: 2,
  });
  // 2 workers against `openssl speed -multi <cores>`, in alternating rounds.
  log(`${runtime}: GET /v2/token RS256, 2 workers, alternating with openssl speed -multi`);
  const tokens2: WrkResult[] = [];
  const openssls: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const o = await opensslRsaRate(DURATION);
    if (o !== undefined) openssls.push(o);
    const t = await wrk(`http://127.0.0.1:${rs2.port}${TOKEN_PATH}`, {
      seconds: DURATION,
      headers: tokenHeaders,
      threads: 2,
    });
    checkClean("GET /v2/token, 2 workers", t);
    tokens2.push(t);
  }
  const token2 = medianResult(tokens2);
  const openssl = openssls.length === 0 ? undefined : median(openssls);
  scaling.push({
    name: "GET /v2/token RS256",
    one: token1.rps,
    two: token2.rps,
    ratio: token2.rps / token1.rps,
  });
  const twoWorkersRss = await rssMb(hs2.pid);
  await hs2.stop();
  await rs2.stop();
  await st2.stop();
  await servers.hs.stop();
  await servers.rs.stop();
  await servers.st.stop();

  log(`${runtime}: cold start, ${COLD_RUNS} runs (--workers 1, then the default)`);
  const cold = await coldStart(rt, fx.rsConfig, ["--workers", "1"]);
  const coldDefault = await coldStart(rt, fx.rsConfig, []);
  return {
    runtime,
    endpoints,
    signRate,
    token1,
    token2,
    tokenVsSign: token1.rps / signRate.concurrent_per_sec,
    ...(openssl === undefined ? {} : { openssl, token2VsOpenssl: token2.rps / openssl }),
    scaling,
    coldStartMs: cold,
    coldStartDefaultMs: coldDefault,
    rssMb: { afterRequests: served, vmRss, idle, twoWorkers: twoWorkersRss },
  };
}

/** `openssl speed -multi <cores> rsa2048` signs/s over `seconds`, undefined without openssl. */
async function opensslRsaRate(seconds: number): Promise<number | undefined> {
  if (!(await which("openssl"))) return undefined;
  const cores = String(navigator.hardwareConcurrency || 1);
  const out = await sh("openssl", [
    "speed",
    "-seconds",
    String(seconds),
    "-multi",
    cores,
    "rsa2048",
  ], { allowFail: true });
  const m = /^rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/m.exec(out.stdout) ??
    /^rsa 2048 bits.*?([\d.]+)\s+[\d.]+\s*$/m.exec(out.stdout);
  return m ? Number(m[1]) : undefined;
}

/** Process start → first 200 on /healthz, polled every millisecond over a fresh connection. */
async function coldStart(
  rt: "deno" | "bun",
  config: string,
  extra: string[],
): Promise<RuntimeFigures["coldStartMs"]> {
  const { cmd, args } = keypebbleCmd(rt);
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const port = freePort();
    const t0 = performance.now();
    const child = spawn(cmd, [
      ...args,
      "serve",
      "--config",
      config,
      "--port",
      String(port),
      ...extra,
    ]);
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
      console.log(
        `\nHTTP on loopback, one worker vs a bare echo doing the same I/O ` +
          `(wrk ${host.wrk}, median of ${ROUNDS} alternating rounds)\n`,
      );
      const rows = [["runtime", "endpoint", "ours req/s", "echo req/s", "ratio", "target", ""]];
      for (const f of figures) {
        for (const e of f.endpoints) {
          if (e.skipped !== undefined) {
            rows.push([f.runtime, e.name, "skipped", e.skipped, "", "", ""]);
            continue;
          }
          rows.push([
            f.runtime,
            e.name,
            `${fmt(e.ours!.rps)} (p99 ${e.ours!.p99Ms} ms)`,
            `${fmt(e.echo!.rps)} (p99 ${e.echo!.p99Ms} ms)`,
            e.ratio!.toFixed(2),
            e.target === undefined ? "" : `≥ ${e.target.toFixed(2)}`,
            e.target === undefined ? "" : verdict(e.ratio! >= e.target),
          ]);
        }
      }
      console.log(table(rows));
      console.log("\nWorkers, signing, start and memory\n");
      const more = [["runtime", "measure", "value", "target", ""]];
      for (const f of figures) {
        for (const sc of f.scaling) {
          more.push([
            f.runtime,
            `${sc.name}: 2 workers vs 1 (wrk -t2)`,
            `${fmt(sc.two)} vs ${fmt(sc.one)} = ${sc.ratio.toFixed(2)}×`,
            "≥ 1.60×",
            verdict(sc.ratio >= 1.6),
          ]);
        }
        more.push([
          f.runtime,
          "GET /v2/token RS256, 1 worker vs runtime's concurrent signing",
          `${fmt(f.token1.rps)} vs ${fmt(f.signRate.concurrent_per_sec)} = ${
            f.tokenVsSign.toFixed(2)
          }`,
          "≥ 0.90",
          verdict(f.tokenVsSign >= 0.9),
        ]);
        more.push([
          f.runtime,
          "GET /v2/token RS256, 2 workers vs openssl speed -multi",
          f.token2VsOpenssl === undefined
            ? `${fmt(f.token2.rps)} (no openssl)`
            : `${fmt(f.token2.rps)} vs ${fmt(f.openssl ?? 0)} = ${f.token2VsOpenssl.toFixed(2)}`,
          "≥ 0.90",
          f.token2VsOpenssl === undefined ? "" : verdict(f.token2VsOpenssl >= 0.9),
        ]);
        more.push([
          f.runtime,
          `cold start → /healthz 200, --workers 1, median of ${f.coldStartMs.runs}`,
          `${f.coldStartMs.median} ms (${f.coldStartMs.min}–${f.coldStartMs.max})`,
          "≤ 50 ms",
          verdict(f.coldStartMs.median <= 50),
        ]);
        more.push([
          f.runtime,
          "cold start, default workers",
          `${f.coldStartDefaultMs.median} ms (${f.coldStartDefaultMs.min}–${f.coldStartDefaultMs.max})`,
          "",
          "",
        ]);
        more.push([
          f.runtime,
          `VmRSS after ${fmt(f.rssMb.afterRequests)} requests, 1 worker`,
          `${f.rssMb.vmRss} MB (idle ${f.rssMb.idle} MB; 2 workers ${f.rssMb.twoWorkers} MB)`,
          "≤ 60 MB",
          verdict(f.rssMb.vmRss <= 60),
        ]);
      }
      console.log(table(more));
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
