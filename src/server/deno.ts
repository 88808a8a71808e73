/**
 * The Deno adapter: the only file that touches `Deno.*`. It implements {@link Platform} with
 * `Deno.serve`, `Deno.addSignalListener` and Deno's file APIs.
 */

import type {
  Platform,
  ServeOptions,
  ServerHandle,
  SignalName,
  WorkerLink,
} from "../platform/platform.ts";
import { FileExistsError, FileMissingError } from "../runtime/mod.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { readProcessStats } from "../platform/process_stats.ts";
import { withRequestDeadline } from "./deadline.ts";
import { shuttingDownResponse } from "./draining.ts";
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
      // HTTPS is node:http2's server here (src/server/node_tls.ts): Deno.serve cannot ask for a
      // client certificate, and its TLS sockets keep Nagle's algorithm on, so an HTTP/1.1 answer
      // over about 400 bytes waits some 40 ms for the client's delayed ACK (measured: docs/operations.md
      // "TLS").
      if (tls !== undefined) return await serveNodeTls({ ...options, tls });
      return _serveDeno(options);
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
    alpnFor: () => ["h2", "http/1.1"], // node:http2's server, with or without client certificates
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

/** The `Deno.serve` listener and what its drain needs to know. */
interface _Listener {
  readonly server: Deno.HttpServer<Deno.NetAddr>;
  /** Requests whose body may still be arriving (their handler has not answered yet). */
  bodies: number;
  /** Set when the drain starts: later requests get 503 `shutting_down`. */
  draining: boolean;
}

/** Plain HTTP on `Deno.serve` (HTTPS goes to src/server/node_tls.ts). */
function _serveDeno(options: ServeOptions): ServerHandle {
  // Deno.serve has no header-read time limit (hyper's needs a timer Deno does not install),
  // so only the request limit applies here; see docs/operations.md "Slow clients".
  const handler = options.timeouts === undefined
    ? options.handler
    : withRequestDeadline(options.handler, options.timeouts.requestSeconds);
  const graceMs = (options.timeouts?.requestSeconds ?? 10) * 1000;
  const l: _Listener = { bodies: 0, draining: false, server: undefined as never };
  const done = () => void l.bodies--;
  (l as { server: Deno.HttpServer<Deno.NetAddr> }).server = Deno.serve({
    hostname: options.host,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
    onListen: () => {},
  }, (req, info) => {
    if (l.draining) return shuttingDownResponse();
    const p = handler(req, { remoteAddr: (info.remoteAddr as Deno.NetAddr).hostname });
    // Headers, not `req.body` (building that stream costs about 12 µs per POST).
    if (req.headers.has("content-length") || req.headers.has("transfer-encoding")) {
      l.bodies++;
      p.then(done, done);
    }
    return p;
  });
  /**
   * Deno 2.9's shutdown() makes every request body still arriving unreadable (BadResource,
   * denoland/deno#36809), so the listener is closed once no body is in flight (bounded by the
   * request limit); what arrives meanwhile is turned away (503 `shutting_down`, connection: close).
   */
  const drain = async (): Promise<void> => {
    l.draining = true;
    const until = Date.now() + graceMs;
    while (l.bodies > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await l.server.shutdown();
  };
  let stopping: Promise<void> | undefined;
  return {
    port: l.server.addr.port,
    protocols: [],
    finished: l.server.finished,
    shutdown(): Promise<void> {
      stopping ??= drain();
      return stopping;
    },
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
