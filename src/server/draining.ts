/**
 * What a draining server answers (SIGTERM, or the old listener of a certificate swap on Deno):
 * `/readyz` turns 503 so a load balancer stops sending, and on Deno a request that arrives
 * before the listener could close is turned away with `connection: close` (see
 * `ServeOptions` in src/platform/platform.ts for why Deno's listener closes late).
 */

const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "retry-after": "1",
  "connection": "close",
};

/** `503 shutting_down`: this instance takes no new requests; retry elsewhere or shortly. */
export function shuttingDownResponse(): Response {
  return new Response(
    '{"error":"shutting_down","message":"The server is shutting down; retry shortly"}',
    { status: 503, headers: HEADERS },
  );
}

/** `GET /readyz` while draining: 503, so probes take this instance out of rotation. */
export function notReadyResponse(): Response {
  return new Response('{"status":"draining"}', { status: 503, headers: HEADERS });
}

/** Whether a request URL is `/readyz` (with or without a query), without parsing it. */
export function isReadyz(url: string): boolean {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  return path.endsWith("/readyz") && new URL(url).pathname === "/readyz";
}

/**
 * An answer of a draining listener: `connection: close` tells an HTTP/1.1 client not to send
 * the next request on this connection (RFC 9112 §9.6), so none is lost when the listener closes
 * the connection; the client opens a new one (to the new listener, or another instance).
 */
export function closing(res: Response): Response {
  try {
    res.headers.set("connection", "close");
  } catch {
    // immutable headers (a Response.error() or a redirect): sent as they are
  }
  return res;
}
