/**
 * The HTTPS server used when client certificates are asked for (`service.tls.client_ca_path`),
 * on both runtimes: `node:http2`'s secure server with HTTP/1.1 allowed (ALPN `h2`, `http/1.1`).
 *
 * Why not the runtimes' own servers: `Deno.serve` cannot request a client certificate at all
 * (denoland/deno#26825), and `Bun.serve` verifies one (`requestCert`, `ca`) but tells the handler
 * nothing about it (nor does Bun's `node:https`: its request socket has no `getPeerCertificate`).
 * The `node:http2` server of both runtimes verifies the certificate against the CA bundle and
 * exposes it per connection, serves HTTP/2 and HTTP/1.1, and swaps certificates in place
 * (`setSecureContext`). It costs about twice the per-request time of the native servers, which is
 * why plain TLS stays on them (docs/operations.md "TLS").
 *
 * `node:http2` is imported only here, and only when this server starts: nothing of it is
 * evaluated on a start without client certificates.
 */

import type { ConnFacts, ServeOptions, ServerHandle, ServeTls } from "../platform/platform.ts";
import { peerCertificateOf } from "../tls/peer.ts";
import type { PeerCertificate } from "../tls/peer.ts";
import { withRequestDeadline } from "./deadline.ts";

/** The parts of Node's TLS socket read here. */
interface TlsSocketLike {
  readonly remoteAddress?: string;
  readonly authorized?: boolean;
  getPeerCertificate(detailed?: boolean): { raw?: Uint8Array } | null | undefined;
  end(): void;
  destroy(): void;
  on(event: string, fn: (...a: unknown[]) => void): void;
}

/** The parts of Node's http2 compatibility request/response read here. */
interface NodeReq extends AsyncIterable<Uint8Array> {
  readonly method?: string;
  readonly url?: string;
  readonly httpVersionMajor?: number;
  readonly rawHeaders: string[];
  readonly socket: TlsSocketLike;
  readonly stream?: { readonly session?: object & { readonly socket?: TlsSocketLike } };
  destroy(): void;
}

interface NodeRes {
  writeHead(status: number, headers: Record<string, string | string[]>): void;
  end(body?: Uint8Array): void;
  on(event: string, fn: () => void): void;
  readonly writableFinished?: boolean;
}

interface NodeSecureServer {
  listen(o: { port: number; host: string; reusePort?: boolean }, cb: () => void): void;
  address(): { port: number } | string | null;
  close(cb?: (e?: Error) => void): void;
  setSecureContext(o: Record<string, unknown>): void;
  setTimeout(ms: number, cb?: (sock: TlsSocketLike) => void): void;
  on(event: string, fn: (...a: never[]) => void): void;
  once(event: string, fn: (...a: never[]) => void): void;
  off(event: string, fn: (...a: never[]) => void): void;
}

/** Hop-by-hop headers HTTP/2 forbids (RFC 9113 §8.2.2); never copied into an h2 answer. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

/** Start the client-certificate server (see the module comment). */
export async function serveNodeTls(
  options: ServeOptions & { readonly tls: ServeTls },
): Promise<ServerHandle> {
  const http2 = await import("node:http2");
  const handler = options.timeouts === undefined
    ? options.handler
    : withRequestDeadline(options.handler, options.timeouts.requestSeconds);
  const tls = options.tls;
  const asksForCertificates = tls.clientCa !== undefined;
  const server = http2.createSecureServer({
    allowHTTP1: true,
    minVersion: "TLSv1.2",
    ..._context(tls),
    requestCert: asksForCertificates,
    // `optional`: a handshake without a certificate is let in; one presenting a certificate
    // that does not verify is dropped below, never treated as anonymous.
    rejectUnauthorized: asksForCertificates && tls.clientCertificates === "required",
  }) as unknown as NodeSecureServer;

  /** Verified client certificate per TLS connection (the h2 session or the h1 socket). */
  const peers = new WeakMap<object, PeerCertificate | null>();
  /** HTTP/1.1 sockets and h2 sessions, for draining; requests in flight per h1 socket. */
  const sockets = new Map<TlsSocketLike, number>();
  const sessions = new Set<{ close(): void }>();
  let draining = false;

  server.on("secureConnection", (sock: TlsSocketLike) => {
    if (asksForCertificates && sock.authorized !== true) {
      // Only `optional` lets an unverified handshake through: a certificate that was presented
      // and failed is refused, not served as if none had been sent.
      const presented = sock.getPeerCertificate(false);
      if (presented !== null && presented !== undefined && presented.raw !== undefined) {
        sock.destroy();
      }
    }
  });
  server.on("session", (session: { close(): void; on(e: string, fn: () => void): void }) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    if (draining) session.close();
  });
  server.on("tlsClientError", () => {}); // a failed handshake is the client's problem, not ours
  // No Nagle: an answer's last segment must not wait for the client's delayed ACK (40 ms).
  server.on("connection", (sock: { setNoDelay?(on: boolean): void }) => sock.setNoDelay?.(true));
  const idleMs = ((options.timeouts?.requestSeconds ?? 10) + 5) * 1000;
  server.setTimeout(idleMs, (sock) => sock.destroy());

  const peerOf = (req: NodeReq): PeerCertificate | undefined => {
    const session = req.stream?.session;
    const key: object = session ?? req.socket;
    const known = peers.get(key);
    if (known !== undefined) return known ?? undefined;
    const sock = session?.socket ?? req.socket;
    let peer: PeerCertificate | null = null;
    if (asksForCertificates && sock.authorized === true) {
      const raw = sock.getPeerCertificate(false)?.raw;
      if (raw !== undefined) peer = peerCertificateOf(new Uint8Array(raw)) ?? null;
    }
    peers.set(key, peer);
    return peer ?? undefined;
  };

  server.on("request", (req: NodeReq, res: NodeRes) => {
    const h1 = req.stream === undefined;
    if (h1) {
      const sock = req.socket;
      if (!sockets.has(sock)) sock.on("close", () => sockets.delete(sock));
      sockets.set(sock, (sockets.get(sock) ?? 0) + 1);
      res.on("finish", () => {
        const left = (sockets.get(sock) ?? 1) - 1;
        sockets.set(sock, left);
        if (draining && left === 0) sock.end();
      });
    }
    void _answer(req, res, handler, peerOf, options);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen(
      { port: options.port, host: options.host, ...(options.reusePort ? { reusePort: true } : {}) },
      () => {
        server.off("error", onError);
        resolve();
      },
    );
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : options.port;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;
  return {
    port,
    protocols: ["h2", "http/1.1"],
    finished,
    shutdown(): Promise<void> {
      stopping ??= new Promise<void>((resolve) => {
        draining = true;
        // close() stops accepting now and calls back once every connection has ended.
        server.close(() => {
          resolveFinished();
          resolve();
        });
        for (const s of sessions) s.close(); // GOAWAY: streams in flight finish, no new ones
        for (const [sock, n] of sockets) if (n === 0) sock.end();
      });
      return stopping;
    },
    updateTls(next: ServeTls): Promise<void> {
      // Only the certificates change: whether client certificates are required is part of the
      // listener, and a reload that changes it is reported as needing a restart.
      server.setSecureContext(_context(next));
      return Promise.resolve();
    },
  };
}

function _context(tls: ServeTls): Record<string, unknown> {
  return {
    cert: tls.cert,
    key: tls.key(),
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
  };
}

/** One request: node's request → a Web Request → the handler → node's response. */
async function _answer(
  req: NodeReq,
  res: NodeRes,
  handler: ServeOptions["handler"],
  peerOf: (req: NodeReq) => PeerCertificate | undefined,
  options: ServeOptions,
): Promise<void> {
  let response: Response;
  try {
    const headers = new Headers();
    const raw = req.rawHeaders;
    let authority = "";
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i];
      if (name === ":authority") authority = raw[i + 1];
      if (name.startsWith(":")) continue; // HTTP/2 pseudo-headers (RFC 9113 §8.3)
      headers.append(name, raw[i + 1]);
    }
    authority ||= headers.get("host") ?? "";
    if (!/^[A-Za-z0-9.\-\[\]:]{1,255}$/.test(authority)) {
      authority = `${options.host}:${options.port}`;
    }
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (hasBody) {
      const it = req[Symbol.asyncIterator]();
      init.body = new ReadableStream<Uint8Array>({
        async pull(c) {
          const r = await it.next();
          if (r.done) c.close();
          else c.enqueue(new Uint8Array(r.value));
        },
        cancel() {
          req.destroy();
        },
      });
      init.duplex = "half";
    }
    const request = new Request(`https://${authority}${req.url ?? "/"}`, init);
    const peer = peerOf(req);
    const remote = _plainAddress(req.socket.remoteAddress ?? "");
    const info: ConnFacts = peer === undefined
      ? { remoteAddr: remote }
      : { remoteAddr: remote, peerCertificate: peer };
    response = await handler(request, info);
  } catch {
    response = new Response(
      '{"error":"invalid_request","message":"The request could not be read"}',
      {
        status: 400,
        headers: { "content-type": "application/json; charset=utf-8" },
      },
    );
  }
  const out: Record<string, string | string[]> = {};
  const h2 = req.stream !== undefined;
  response.headers.forEach((v, k) => {
    // HTTP/1.1 keeps `connection: close` (a 408 or a draining answer ends the connection).
    if (h2 && HOP_BY_HOP.has(k)) return;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  });
  const body = req.method === "HEAD" ? undefined : new Uint8Array(await response.arrayBuffer());
  try {
    res.writeHead(response.status, out);
    res.end(body);
  } catch {
    // the client went away while the answer was made
  }
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) as `127.0.0.1`. */
function _plainAddress(a: string): string {
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}
