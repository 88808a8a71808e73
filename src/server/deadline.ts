/**
 * The request time limit both adapters put around the handler: a request whose answer is not
 * ready `requestSeconds` after its headers arrived gets `408 request_timeout` and its connection
 * closed (RFC 9110 §15.5.9). In practice only a body that trickles in can be that slow, so only
 * requests with a body pay for the timer.
 */

import type { ClientTimeouts } from "../platform/platform.ts";

type Handler = (req: Request, info: { remoteAddr: string }) => Promise<Response>;

/** Default slow-client limits, in seconds (see docs/operations.md "Slow clients"). */
export const DEFAULT_TIMEOUTS: ClientTimeouts = Object.freeze({ requestSeconds: 10 });

/** The 408 answer: JSON error format, and `connection: close` so the runtime drops the socket. */
export function requestTimeoutResponse(): Response {
  return new Response(
    '{"error":"request_timeout","message":"The request was not received in time"}',
    {
      status: 408,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
        "connection": "close",
      },
    },
  );
}

/** A request waiting for its answer, and what to do when its time is up. */
interface Pending {
  readonly until: number;
  readonly expire: () => void;
}

/**
 * Wrap `handler` so a request with a body answers 408 after `seconds`. One coarse sweep (every
 * 250 ms, only while requests are pending) replaces a timer per request: timers cost more than
 * the rest of the wrapper together.
 */
export function withRequestDeadline(handler: Handler, seconds: number): Handler {
  const ms = seconds * 1000;
  const pending = new Set<Pending>();
  let ticker: ReturnType<typeof setInterval> | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const p of pending) {
      if (p.until <= now) {
        pending.delete(p);
        p.expire();
      }
    }
    if (pending.size === 0) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
  return (req, info) => {
    // A request has a body only when it declares a length or a chunked transfer (RFC 9112 §6.3).
    // Asked of the headers, not `req.body`: that getter makes the runtime build a ReadableStream
    // and read the body through it (about 12 µs more per POST on Deno).
    if (!req.headers.has("content-length") && !req.headers.has("transfer-encoding")) {
      return handler(req, info);
    }
    return new Promise<Response>((resolve, reject) => {
      const p: Pending = {
        until: Date.now() + ms,
        expire() {
          // Stop reading the body (Bun then drops the socket), answer 408 now.
          req.body?.cancel().catch(() => {});
          resolve(requestTimeoutResponse());
        },
      };
      pending.add(p);
      ticker ??= setInterval(sweep, 250);
      handler(req, info).then((r) => {
        pending.delete(p);
        resolve(r);
      }, (e) => {
        pending.delete(p);
        reject(e);
      });
    });
  };
}
