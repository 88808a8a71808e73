/**
 * Test helpers that run Keypebble for real: the CLI as a child process and the server on a free
 * loopback port. With `KEYPEBBLE_BIN` set they run that compiled binary instead of the source, so
 * the same suites prove the single binary.
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** The repository root (absolute, with a trailing slash). */
export const REPO_ROOT: string = ROOT;

/** The command that runs Keypebble: the compiled binary or `deno run src/main.ts`. */
export function keypebbleCommand(): { cmd: string; prefix: string[] } {
  const bin = Deno.env.get("KEYPEBBLE_BIN");
  if (bin) {
    // A relative path is taken from where the tests were started (deno task runs them from the
    // repository root; INIT_CWD is the directory the task was typed in).
    if (bin.startsWith("/")) return { cmd: bin, prefix: [] };
    const from = Deno.env.get("INIT_CWD") ?? Deno.cwd();
    return { cmd: `${from.replace(/\/$/, "")}/${bin}`, prefix: [] };
  }
  return {
    cmd: Deno.execPath(),
    prefix: [
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

/** Result of a finished CLI run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `keypebble <args>` to completion. */
export async function runKeypebble(
  args: string[],
  options: { stdin?: string; cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const { cmd, prefix } = keypebbleCommand();
  const child = new Deno.Command(cmd, {
    args: [...prefix, ...args],
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A free TCP port on loopback (bound then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Collect a child's stdout and stderr, line by line, into one array as they arrive. `done`
 * resolves once both streams have ended.
 */
export function collectLines(
  child: Deno.ChildProcess,
): { lines: string[]; done: Promise<void> } {
  const lines: string[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    let buf = "";
    // Typed for both Deno's and the DOM's lib (the browser suite checks this file with the DOM's).
    const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
    for await (const chunk of stream.pipeThrough(decoder)) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) !== -1) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
    if (buf) lines.push(buf);
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {});
  return { lines, done };
}

/** A running Keypebble server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Every line written to stdout and stderr so far. */
  readonly lines: string[];
  /** Send a signal (e.g. SIGHUP). */
  signal(sig: Deno.Signal): void;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number>;
  /** Resolves to the exit code when the process ends by itself. */
  readonly exited: Promise<number>;
}

/**
 * Start `keypebble serve --config <config> --port <free>` and wait for /healthz.
 * Rejects (with the output so far) if it exits or is not healthy within `timeoutMs`.
 */
export async function startServer(
  config: string,
  options: {
    args?: string[];
    cwd?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** A port chosen by the caller (e.g. named in the config's issuer); default a free one. */
    port?: number;
  } = {},
): Promise<RunningServer> {
  const port = options.port ?? freePort();
  const { cmd, prefix } = keypebbleCommand();
  const child = new Deno.Command(cmd, {
    args: [...prefix, "serve", "--config", config, "--port", String(port), ...(options.args ?? [])],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
  }).spawn();
  const { lines, done: pumps } = collectLines(child);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  let done = false;
  exited.then(() => (done = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (done) {
      throw new Error(`keypebble exited before becoming healthy:\n${lines.join("\n")}`);
    }
    try {
      const r = await fetch(`${url}/healthz`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`keypebble did not become healthy:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    lines,
    signal: (sig) => child.kill(sig),
    stop: async () => {
      if (!done) child.kill("SIGTERM");
      return await exited;
    },
    exited,
  };
}

/** Run a command (e.g. openssl) and return its output; throws on a non-zero exit. */
export async function run(
  cmd: string,
  args: string[],
  options: { stdin?: Uint8Array | string; cwd?: string; allowFail?: boolean } = {},
): Promise<CliResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  const res = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (res.code !== 0 && !options.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${res.code}:\n${res.stderr}`);
  }
  return res;
}

/** Make an RSA-2048 private key `k.pem` and a self-signed certificate `cert.pem` in `dir`. */
export async function makeKeyAndCert(dir: string): Promise<{ key: string; cert: string }> {
  const key = `${dir}/k.pem`;
  const cert = `${dir}/cert.pem`;
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=keypebble",
  ]);
  return { key, cert };
}
