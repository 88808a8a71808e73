/**
 * The Deno adapter: the only file that touches `Deno.*`. It implements {@link Platform} with
 * `Deno.serve`, `Deno.addSignalListener` and Deno's file APIs.
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
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { readProcessStats } from "../platform/process_stats.ts";
import { withRequestDeadline } from "./deadline.ts";
import { closing, shuttingDownResponse } from "./draining.ts";
import { serveNodeTls } from "./node_tls.ts";
import { linkOf } from "./worker_link.ts";

/** Create the Deno platform. */
export function denoPlatform(): Platform {
  const encoder = new TextEncoder();
  return {
    name: `deno ${Deno.version.deno}`,
    openSqlite: openDenoSqlite,
    env(name: string): string | undefined {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env for this name: treat as unset
      }
    },
    envNames(): string[] {
      // Listing needs full --allow-env; with --allow-env=KEYPEBBLE_* only the documented names
      // (tried one by one by the config loader) are seen, which is enough for every setting.
      try {
        return Object.keys(Deno.env.toObject()).filter((n) => n.startsWith("KEYPEBBLE_"));
      } catch {
        return [];
      }
    },
    async readTextFile(path: string): Promise<string> {
      try {
        return await Deno.readTextFile(path);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) throw new FileMissingError(path);
        throw e;
      }
    },
    async writePrivateFile(path: string, text: string): Promise<void> {
      const slash = path.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true, mode: 0o700 });
      try {
        await Deno.writeTextFile(path, text, { createNew: true, mode: 0o600 });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) throw new FileExistsError(path);
        throw e;
      }
      await Deno.chmod(path, 0o600); // the umask must not widen it
    },
    async fileMode(path: string): Promise<number | undefined> {
      try {
        return (await Deno.stat(path)).mode ?? undefined; // null where the OS has no modes
      } catch {
        return undefined;
      }
    },
    async canWrite(path: string): Promise<boolean> {
      try {
        (await Deno.open(path, { write: true })).close();
        return true;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) return false;
      }
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
      const probe = `${dir}/.keypebble-probe-${crypto.randomUUID()}`;
      try {
        (await Deno.open(probe, { createNew: true, write: true })).close();
        await Deno.remove(probe);
        return true;
      } catch {
        return false;
      }
    },
    async mtime(path: string): Promise<number | undefined> {
      try {
        return (await Deno.stat(path)).mtime?.getTime();
      } catch {
        return undefined;
      }
    },
    stdout(text: string): void {
      _writeAll(Deno.stdout, encoder.encode(text));
    },
    stderr(text: string): void {
      _writeAll(Deno.stderr, encoder.encode(text));
    },
    async readStdin(): Promise<string> {
      return await new Response(Deno.stdin.readable).text();
    },
    async serve(options: ServeOptions): Promise<ServerHandle> {
      const tls = options.tls;
      // Deno.serve cannot ask for a client certificate: that server is node:http2's.
      if (tls?.clientCa !== undefined) return await serveNodeTls({ ...options, tls });
      return _serveDeno(options, _canReusePort());
    },
    onSignal(signal: SignalName, fn: () => void): void {
      Deno.addSignalListener(signal, fn);
    },
    cwd(): string {
      return Deno.cwd();
    },
    cpuCount(): number {
      return navigator.hardwareConcurrency || 1;
    },
    canReusePort: _canReusePort,
    processStats: () =>
      readProcessStats({
        readText: (path) => Deno.readTextFile(path).catch(() => undefined),
        async countEntries(path) {
          try {
            let n = 0;
            for await (const _ of Deno.readDir(path)) n++;
            return n;
          } catch {
            return undefined; // not Linux, or no --allow-read for /proc
          }
        },
        rss: () => Deno.memoryUsage().rss,
        async cpuMicros() {
          try {
            const u = (await import("node:process")).default.cpuUsage();
            return u.user + u.system;
          } catch {
            return undefined;
          }
        },
        startTime: () => performance.timeOrigin / 1000,
      }),
    alpnFor: () => ["h2", "http/1.1"],
    startWorker(): WorkerLink {
      return linkOf(new Worker(Deno.mainModule, { type: "module" }));
    },
    parentLink(): WorkerLink | undefined {
      if (!_isWorker()) return undefined;
      return linkOf(self as unknown as Worker);
    },
  };
}

function _canReusePort(): boolean {
  // SO_REUSEPORT is unstable in Deno 2 and, without --unstable-net, asking for it ends the
  // process; the same flag exposes the QUIC API, so its presence tells.
  return typeof (Deno as unknown as { connectQuic?: unknown }).connectQuic === "function";
}

/** One `Deno.serve` listener and what its drain needs to know. */
interface _Listener {
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** Requests whose body may still be arriving (their handler has not answered yet). */
  bodies: number;
  /** Set when the drain starts: later requests get 503 `shutting_down` (final drain only). */
  refuse: boolean;
  /** Set when the drain starts: answers carry `connection: close` (see `closing()`). */
  closing: boolean;
}

/**
 * `Deno.serve`, with TLS when asked (rustls: TLS 1.2 and 1.3 only; ALPN `h2` and `http/1.1`).
 * A certificate swap opens a second listener on the same port (`SO_REUSEPORT`) and drains the
 * first, so no connection is cut and none is refused; without `--unstable-net` there is no
 * second listener, and the swap is refused (the certificate then changes on restart).
 */
function _serveDeno(options: ServeOptions, canReusePort: boolean): ServerHandle {
  // Deno.serve has no header-read time limit (hyper's needs a timer Deno does not install),
  // so only the request limit applies here; see README "Slow clients".
  const handler = options.timeouts === undefined
    ? options.handler
    : withRequestDeadline(options.handler, options.timeouts.requestSeconds);
  const graceMs = (options.timeouts?.requestSeconds ?? 10) * 1000;
  // With TLS the listener is always opened shareable, so a later certificate can join it.
  const reusePort = options.reusePort === true || (options.tls !== undefined && canReusePort);
  const open = (tls: ServeTls | undefined, port: number): _Listener => {
    const l: _Listener = { bodies: 0, refuse: false, closing: false, server: undefined as never };
    const done = () => void l.bodies--;
    (l as { server: Deno.HttpServer<Deno.NetAddr> }).server = Deno.serve({
      hostname: options.host,
      port,
      ...(reusePort ? { reusePort: true } : {}),
      ...(tls === undefined ? {} : { cert: tls.cert, key: tls.key() }),
      onListen: () => {},
    }, (req, info) => {
      if (l.refuse) return shuttingDownResponse();
      // Answers made while the listener drains say `connection: close` (checked as they are
      // made: a request in flight when the drain starts ends its connection cleanly too).
      const p = handler(req, { remoteAddr: (info.remoteAddr as Deno.NetAddr).hostname })
        .then((r) => l.closing ? closing(r) : r);
      // Headers, not `req.body` (building that stream costs about 12 µs per POST).
      if (req.headers.has("content-length") || req.headers.has("transfer-encoding")) {
        l.bodies++;
        p.then(done, done);
      }
      return p;
    });
    return l;
  };
  /**
   * Deno 2.9's shutdown() makes every request body still arriving unreadable (BadResource,
   * denoland/deno#36809), so the listener is closed once no body is in flight (bounded by the
   * request limit); `refuse` turns away what arrives meanwhile.
   */
  const drain = async (l: _Listener, refuse: boolean): Promise<void> => {
    l.closing = true;
    l.refuse = refuse;
    const until = Date.now() + graceMs;
    while (l.bodies > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await l.server.shutdown();
  };
  let current = open(options.tls, options.port);
  const port = current.server.addr.port;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;
  let swapping: Promise<void> = Promise.resolve();
  return {
    port,
    protocols: options.tls === undefined ? [] : ["h2", "http/1.1"],
    finished,
    shutdown(): Promise<void> {
      stopping ??= swapping.then(() => drain(current, true)).then(resolveFinished);
      return stopping;
    },
    ...(options.tls === undefined ? {} : {
      updateTls(next: ServeTls): Promise<void> {
        if (!reusePort) {
          return Promise.reject(
            new Error(
              "Deno without --unstable-net cannot open a second listener on the port, so the " +
                "new certificate is served after a restart",
            ),
          );
        }
        const swap = swapping.then(() => {
          if (stopping !== undefined) return;
          const old = current;
          current = open(next, port); // throws (old kept) when Deno refuses the pair
          void drain(old, false).catch(() => {});
        });
        swapping = swap.catch(() => {});
        return swap;
      },
    }),
  };
}

function _isWorker(): boolean {
  const g = globalThis as unknown as { WorkerGlobalScope?: new () => unknown };
  return g.WorkerGlobalScope !== undefined && globalThis instanceof g.WorkerGlobalScope;
}

function _writeAll(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/** Exit the process (only main.ts calls this). */
export function denoExit(code: number): never {
  Deno.exit(code);
}

/** The command-line arguments. */
export function denoArgs(): string[] {
  return Deno.args;
}
