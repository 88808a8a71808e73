/**
 * Everything Keypebble needs from the JavaScript runtime, as one interface. `src/server/deno.ts`
 * and `src/server/bun.ts` implement it; nothing else in `src/` knows which runtime it is on.
 */

import type { RuntimeIo } from "./io.ts";
import type { ProcessStats } from "./process_stats.ts";
import type { SqliteOpener } from "./sqlite.ts";

/** A running HTTP server. */
export interface ServerHandle {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * Stop accepting at once (a new connection is refused), let the requests in flight finish,
   * close idle connections, then resolve. See {@link ServeOptions} for Deno's one exception.
   */
  shutdown(): Promise<void>;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** What the listener offers through ALPN, e.g. `["h2", "http/1.1"]` (`[]` without TLS). */
  readonly protocols: readonly string[];
  /**
   * Serve another certificate (and client CA bundle): new handshakes get it, connections already
   * open keep theirs and are not cut. Rejects, leaving the old one served, when it cannot.
   * Absent without TLS.
   */
  updateTls?(tls: ServeTls): Promise<void>;
}

/** The verified client certificate of a TLS connection (mTLS), as routes see it. */
export interface PeerCertificate {
  /** RFC 4514, as `openssl x509 -noout -subject -nameopt RFC2253` prints it. */
  readonly subject: string;
  /** URI subject alternative names (a SPIFFE ID is one). */
  readonly sanUris: readonly string[];
  readonly sanDns: readonly string[];
}

/** What the adapter knows about the connection a request came on. */
export interface ConnFacts {
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddr: string;
  /** With `service.tls.client_ca_path`: the client certificate the handshake verified. */
  readonly peerCertificate?: PeerCertificate;
}

/** TLS for a listener (src/tls/ checks the files and builds it). */
export interface ServeTls {
  /** PEM chain, leaf first. */
  readonly cert: string;
  /** PEM private key (a function so it is never serialised by accident). */
  key(): string;
  /** PEM CA bundle: request client certificates and verify them against it. */
  readonly clientCa?: string;
  /** `required`: no handshake without a valid client certificate; `optional`: none is fine. */
  readonly clientCertificates: "required" | "optional";
}

/**
 * Options to start serving.
 *
 * Draining (`shutdown()`): Bun and the client-certificate server stop accepting at once. Deno's
 * `Deno.serve` (2.9) cuts request bodies still arriving when it is shut down
 * (denoland/deno#36809), so there the listener closes once no request is still receiving its
 * body (bounded by the request limit); a request arriving in that window is answered 503
 * `shutting_down` with `connection: close`.
 */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: (req: Request, info: ConnFacts) => Promise<Response>;
  /** Serve HTTPS (TLS 1.2 and 1.3 only; HTTP/2 where the runtime's server offers it). */
  readonly tls?: ServeTls;
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
 * limit, see docs/operations.md "Slow clients").
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
  /**
   * Whether this process may write `path`: an existing file is opened for writing (and closed,
   * unchanged); for a missing one, an empty probe file is created beside it and removed. Asked
   * by `check` for what `serve` would write (the store, the pepper), so a read-only mount, a
   * file mode, an ACL or Deno's own permissions are all found the way serve would meet them.
   */
  canWrite?(path: string): Promise<boolean>;
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /**
   * What {@link serve} offers through ALPN with TLS: Deno's own server `h2`, `http/1.1`; Bun's
   * `http/1.1` only; the client-certificate server (`withClientCertificates`) both, everywhere.
   */
  alpnFor?(withClientCertificates: boolean): readonly string[];
  /** Start listening; rejects when the address cannot be bound or the TLS pair is refused. */
  serve(options: ServeOptions): Promise<ServerHandle>;
  onSignal(signal: SignalName, fn: () => void): void;
  /** The runtime's own SQLite (`node:sqlite` on Deno, `bun:sqlite` on Bun), for the store. */
  readonly openSqlite?: SqliteOpener;
  /** Make a temporary directory (for tests and generated material). */
  cwd(): string;
  /** Logical CPUs the process may use (the default `serve --workers`). */
  cpuCount(): number;
  /** The `process_*` facts of `/metrics`, read when scraped (src/platform/process_stats.ts). */
  processStats?(): Promise<ProcessStats>;
  /** Whether {@link ServeOptions.reusePort} works here (Deno: only with `--unstable-net`). */
  canReusePort(): boolean;
  /** Start a worker thread running `src/main.ts` in worker mode; see `src/server/worker.ts`. */
  startWorker(): WorkerLink;
  /** In a worker thread: the link to the main thread; on the main thread: undefined. */
  parentLink(): WorkerLink | undefined;
}
