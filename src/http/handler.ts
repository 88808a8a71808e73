/**
 * The Web-standard core: `handler(req, info) → Response`. It reads the current runtime once,
 * matches the route, checks header sizes, lets the application admit the request (blocks, the
 * per-address limit), dispatches the route's declaration, turns every thrown error into a JSON
 * error with a stable code, counts and logs the request. It never throws, and it knows no
 * feature: the routes and the hooks come from the composition root (`src/app/`).
 *
 * @example
 * ```ts
 * const handler = createHandler(services, { routes, authenticate, authorize });
 * const res = await handler(new Request("http://kp/healthz"), { remoteAddr: "127.0.0.1" });
 * ```
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { type ClientAddress, clientAddress } from "../identity/mod.ts";
import { cidrContainsCached } from "../identity/mod.ts";
import type { Caller } from "../identity/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { AuditNote, ConnInfo, RequestContext, Services } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import { errorResponse, responseForError } from "./responses.ts";
import { declForQuery, rawPath, type RouteDecl, type RouteIndex } from "./route.ts";
import { styledError } from "./wire_styles.ts";

/** The handler's type: what the server adapters bind to a socket. */
export type Handler = (req: Request, info: ConnInfo) => Promise<Response>;

/** What the composition root gives the core. */
export interface HandlerHooks<S extends Services> {
  readonly routes: RouteIndex<S>;
  /** Templates never admitted nor limited (probes and scrapes keep working under a flood). */
  readonly unlimited: ReadonlySet<string>;
  /**
   * The request headers a route reads (its credentials, its body's type, its own `reads`), each
   * checked against `limits.max_header_bytes`; a header no one reads costs nothing. Called once
   * per declaration (remembered).
   */
  readHeaders(decl: RouteDecl<S>): readonly string[];
  /** Before dispatch, for every route not `unlimited`: address blocks, the per-address limit. */
  admit(ctx: RequestContext<S>): void | Promise<void>;
  /** The one authentication step: the caller the route's declaration accepts, or null. */
  authenticate(ctx: RequestContext<S>, decl: RouteDecl<S>): Caller | null | Promise<Caller | null>;
  /**
   * Once authentication is over (with the error that ended it, if any), before the body of a
   * route that reads it after authenticating: the application completes what `admit` and
   * `authenticate` deferred (fleet mode sends the request's limit steps in one round trip). It
   * throws a refusal that precedes `failure`.
   */
  admitted?(ctx: RequestContext<S>, failure?: unknown): void | Promise<void>;
  /** The capability check of `decl.needs` for `ctx.caller`. */
  authorize(ctx: RequestContext<S>, decl: RouteDecl<S>): void | Promise<void>;
  /**
   * After a route answered, with its status and, for a refusal, the error: usage accounting, the
   * route's audit event.
   */
  settle?(
    ctx: RequestContext<S>,
    status: number,
    decl: RouteDecl<S>,
    error?: KeypebbleError,
  ): void;
}

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Build the handler over long-lived services. */
export function createHandler<S extends Services>(services: S, hooks: HandlerHooks<S>): Handler {
  const reads = new WeakMap<RouteDecl<S>, readonly string[]>();
  const readsOf = (decl: RouteDecl<S>): readonly string[] => {
    let r = reads.get(decl);
    if (r === undefined) reads.set(decl, r = hooks.readHeaders(decl));
    return r;
  };
  return async function handler(req: Request, info: ConnInfo): Promise<Response> {
    const started = performance.now();
    const rt = services.runtime();
    let template = "unmatched";
    let response: Response;
    let ctx: _Context<S> | undefined;
    let decl: RouteDecl<S> | undefined;
    try {
      const path = rawPath(req.url);
      const match = hooks.routes.match(path);
      // The answers a scanner gets most (404, 405, 431) are built here, never thrown: in Deno,
      // constructing any Error captures a detailed stack (whatever Error.stackTraceLimit says),
      // which costs more than the rest of a 404. Same codes, messages and headers as a throw.
      if (match === undefined) {
        response = errorResponse("not_found", `No route for ${quoteForMessage(path)}`);
        return _finish(services, req, info, ctx, template, started, response);
      }
      template = match.route.template;
      const base = match.route.methods[req.method] ??
        (req.method === "HEAD" ? match.route.methods.GET : undefined);
      if (base === undefined) {
        const allow = Object.keys(match.route.methods).join(", ");
        const message = `Method "${req.method.slice(0, 16)}" is not allowed here; use ${allow}`;
        // In the style of the path's routes (a FastAPI client reads `detail` on a 405 too).
        const style = Object.values(match.route.methods)[0].style;
        response = style === "keypebble"
          ? errorResponse("method_not_allowed", message, { allow })
          : styledError(
            style,
            KeypebbleError.answer("method_not_allowed", message, { headers: { allow } }),
          );
        return _finish(services, req, info, ctx, template, started, response);
      }
      ctx = new _Context(req, rt, services, info, services.now(), match.params);
      decl = declForQuery(match.route, base, ctx.query);
      const tooLarge = _headerTooLarge(req, readsOf(decl), rt.config.limits.maxHeaderBytes);
      if (tooLarge !== undefined) {
        response = tooLarge;
        return _finish(services, req, info, ctx, template, started, response);
      }
      if (!hooks.unlimited.has(template)) {
        const admitted = hooks.admit(ctx);
        if (admitted !== undefined) await admitted; // a store or Redis check; in memory it is sync
      }
      response = await dispatch(ctx, decl, hooks);
    } catch (e) {
      if (!(e instanceof KeypebbleError) || e.status >= 500) {
        services.logger.error("internal_error", {
          route: template,
          error: e instanceof Error ? e.name : "unknown",
          detail: e instanceof Error ? e.message.slice(0, 200) : undefined,
        });
      }
      // A refusal before the route ran (a block, the per-address limit) in the route's style.
      response = decl !== undefined && e instanceof KeypebbleError && e.status < 500
        ? styledError(decl.style, e)
        : responseForError(e);
    }
    return _finish(services, req, info, ctx, template, started, response);
  };
}

/**
 * One request's {@link RequestContext}. The URL is parsed the first time a route reads it, and
 * the query only when the request has one: most requests never need either. The peer address,
 * whether it is a trusted proxy and the client address are worked out only when something asks:
 * /healthz, /readyz and /metrics never do.
 */
class _Context<S extends Services> implements RequestContext<S> {
  readonly nowSec: number;
  subject?: string;
  audit?: AuditNote;
  caller: Caller | null = null;
  json: Readonly<Record<string, unknown>> = EMPTY_JSON;
  jsonValue: unknown = undefined;
  form: URLSearchParams = EMPTY_FORM;
  #url: URL | undefined;
  #peer: string | undefined;
  #peerIsTrustedProxy: boolean | undefined;
  #client: ClientAddress | undefined;

  constructor(
    readonly req: Request,
    readonly rt: Runtime,
    readonly services: S,
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
    return this.#peerIsTrustedProxy ??= cidrContainsCached(this.rt.trustedProxies, this.peer);
  }

  get client(): ClientAddress {
    return this.#client ??= clientAddress(
      this.peer,
      this.peerIsTrustedProxy ? this.req.headers.get(this.rt.config.trustedProxyHeader) : null,
      this.rt.trustedProxies,
      this.peerIsTrustedProxy,
    );
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
const EMPTY_FORM = new URLSearchParams();
const EMPTY_JSON: Readonly<Record<string, unknown>> = Object.freeze({});

/** Count and log one answered request. */
function _finish<S extends Services>(
  services: S,
  req: Request,
  info: ConnInfo,
  ctx: _Context<S> | undefined,
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
      // The one client address (behind a trusted proxy, the client it named), and the peer.
      remote: ctx === undefined ? info.remoteAddr : ctx.client.address,
      ...(ctx !== undefined && ctx.client.address !== info.remoteAddr
        ? { peer: info.remoteAddr }
        : {}),
      ...(ctx?.subject === undefined ? {} : { sub: ctx.subject }),
    });
  }
  return response;
}

/** Status codes as label strings, made once each rather than per request. */
const STATUS_LABELS = new Map<number, string>();

function _statusLabel(status: number): string {
  let s = STATUS_LABELS.get(status);
  if (s === undefined) STATUS_LABELS.set(status, s = String(status));
  return s;
}

/** A 431 for the first read header longer than `max`, or `undefined` when all fit. */
function _headerTooLarge(
  req: Request,
  names: readonly string[],
  max: number,
): Response | undefined {
  for (const name of names) {
    const v = req.headers.get(name);
    if (v !== null && v.length > max) {
      return errorResponse("headers_too_large", `Header "${name}" is longer than ${max} bytes`);
    }
  }
  return undefined;
}
