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
import type { ConnInfo, RequestContext, Services } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import { responseForError } from "./responses.ts";
import { enforceRateLimit } from "./rate_limit.ts";
import { matchRoute, rawPath } from "./routes.ts";

/** The handler's type: what the server adapters bind to a socket. */
export type Handler = (req: Request, info: ConnInfo) => Promise<Response>;

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Routes that are never rate limited: probes and scrapes must keep working under a flood. */
const UNLIMITED = new Set(["/healthz", "/readyz", "/metrics"]);
/** Request headers the handler reads, checked against `limits.max_header_bytes`. */
const READ_HEADERS = [
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
      const url = new URL(req.url);
      const path = rawPath(req.url);
      const match = matchRoute(path);
      if (match === undefined) {
        throw new KeypebbleError("not_found", `No route for ${quoteForMessage(path)}`);
      }
      template = match.route.template;
      const decl = match.route.methods[req.method] ??
        (req.method === "HEAD" ? match.route.methods.GET : undefined);
      if (decl === undefined) {
        const allow = Object.keys(match.route.methods).join(", ");
        throw new KeypebbleError(
          "method_not_allowed",
          `Method "${req.method.slice(0, 16)}" is not allowed here; use ${allow}`,
          { headers: { allow } },
        );
      }
      _checkHeaders(req, rt.config.limits.maxHeaderBytes);
      const now = services.now();
      ctx = {
        req,
        url,
        rt,
        services,
        peer: info.remoteAddr,
        peerIsTrustedProxy: cidrContains(rt.trustedProxies, info.remoteAddr),
        nowSec: Math.floor(now / 1000),
        params: match.params,
      };
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
  };
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

function _checkHeaders(req: Request, max: number): void {
  for (const name of READ_HEADERS) {
    const v = req.headers.get(name);
    if (v !== null && v.length > max) {
      throw new KeypebbleError("headers_too_large", `Header "${name}" is longer than ${max} bytes`);
    }
  }
}
