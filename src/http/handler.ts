/**
 * The Web-standard core: `handler(req, info) → Response`. It reads the current runtime once,
 * routes, applies the per-address rate limit and header limits, turns every thrown error into a
 * JSON error with a stable code, counts and logs the request. It never throws.
 *
 * @example
 * ```ts
 * const handler = createHandler(services);
 * const res = await handler(new Request("http://kp/healthz"), { remoteAddr: "127.0.0.1" });
 * ```
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { cidrContains } from "../identity/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { ConnInfo, RequestContext, Services } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import { errorResponse, responseForError } from "./responses.ts";
import { enforceRateLimit } from "./rate_limit.ts";
import { matchRoute, rawPath } from "./routes.ts";

/** The handler's type: what the server adapters bind to a socket. */
export type Handler = (req: Request, info: ConnInfo) => Promise<Response>;

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Routes that are never rate limited: probes and scrapes must keep working under a flood. */
const UNLIMITED = new Set(["/healthz", "/readyz", "/metrics"]);
/** Request headers the handler reads, checked against `limits.max_header_bytes`. */
export const READ_HEADERS: readonly string[] = [
  "authorization",
  "x-authenticated-user",
  "x-scopes",
  "content-type",
  "accept",
  "x-api-key",
  "x-admin-key",
  "x-required-scope",
];

/** Build the handler over long-lived services. */
export function createHandler(services: Services): Handler {
  return async function handler(req: Request, info: ConnInfo): Promise<Response> {
    const started = performance.now();
    const rt = services.runtime();
    let template = "unmatched";
    let response: Response;
    let ctx: RequestContext | undefined;
    try {
      const path = rawPath(req.url);
      const match = matchRoute(path);
      // The answers a scanner gets most (404, 405, 431) are built here, never thrown: in Deno,
      // constructing any Error captures a detailed stack (whatever Error.stackTraceLimit says),
      // which costs more than the rest of a 404. Same codes, messages and headers as a throw.
      if (match === undefined) {
        response = errorResponse("not_found", `No route for ${quoteForMessage(path)}`);
        return _finish(services, req, info, ctx, template, started, response);
      }
      template = match.route.template;
      const decl = match.route.methods[req.method] ??
        (req.method === "HEAD" ? match.route.methods.GET : undefined);
      if (decl === undefined) {
        const allow = Object.keys(match.route.methods).join(", ");
        response = errorResponse(
          "method_not_allowed",
          `Method "${req.method.slice(0, 16)}" is not allowed here; use ${allow}`,
          { allow },
        );
        return _finish(services, req, info, ctx, template, started, response);
      }
      const tooLarge = _headerTooLarge(req, rt.config.limits.maxHeaderBytes);
      if (tooLarge !== undefined) {
        response = tooLarge;
        return _finish(services, req, info, ctx, template, started, response);
      }
      ctx = new _Context(req, rt, services, info, services.now(), match.params);
      if (!UNLIMITED.has(template)) {
        const shared = _limitAddress(ctx);
        if (shared !== undefined) await shared; // fleet mode only: in memory it is synchronous
      }
      response = await dispatch(ctx, decl);
    } catch (e) {
      if (!(e instanceof KeypebbleError) || e.status >= 500) {
        services.logger.error("internal_error", {
          route: template,
          error: e instanceof Error ? e.name : "unknown",
          detail: e instanceof Error ? e.message.slice(0, 200) : undefined,
        });
      }
      response = responseForError(e);
    }
    return _finish(services, req, info, ctx, template, started, response);
  };
}

/**
 * One request's {@link RequestContext}. The URL is parsed the first time a route reads it, and
 * the query (`query`) only when the request has one: most requests never need either. The peer
 * address is read from the adapter (on Bun a native `requestIP` call) and matched against
 * `trusted_proxies` only when something asks: /healthz, /readyz and /metrics never do.
 */
class _Context implements RequestContext {
  readonly nowSec: number;
  subject?: string;
  #url: URL | undefined;
  #peer: string | undefined;
  #peerIsTrustedProxy: boolean | undefined;

  constructor(
    readonly req: Request,
    readonly rt: Runtime,
    readonly services: Services,
    readonly info: ConnInfo,
    nowMs: number,
    readonly params: Readonly<Record<string, string>>,
  ) {
    this.nowSec = Math.floor(nowMs / 1000);
  }

  get peer(): string {
    return this.#peer ??= this.info.remoteAddr;
  }

  get peerIsTrustedProxy(): boolean {
    return this.#peerIsTrustedProxy ??= cidrContains(this.rt.trustedProxies, this.peer);
  }

  get url(): URL {
    return this.#url ??= new URL(this.req.url);
  }

  get query(): URLSearchParams {
    return this.#url !== undefined || this.req.url.includes("?") ? this.url.searchParams : NO_QUERY;
  }
}

/** The query of a URL without one. Shared: nothing writes to a request's query. */
const NO_QUERY = new URLSearchParams();

/** Count and log one answered request. */
function _finish(
  services: Services,
  req: Request,
  info: ConnInfo,
  ctx: RequestContext | undefined,
  template: string,
  started: number,
  response: Response,
): Response {
  const seconds = (performance.now() - started) / 1000;
  const method = KNOWN_METHODS.has(req.method) ? req.method : "other";
  services.metrics.httpRequests.labels(template, method, _statusLabel(response.status)).inc();
  services.metrics.httpDuration.labels(template).observe(seconds);
  // Build the access-log record only when it will be written.
  if (services.logger.level === "debug" || services.logger.level === "info") {
    services.logger.info("request", {
      method,
      route: template,
      status: response.status,
      duration_ms: Math.round(seconds * 1e5) / 100,
      remote: info.remoteAddr,
      ...(ctx?.subject === undefined ? {} : { sub: ctx.subject }),
    });
  }
  return response;
}

function _limitAddress(ctx: RequestContext): void | Promise<void> {
  const spec = ctx.rt.config.rateLimit.perAddress;
  // A trusted proxy speaks for many clients: limiting its address would throttle them all.
  // Its callers are limited per principal instead.
  if (spec === undefined || ctx.peerIsTrustedProxy) return;
  return enforceRateLimit(ctx, { scope: "address", key: `addr:${ctx.peer}`, spec });
}

/** Status codes as label strings, made once each rather than per request. */
const STATUS_LABELS = new Map<number, string>();

function _statusLabel(status: number): string {
  let s = STATUS_LABELS.get(status);
  if (s === undefined) STATUS_LABELS.set(status, s = String(status));
  return s;
}

/** A 431 for the first read header longer than `max`, or `undefined` when all fit. */
function _headerTooLarge(req: Request, max: number): Response | undefined {
  for (const name of READ_HEADERS) {
    const v = req.headers.get(name);
    if (v !== null && v.length > max) {
      return errorResponse("headers_too_large", `Header "${name}" is longer than ${max} bytes`);
    }
  }
  return undefined;
}
