/**
 * Everything Keypebble needs from the JavaScript runtime, as one interface. `src/server/deno.ts`
 * and `src/server/bun.ts` implement it; nothing else in `src/` knows which runtime it is on.
 */

import type { RuntimeIo } from "./io.ts";
import type { SqliteOpener } from "./sqlite.ts";

/** A running HTTP server. */
export interface ServerHandle {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stop accepting, let in-flight requests finish, then resolve. */
  shutdown(): Promise<void>;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
}

/** Options to start serving. */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: (req: Request, info: { remoteAddr: string }) => Promise<Response>;
  /**
   * Bind with `SO_REUSEPORT`, so several workers listen on the same port and the kernel spreads
   * new connections over them. Deno needs `--unstable-net` for it.
   */
  readonly reusePort?: boolean;
  /** Slow-client limits; see {@link ClientTimeouts}. */
  readonly timeouts?: ClientTimeouts;
}

/**
 * Time limits on one client, so a slow or stalled peer cannot hold a connection (slowloris).
 * The header phase is the runtime's own business (Bun closes after 10–12 s; Deno.serve has no
 * limit, see README "Slow clients").
 */
export interface ClientTimeouts {
  /** Whole seconds from the end of the headers to the answer being ready (body included). */
  readonly requestSeconds: number;
}

/** A message channel between the main thread and one worker thread (structured clone). */
export interface WorkerLink {
  post(message: unknown): void;
  onMessage(fn: (message: unknown) => void): void;
  /** Called when the worker dies with an uncaught error. */
  onError(fn: (message: string) => void): void;
  /** Stop the worker thread at once. */
  terminate(): void;
}

/** Signals the server reacts to. */
export type SignalName = "SIGHUP" | "SIGTERM" | "SIGINT";

/** The runtime seen through one narrow window. */
export interface Platform extends RuntimeIo {
  /** e.g. `deno 2.5.0` or `bun 1.2.0`. */
  readonly name: string;
  env(name: string): string | undefined;
  /** Names of the `KEYPEBBLE_*` variables set, when the runtime may list them. */
  envNames?(): string[];
  /** Modification time in ms of a file, or undefined when it cannot be read. */
  mtime(path: string): Promise<number | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  serve(options: ServeOptions): ServerHandle;
  onSignal(signal: SignalName, fn: () => void): void;
  /** The runtime's own SQLite (`node:sqlite` on Deno, `bun:sqlite` on Bun), for the store. */
  readonly openSqlite?: SqliteOpener;
  /** Make a temporary directory (for tests and generated material). */
  cwd(): string;
  /** Logical CPUs the process may use (the default `serve --workers`). */
  cpuCount(): number;
  /** Whether {@link ServeOptions.reusePort} works here (Deno: only with `--unstable-net`). */
  canReusePort(): boolean;
  /** Start a worker thread running `src/main.ts` in worker mode; see `src/server/worker.ts`. */
  startWorker(): WorkerLink;
  /** In a worker thread: the link to the main thread; on the main thread: undefined. */
  parentLink(): WorkerLink | undefined;
}
