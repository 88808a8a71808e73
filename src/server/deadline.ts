/**
 * The request time limit both adapters put around the handler: a request whose answer is not
 * ready `requestSeconds` after its headers arrived gets `408 request_timeout` and its connection
 * closed (RFC 9110 §15.5.9). In practice only a body that trickles in can be that slow, so only
 * requests with a body pay for the timer.
 */

import type { ClientTimeouts } from "../platform/platform.ts";

type Handler = (req: Request, info: { remoteAddr: string }) => Promise<Response>;

/** Default slow-client limits, in seconds (see README "Slow clients"). */
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

/** Wrap `handler` so a request with a body answers 408 after `seconds`. */
export function withRequestDeadline(handler: Handler, seconds: number): Handler {
  const ms = seconds * 1000;
  return (req, info) => {
    if (req.body === null) return handler(req, info);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<Response>((resolve) => {
      timer = setTimeout(() => {
        // Stop reading the body: the runtime then closes the connection after the 408.
        req.body?.cancel().catch(() => {});
        resolve(requestTimeoutResponse());
      }, ms);
    });
    const answer = handler(req, info);
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  };
}
