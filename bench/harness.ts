/**
 * What the HTTP benchmark scripts share: running commands, free ports, starting Keypebble (this
 * tree from source, its Bun binary, or another build's), the same-I/O echoes, wrk runs and their
 * medians, and the machine's load. Ratios are what these scripts report: every figure is measured
 * against a baseline in the same run, in alternating rounds, because the machines are shared.
 *
 * @module
 */

export const ROOT = new URL("../", import.meta.url).pathname;
const dec = new TextDecoder();

/** Run a command; throws with its output when it fails (unless `allowFail`). */
export async function sh(
  cmd: string,
  args: string[],
  opts: { stdin?: string; allowFail?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd ?? ROOT,
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

/** A free loopback port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

/** The 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export async function loadAverage(): Promise<string> {
  const t = (await sh("cat", ["/proc/loadavg"], { allowFail: true })).stdout.split(" ");
  return t.slice(0, 3).join(" ");
}

/** A child process serving on a port. */
export interface Proc {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  /** Every process serving the port (an echo with two workers is two processes). */
  readonly pids?: readonly number[];
  readonly port: number;
  stop(): Promise<void>;
}

/** A build of Keypebble to run: this tree (source or Bun binary) or another tree's. */
export interface Build {
  /** How the tables name it. */
  readonly name: string;
  readonly runtime: "deno" | "bun";
  /** The tree (its `src/main.ts`, its `dist/keypebble`). */
  readonly root: string;
}

/** The command line of `build`. */
export function buildCmd(b: Build): { cmd: string; args: string[] } {
  if (b.runtime === "bun") return { cmd: `${b.root}dist/keypebble`, args: [] };
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "--quiet",
      // As `deno task start` and `deno task compile` ship it (bench/NOTES.md).
      "--v8-flags=--max-semi-space-size=2",
      "--unstable-net",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      `${b.root}src/main.ts`,
    ],
  };
}

/** Run a CLI command of `build` in `cwd`. */
export async function cli(b: Build, args: string[], cwd: string, stdin?: string) {
  const { cmd, args: pre } = buildCmd(b);
  return await sh(cmd, [...pre, ...args], { cwd, ...(stdin === undefined ? {} : { stdin }) });
}

function spawn(cmd: string, args: string[], cwd: string): Deno.ChildProcess {
  return new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Poll `url` until it answers (any status when `anyStatus`, else 200). */
export async function waitHttp(url: string, init: RequestInit = {}, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
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

function procOf(child: Deno.ChildProcess, port: number): Proc {
  // Keep the pipe drained so a chatty server never blocks on a full stderr.
  const lines: string[] = [];
  (async () => {
    try {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        lines.push(chunk);
        if (lines.length > 200) lines.shift();
      }
    } catch {
      // closed
    }
  })();
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
      await child.status;
    },
  };
}

/** Start `serve` of `build` with `config` (run in the config's directory). */
export async function startKeypebble(
  b: Build,
  config: string,
  workers = 1,
  env?: Record<string, string>,
): Promise<Proc> {
  const port = freePort();
  const { cmd, args } = buildCmd(b);
  const dir = config.slice(0, config.lastIndexOf("/"));
  const child = new Deno.Command(cmd, {
    args: [
      ...args,
      "serve",
      "--config",
      config,
      "--port",
      String(port),
      "--workers",
      String(workers),
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    ...(env === undefined ? {} : { env }),
  }).spawn();
  const p = procOf(child, port);
  try {
    await waitHttp(`http://127.0.0.1:${port}/healthz`);
  } catch (e) {
    await p.stop();
    throw e;
  }
  return p;
}

/**
 * The same-I/O echo of an endpoint, on `runtime`: `bench/baseline_echo.ts` (reads and parses the
 * body, answers a JSON body of `responseBytes` with the same headers), or for a bodiless answer
 * `bench/forward_auth_baseline.ts` (reads one header, answers an empty 200 with two headers).
 */
export async function startEcho(
  runtime: "deno" | "bun",
  kind: { responseBytes: number; headers?: [string, string][] } | "header",
  workers = 1,
): Promise<Proc> {
  const port = freePort();
  const script = kind === "header"
    ? `${ROOT}bench/forward_auth_baseline.ts`
    : `${ROOT}bench/baseline_echo.ts`;
  const extra = kind === "header" ? [] : [
    String(kind.responseBytes),
    ...(kind.headers === undefined ? [] : [JSON.stringify(kind.headers)]),
  ];
  // With 2 workers the echo runs as 2 processes sharing the port (SO_REUSEPORT), as ours does.
  const procs: Deno.ChildProcess[] = [];
  for (let i = 0; i < workers; i++) {
    procs.push(
      runtime === "deno"
        ? spawn(Deno.execPath(), [
          "run",
          "--quiet",
          "--unstable-net",
          "--allow-net",
          "--allow-env",
          script,
          String(port),
          ...extra,
        ], ROOT)
        : spawn("bun", [script, String(port), ...extra], ROOT),
    );
    if (workers > 1) await sleep(300);
  }
  await waitHttp(`http://127.0.0.1:${port}/`, {
    method: kind === "header" ? "GET" : "POST",
    ...(kind === "header" ? { headers: { "x-api-key": "x" } } : { body: "{}" }),
  });
  const all = procs.map((c) => procOf(c, port));
  return {
    child: all[0].child,
    pid: all[0].pid,
    pids: all.map((p) => p.pid),
    port,
    async stop() {
      for (const p of all) await p.stop();
    },
  };
}

/** One wrk run. */
export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/** Run wrk against `url` (a Lua `script` with its `scriptArgs`, or plain GETs). */
export async function wrk(
  url: string,
  opts: {
    seconds: number;
    script?: string;
    scriptArgs?: string[];
    threads?: number;
    connections?: number;
  },
): Promise<WrkResult> {
  const args = [
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections ?? 32}`,
    `-d${opts.seconds}s`,
    "--latency",
    ...(opts.script ? ["-s", opts.script] : []),
    url,
    ...(opts.scriptArgs === undefined ? [] : ["--", ...opts.scriptArgs]),
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

/** A wrk Lua script for one request shape. */
export function luaFor(
  e: { method: string; body?: string; contentType?: string; headers?: readonly string[] },
): string {
  const lines = [`wrk.method = "${e.method}"`];
  if (e.body !== undefined) lines.push(`wrk.body = '${e.body}'`);
  if (e.contentType !== undefined) lines.push(`wrk.headers["Content-Type"] = "${e.contentType}"`);
  for (const h of e.headers ?? []) {
    const c = h.indexOf(":");
    lines.push(`wrk.headers["${h.slice(0, c)}"] = "${h.slice(c + 1).trim()}"`);
  }
  return lines.join("\n") + "\n";
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await sh("cat", [`/proc/${pid}/stat`], { allowFail: true })).stdout;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 per second here).
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds of every process of `p`. */
export async function procCpu(p: Proc): Promise<number> {
  let s = 0;
  for (const pid of p.pids ?? [p.pid]) s += await cpuSeconds(pid);
  return s;
}

/** Format a number with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
