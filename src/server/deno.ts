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
import { withRequestDeadline } from "./deadline.ts";
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
    serve(options: ServeOptions): ServerHandle {
      // Deno.serve has no header-read time limit (hyper's needs a timer Deno does not install),
      // so only the request limit applies here; see README "Slow clients".
      const handler = options.timeouts === undefined
        ? options.handler
        : withRequestDeadline(options.handler, options.timeouts.requestSeconds);
      // Deno's shutdown() cuts the bodies still arriving, so a drain first waits (up to the
      // request limit) for the requests in flight to be answered.
      let inFlight = 0;
      const done = () => void inFlight--;
      const server = Deno.serve({
        hostname: options.host,
        port: options.port,
        ...(options.reusePort ? { reusePort: true } : {}),
        onListen: () => {},
      }, (req, info) => {
        inFlight++;
        const p = handler(req, { remoteAddr: (info.remoteAddr as Deno.NetAddr).hostname });
        p.then(done, done);
        return p;
      });
      const graceMs = (options.timeouts?.requestSeconds ?? 10) * 1000;
      return {
        port: (server.addr as Deno.NetAddr).port,
        async shutdown(): Promise<void> {
          const until = Date.now() + graceMs;
          while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
          await server.shutdown();
        },
        finished: server.finished,
      };
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
    canReusePort(): boolean {
      // SO_REUSEPORT is unstable in Deno 2 and, without --unstable-net, asking for it ends the
      // process; the same flag exposes the QUIC API, so its presence tells.
      return typeof (Deno as unknown as { connectQuic?: unknown }).connectQuic === "function";
    },
    startWorker(): WorkerLink {
      return linkOf(new Worker(Deno.mainModule, { type: "module" }));
    },
    parentLink(): WorkerLink | undefined {
      if (!_isWorker()) return undefined;
      return linkOf(self as unknown as Worker);
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
