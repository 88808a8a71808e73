/**
 * The Bun adapter: the only file that touches `Bun.*` and Node's `process`. It implements
 * {@link Platform} with `Bun.serve`, `Bun.file`, `process.on(signal)` and `node:fs` (loaded only
 * when a file is written, to keep it out of the cold start).
 *
 * It must type-check under `deno check`, where no Bun types exist, so the few shapes it uses are
 * declared below and the globals are read through `globalThis`.
 */

import type {
  Platform,
  ServeOptions,
  ServerHandle,
  ServeTls,
  SignalName,
  WorkerLink,
} from "../platform/platform.ts";
import { FileExistsError, FileMissingError } from "../runtime/mod.ts";
import { openBunSqlite } from "../platform/sqlite_bun.ts";
import { withRequestDeadline } from "./deadline.ts";
import { closing } from "./draining.ts";
import { serveNodeTls } from "./node_tls.ts";
import { linkOf } from "./worker_link.ts";
import { installNativeHmacSha256 } from "../jose/hmac_sha256.ts";
import { bunHmacSha256 } from "../platform/hmac_bun.ts";
import { readProcessStats } from "../platform/process_stats.ts";

/** The part of a `Bun.serve` server this adapter uses. */
interface BunServer {
  readonly port: number;
  requestIP(req: Request): { address: string; family: string; port: number } | null;
  /** Without `true`, waits for in-flight requests before resolving. */
  stop(closeActiveConnections?: boolean): Promise<void>;
}

/** The part of the `Bun` global this adapter uses. */
interface BunGlobal {
  readonly version: string;
  /** Path of the entry module (the binary's own bundle when compiled). */
  readonly main: string;
  readonly isMainThread: boolean;
  serve(options: {
    hostname: string;
    port: number;
    reusePort?: boolean;
    tls?: { cert: string; key: string };
    /** Seconds (at most 255) a request may take to arrive before the socket is closed. */
    idleTimeout?: number;
    development?: boolean;
    fetch(req: Request, server: BunServer): Promise<Response> | Response;
    error?(e: unknown): Response;
  }): BunServer;
  readonly stdin: { text(): Promise<string> };
  /** A lazy file handle: reads and stats are native, no `node:fs` module is evaluated. */
  file(
    path: string,
  ): { bytes(): Promise<Uint8Array>; stat(): Promise<{ mtimeMs: number; mode: number }> };
}

/** The part of Node's `process` this adapter uses (Bun provides it). */
interface ProcessLike {
  readonly argv: string[];
  readonly env: Record<string, string | undefined>;
  cwd(): string;
  exit(code: number): never;
  on(event: string, fn: () => void): void;
  readonly stdout: { write(text: string): boolean };
  readonly stderr: { write(text: string): boolean };
  memoryUsage?(): { rss: number };
  cpuUsage?(): { user: number; system: number };
}

function _bun(): BunGlobal {
  return (globalThis as unknown as { Bun: BunGlobal }).Bun;
}

function _process(): ProcessLike {
  return (globalThis as unknown as { process: ProcessLike }).process;
}

const _utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function _isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "ENOENT";
}

/** Create the Bun platform. */
export function bunPlatform(): Platform {
  const bun = _bun();
  const proc = _process();
  // HS256 and the other HMACs with BoringSSL rather than SHA-256 in JavaScript (hmac_bun.ts).
  installNativeHmacSha256(bunHmacSha256());
  return {
    name: `bun ${bun.version}`,
    openSqlite: openBunSqlite,
    env(name: string): string | undefined {
      return proc.env[name];
    },
    envNames(): string[] {
      return Object.keys(proc.env).filter((n) => n.startsWith("KEYPEBBLE_"));
    },
    async readTextFile(path: string): Promise<string> {
      try {
        // Decoded like node's readFile(path, "utf8"): a byte order mark is kept.
        return _utf8.decode(await bun.file(path).bytes());
      } catch (e) {
        if (_isNotFound(e)) throw new FileMissingError(path);
        // Other failures are rare: read again through node:fs for its own error text (EISDIR, ...).
      }
      try {
        return await (await import("node:fs/promises")).readFile(path, "utf8");
      } catch (e) {
        if (_isNotFound(e)) throw new FileMissingError(path);
        throw e;
      }
    },
    async writePrivateFile(path: string, text: string): Promise<void> {
      // Only key generation writes files: node:fs/promises is loaded here, not at start.
      const { mkdir, open } = await import("node:fs/promises");
      const slash = path.lastIndexOf("/");
      if (slash > 0) await mkdir(path.slice(0, slash), { recursive: true, mode: 0o700 });
      // "wx": create, fail when it exists (like createNew); mode applies at creation.
      let fh;
      try {
        fh = await open(path, "wx", 0o600);
      } catch (e) {
        if (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "EEXIST") {
          throw new FileExistsError(path);
        }
        throw e;
      }
      try {
        await fh.writeFile(text, "utf8");
        await fh.chmod(0o600); // the umask must not widen it
      } finally {
        await fh.close();
      }
    },
    async fileMode(path: string): Promise<number | undefined> {
      try {
        return (await bun.file(path).stat()).mode;
      } catch {
        return undefined;
      }
    },
    async canWrite(path: string): Promise<boolean> {
      const { open, unlink } = await import("node:fs/promises");
      try {
        await (await open(path, "r+")).close(); // read-write, never truncated
        return true;
      } catch (e) {
        if (!_isNotFound(e)) return false;
      }
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
      const probe = `${dir}/.keypebble-probe-${crypto.randomUUID()}`;
      try {
        await (await open(probe, "wx")).close();
        await unlink(probe);
        return true;
      } catch {
        return false;
      }
    },
    async mtime(path: string): Promise<number | undefined> {
      try {
        return (await bun.file(path).stat()).mtimeMs;
      } catch {
        return undefined;
      }
    },
    stdout(text: string): void {
      _write(text, "stdout");
    },
    stderr(text: string): void {
      _write(text, "stderr");
    },
    async readStdin(): Promise<string> {
      return await bun.stdin.text();
    },
    async serve(options: ServeOptions): Promise<ServerHandle> {
      const tls = options.tls;
      // Bun.serve verifies a client certificate but never shows it to the handler: that server
      // is node:http2's (src/server/node_tls.ts).
      if (tls?.clientCa !== undefined) return await serveNodeTls({ ...options, tls });
      return _serveBun(bun, options);
    },
    onSignal(signal: SignalName, fn: () => void): void {
      proc.on(signal, fn);
    },
    cwd(): string {
      return proc.cwd();
    },
    cpuCount(): number {
      return (globalThis as unknown as { navigator?: { hardwareConcurrency?: number } }).navigator
        ?.hardwareConcurrency || 1;
    },
    canReusePort(): boolean {
      return true; // Bun passes SO_REUSEPORT through on Linux
    },
    processStats: () =>
      readProcessStats({
        // node:fs: Bun.file reads a /proc file by its stat size, which is 0 there.
        readText: async (path) =>
          await (await import("node:fs/promises")).readFile(path, "latin1").catch(() => undefined),
        countEntries: async (path) =>
          await (await import("node:fs/promises")).readdir(path).then(
            (l) => l.length, // the listing includes readdir's own descriptor, as in Deno
            () => undefined,
          ),
        rss: () => proc.memoryUsage?.().rss,
        cpuMicros: () => {
          const u = proc.cpuUsage?.();
          return Promise.resolve(u === undefined ? undefined : u.user + u.system);
        },
        startTime: () => performance.timeOrigin / 1000,
      }),
    alpnFor: (withClientCertificates: boolean) =>
      withClientCertificates ? ["h2", "http/1.1"] : ["http/1.1"],
    startWorker(): WorkerLink {
      const W = (globalThis as unknown as { Worker: new (url: string) => Worker }).Worker;
      return linkOf(new W(bun.main));
    },
    parentLink(): WorkerLink | undefined {
      if (bun.isMainThread) return undefined;
      return linkOf(globalThis as unknown as Worker);
    },
  };
}

/**
 * `Bun.serve`, with TLS when asked (BoringSSL: TLS 1.2 and 1.3 only, HTTP/1.1 only: Bun.serve
 * has no HTTP/2). A certificate swap opens a second listener on the same port (`SO_REUSEPORT`,
 * which Bun always has on Linux) and stops the first gracefully: no connection is cut and none
 * is refused.
 */
function _serveBun(bun: BunGlobal, options: ServeOptions): ServerHandle {
  const t = options.timeouts;
  const handler = t === undefined
    ? options.handler
    : withRequestDeadline(options.handler, t.requestSeconds);
  const reusePort = options.reusePort === true || options.tls !== undefined;
  /** Listeners draining (a swapped-out one, or all at shutdown): their answers close. */
  const draining = new WeakSet<BunServer>();
  const open = (tls: ServeTls | undefined, port: number): BunServer =>
    bun.serve({
      hostname: options.host,
      port,
      ...(reusePort ? { reusePort: true } : {}),
      ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key() } }),
      // Bun's idle timer would cut a slow body too, without an answer: keep it just beyond the
      // request limit so the client gets the 408 first (255 s is Bun's maximum).
      ...(t === undefined ? {} : { idleTimeout: Math.min(255, t.requestSeconds + 2) }),
      development: false,
      fetch(req, srv) {
        // Answers made while the listener drains say `connection: close` (checked as they are
        // made: a request in flight when the drain starts ends its connection cleanly too).
        return handler(req, new _BunConnInfo(srv, req)).then((r) =>
          draining.has(srv) ? closing(r) : r
        );
      },
    });
  let current = open(options.tls, options.port);
  const port = current.port;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  let stopping: Promise<void> | undefined;
  return {
    port,
    protocols: options.tls === undefined ? [] : ["http/1.1"],
    finished,
    shutdown(): Promise<void> {
      // stop() without `true` stops listening and resolves once in-flight requests are done.
      draining.add(current);
      stopping ??= current.stop().then(resolveFinished, (e) => {
        resolveFinished();
        throw e;
      });
      return stopping;
    },
    ...(options.tls === undefined ? {} : {
      updateTls(next: ServeTls): Promise<void> {
        if (stopping !== undefined) return Promise.resolve();
        const old = current;
        current = open(next, port); // throws (old kept) when Bun refuses the pair
        draining.add(old);
        old.stop().catch(() => {});
        return Promise.resolve();
      },
    }),
  };
}

/** Streams already in use through `process` (from then on, every write goes there, in order). */
const _streamed = { stdout: false, stderr: false };

/**
 * Write whole lines with `console.log`/`console.error`: Bun writes them natively and synchronously
 * (like the Deno adapter's writeSync loop; nothing is lost at exit). The first touch of
 * `process.stdout`/`process.stderr` evaluates Node's stream modules: milliseconds of cold start
 * and about 7 MB of resident memory. A single string argument is printed as is (no `%` formats).
 * Text that does not end a line still goes through `process`, and stays there.
 */
function _write(text: string, fd: "stdout" | "stderr"): void {
  if (!_streamed[fd] && text.endsWith("\n")) {
    (fd === "stdout" ? console.log : console.error)(text.slice(0, -1));
    return;
  }
  if (text === "") return;
  _streamed[fd] = true;
  _process()[fd].write(text);
}

/** Exit the process (only main.ts calls this). */
export function bunExit(code: number): never {
  return _process().exit(code);
}

/**
 * The command-line arguments. Bun's `process.argv` is `[bun, script, ...args]`, and a binary
 * from `bun build --compile` keeps that shape (`["bun", "/$bunfs/root/keypebble", ...args]`).
 */
export function bunArgs(): string[] {
  return _process().argv.slice(2);
}

/**
 * The peer address of one Bun request, asked of the server (a native call) only when read: the
 * handler reads it for limits, lockouts, trusted proxies and the access log, never for /healthz.
 */
class _BunConnInfo {
  #address: string | undefined;

  constructor(
    private readonly srv: { requestIP(req: Request): { address: string } | null },
    private readonly req: Request,
  ) {}

  get remoteAddr(): string {
    return this.#address ??= this.srv.requestIP(this.req)?.address ?? "";
  }
}
