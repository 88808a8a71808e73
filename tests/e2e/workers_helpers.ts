/** Helpers of the workers and slow-client suites: start a server, fresh connections, raw reads. */

import { collectLines, freePort, REPO_ROOT } from "../helpers/process.ts";

/** The binary under test, or undefined to run from source. */
export const BIN: string | undefined = Deno.env.get("KEYPEBBLE_BIN");

/** A running server. */
export interface Server {
  url: string;
  port: number;
  lines: string[];
  child: Deno.ChildProcess;
  exited: Promise<number>;
}

/** Start `serve` on a free port and wait for its start line. */
export async function start(dir: string, args: string[], unstableNet = true): Promise<Server> {
  const port = freePort();
  const cmd = BIN ?? Deno.execPath();
  const prefix = BIN ? [] : [
    "run",
    "--quiet",
    ...(unstableNet ? ["--unstable-net"] : []),
    "--allow-net",
    `--allow-read=${REPO_ROOT},${dir}`,
    "--allow-env",
    `${REPO_ROOT}src/main.ts`,
  ];
  const child = new Deno.Command(cmd, {
    args: [...prefix, "serve", "--config", `${dir}/config.yaml`, "--port", String(port), ...args],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {},
  }).spawn();
  const { lines, done } = collectLines(child);
  const exited = child.status.then(async (s) => {
    await done;
    return s.code;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (lines.some((l) => l.includes('"event":"start"'))) {
      return { url, port, lines, child, exited };
    }
    const ended = await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    if (typeof ended === "number") break;
  }
  try {
    child.kill("SIGKILL");
  } catch {
    // gone already
  }
  await exited;
  throw new Error(`server did not start:\n${lines.join("\n")}`);
}

/** A temp dir with an HS256 secret and config (plus `extra` YAML). */
export async function fixture(extra = ""): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp-workers-" });
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16))
    .join("").padEnd(64, "0");
  await Deno.writeTextFile(`${dir}/hs.secret`, secret);
  await Deno.writeTextFile(`${dir}/config.yaml`, config("https://one.test", extra));
  return dir;
}

/** A minimal HS256 config. */
export function config(issuer: string, extra: string): string {
  return `issuer: "${issuer}"
hs256_secret_path: "hs.secret"
kid: "hs-1"
service: { host: "127.0.0.1" }
allowed_custom_claims: ["sub"]
${extra}`;
}

/** One request on its own connection, so the kernel picks a worker afresh. */
export async function fresh(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("connection", "close");
  return await fetch(url, { ...init, headers });
}

/** POST /auth on a fresh connection. */
export function auth(url: string): Promise<Response> {
  return fresh(`${url}/auth`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"sub":"w"}',
  });
}

/** The claims of a JWT, unverified. */
export function claims(token: string): Record<string, unknown> {
  const p = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(p.padEnd(Math.ceil(p.length / 4) * 4, "=")));
}

/** SIGTERM and wait for the exit code. */
export async function stop(s: Server): Promise<number> {
  try {
    s.child.kill("SIGTERM");
  } catch {
    // gone already
  }
  return await s.exited;
}

/** Read a connection to its end (the server closes it). */
export async function readAll(c: Deno.Conn, timeoutMs = 10_000): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => c.close(), timeoutMs);
  try {
    for (;;) {
      const n = await c.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // closed by the timer or reset by the peer
  } finally {
    clearTimeout(timer);
  }
  try {
    c.close();
  } catch {
    // already closed
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}
