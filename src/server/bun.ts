/**
 * The Bun adapter: the only file that touches `Bun.*` and Node's `process`. It implements
 * {@link Platform} with `Bun.serve`, `process.on(signal)` and `node:fs`.
 *
 * It must type-check under `deno check`, where no Bun types exist, so the few shapes it uses are
 * declared below and the globals are read through `globalThis`.
 */

import { mkdir, open, readFile, stat } from "node:fs/promises";
import type {
  Platform,
  ServeOptions,
  ServerHandle,
  SignalName,
  WorkerLink,
} from "../platform/platform.ts";
import { FileExistsError, FileMissingError } from "../runtime/mod.ts";
import { openBunSqlite } from "../platform/sqlite_bun.ts";
import { withRequestDeadline } from "./deadline.ts";
import { linkOf } from "./worker_link.ts";

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
    /** Seconds (at most 255) a request may take to arrive before the socket is closed. */
    idleTimeout?: number;
    development?: boolean;
    fetch(req: Request, server: BunServer): Promise<Response> | Response;
    error?(e: unknown): Response;
  }): BunServer;
  readonly stdin: { text(): Promise<string> };
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
}

function _bun(): BunGlobal {
  return (globalThis as unknown as { Bun: BunGlobal }).Bun;
}

function _process(): ProcessLike {
  return (globalThis as unknown as { process: ProcessLike }).process;
}

function _isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "ENOENT";
}

/** Create the Bun platform. */
export function bunPlatform(): Platform {
  const bun = _bun();
  const proc = _process();
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
        return await readFile(path, "utf8");
      } catch (e) {
        if (_isNotFound(e)) throw new FileMissingError(path);
        throw e;
      }
    },
    async writePrivateFile(path: string, text: string): Promise<void> {
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
    async mtime(path: string): Promise<number | undefined> {
      try {
        return (await stat(path)).mtimeMs;
      } catch {
        return undefined;
      }
    },
    stdout(text: string): void {
      proc.stdout.write(text);
    },
    stderr(text: string): void {
      proc.stderr.write(text);
    },
    async readStdin(): Promise<string> {
      return await bun.stdin.text();
    },
    serve(options: ServeOptions): ServerHandle {
      const t = options.timeouts;
      const handler = t === undefined
        ? options.handler
        : withRequestDeadline(options.handler, t.requestSeconds);
      const server = bun.serve({
        hostname: options.host,
        port: options.port,
        ...(options.reusePort ? { reusePort: true } : {}),
        // Bun's idle timer would cut a slow body too, without an answer: keep it just beyond the
        // request limit so the client gets the 408 first (255 s is Bun's maximum).
        ...(t === undefined ? {} : { idleTimeout: Math.min(255, t.requestSeconds + 2) }),
        development: false,
        fetch(req, srv) {
          return handler(req, { remoteAddr: srv.requestIP(req)?.address ?? "" });
        },
      });
      let resolveFinished: () => void = () => {};
      const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
      let stopping: Promise<void> | undefined;
      return {
        port: server.port,
        shutdown(): Promise<void> {
          // stop() without `true` stops listening and resolves once in-flight requests are done.
          stopping ??= server.stop().then(resolveFinished, (e) => {
            resolveFinished();
            throw e;
          });
          return stopping;
        },
        finished,
      };
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
