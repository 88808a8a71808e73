/**
 * What a route is: one declaration per method and path saying who may call it (the credentials
 * that identify a caller, whether an anonymous caller is let in), what capability the caller
 * needs, the body it accepts, the wire style of its errors and, for routes that mint, the token
 * kind. The dispatcher (`dispatch.ts`) runs the declaration; the handler receives a request that
 * is already authenticated and authorised and never looks at credentials itself.
 *
 * This core knows no feature: capabilities are plain strings here, and the feature folders
 * declare their own routes (assembled by `src/app/routes.ts`).
 *
 * @module
 */

import type { ProfileName } from "../profiles/table.ts";
import type { RequestContext, Services } from "./context.ts";

/**
 * A credential a route accepts, in the order the authentication step looks for it:
 * - `basic`: HTTP Basic against the policy's password hashes (RFC 7617);
 * - `proxy`: `X-Authenticated-User` from a trusted proxy;
 * - `mtls`: a verified client certificate (mapped to a policy user or a SPIFFE ID);
 * - `api_key`: an API key (`X-API-Key`, `X-Admin-Key` on admin routes, or `Authorization: Bearer`);
 * - `account`: an account's access token (`Authorization: Bearer`);
 * - `client`: OAuth2 client authentication (RFC 6749 §2.3: HTTP Basic or the form body).
 */
export type Credential = "basic" | "proxy" | "mtls" | "api_key" | "account" | "client";

/**
 * Whether a caller offering no credential is let in:
 * - `never`: 401;
 * - `always`: the route is public (probes, published keys, grants whose credential is the body);
 * - `per_kind`: as the minted kind's rule says (closed unless opened; `require_authentication`).
 */
export type AnonymousRule = "never" | "always" | "per_kind";

/** Who may call a route. */
export interface CallerDecl {
  readonly accepts: readonly Credential[];
  readonly anonymous: AnonymousRule;
  /**
   * The lockout bucket that refused credentials count in, per client address (default: the one
   * bucket every route shares). The admin API has its own, so a mistyped admin key never locks a
   * gateway's address out of `/forward-auth`.
   */
  readonly lockoutBucket?: string;
  /**
   * Whether a key's requests here count in its usage statistics (default true). Managing keys is
   * not using them: the admin API's calls are not counted (keyguard's admin key is no API key).
   */
  readonly counted?: boolean;
}

/**
 * The body a route accepts; its size is always capped by `limits.max_body_bytes`.
 * `json` is an object; `json_value` any JSON value (pico-auth's clients send a bare string);
 * `form` is `application/x-www-form-urlencoded`; `oauth_form` the same with no parameter repeated
 * (RFC 6749 §3.2).
 */
export type BodyType = "none" | "json" | "json_value" | "form" | "oauth_form";

/**
 * How a route's errors are written (`wire_styles.ts`):
 * - `keypebble`: `{"error", "message"}`;
 * - `oauth`: RFC 6749 §5.2, plus `error_description`, `Cache-Control: no-store`, `Pragma: no-cache`;
 * - `pico`: ours plus `detail` (pico-auth's FastAPI clients read it);
 * - `keyguard`: keyguard's admin router (FastAPI): ours plus `detail`, with its statuses (422 for
 *   invalid input, 400 for a duplicate, 403 for an admin key it does not accept);
 * - `keyguard_middleware`: ours plus `detail`, with our statuses, which are those keyguard's
 *   middleware and `rate_limit_by_ip` answer (401, 403, 429);
 * - `html`: a page a browser shows (the sign-in pages), under a Content-Security-Policy that
 *   allows nothing but the page itself.
 */
export type WireStyle =
  | "keypebble"
  | "oauth"
  | "pico"
  | "keyguard"
  | "keyguard_middleware"
  | "html";

/**
 * What a route that changes something records in the audit trail, written once it has answered
 * (the settle hook): the action, and where its target and organisation are found. A name in
 * `target` or `org` is a path parameter, else a string member of the JSON body; the handler may
 * note better facts it learns (`ctx.audit`: a created key's id, the organisation of a key).
 */
export interface AuditDecl<S extends Services = Services> {
  /** The action (`key.created`), or how the request decides it (`account.suspended`/`resumed`). */
  readonly action: string | ((ctx: RequestContext<S>) => string);
  /** The path parameter or body member naming the target. */
  readonly target?: string;
  /** The path parameter or body member naming the organisation concerned. */
  readonly org?: string;
}

/** HTTP methods a route may declare. */
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** One entry of the route table. `S` is the services bag the handlers see. */
export interface RouteDecl<S extends Services = Services> {
  readonly method: Method;
  readonly template: string;
  readonly caller: CallerDecl;
  /** The capability the caller must hold (checked by the authorisation hook); none: any caller. */
  readonly needs?: string;
  readonly body: BodyType;
  readonly style: WireStyle;
  /** The token kind this route mints (documentation, OpenAPI, `check`, `profiles.<kind>.enabled`). */
  readonly profile?: ProfileName;
  /** The audit event of a route that changes something (tokens are recorded by the mint). */
  readonly audit?: AuditDecl<S>;
  /**
   * A mode of the route: this declaration serves the requests of its method whose query carries
   * this parameter (present, whatever its value); the declaration without a mode serves all
   * others. Each mode has its own caller rule, so a mode that needs no credential (e.g.
   * `GET /forward-auth?limit=NAME`) never changes who may use the other (the key check).
   */
  readonly queryMode?: string;
  /**
   * Request headers the handler itself reads, besides those of its caller declaration and its
   * body (e.g. forward-auth's `x-required-scope`): each is held to `limits.max_header_bytes`.
   */
  readonly reads?: readonly string[];
  readonly handle: (ctx: RequestContext<S>) => Response | Promise<Response>;
}

/** A path template and the declarations for each of its methods. */
export interface Route<S extends Services = Services> {
  readonly template: string;
  /** The declaration of each method (the one without a query mode). */
  readonly methods: Readonly<Record<string, RouteDecl<S>>>;
  /** The declarations of each method's query modes (see {@link RouteDecl.queryMode}). */
  readonly modes: Readonly<Record<string, readonly RouteDecl<S>[]>>;
  /** Template segments; `{x}` is a parameter matching one non-empty segment. */
  readonly segments: readonly string[];
}

/** The declarations grouped by path, and a matcher over them. */
export class RouteIndex<S extends Services = Services> {
  readonly routes: readonly Route<S>[];
  /** Paths without parameters, each with its one match (no parameters), made once. */
  readonly #exact: Map<string, { route: Route<S>; params: Record<string, string> }>;
  readonly #parametrised: readonly Route<S>[];

  constructor(table: readonly RouteDecl<S>[]) {
    const byTemplate = new Map<string, Record<string, RouteDecl<S>>>();
    const modes = new Map<string, Record<string, RouteDecl<S>[]>>();
    for (const d of table) {
      if (d.queryMode !== undefined) {
        const m = modes.get(d.template) ?? {};
        const list = m[d.method] ??= [];
        if (list.some((x) => x.queryMode === d.queryMode)) {
          throw new Error(`Route ${d.method} ${d.template}?${d.queryMode} twice`);
        }
        list.push(d);
        modes.set(d.template, m);
        continue;
      }
      const m = byTemplate.get(d.template) ?? {};
      if (m[d.method] !== undefined) throw new Error(`Route ${d.method} ${d.template} twice`);
      m[d.method] = d;
      byTemplate.set(d.template, m);
    }
    for (const [template, m] of modes) {
      for (const method of Object.keys(m)) {
        // A mode is a variant of a declared route, never a route of its own.
        if (byTemplate.get(template)?.[method] === undefined) {
          throw new Error(`Route ${method} ${template} has modes but no declaration`);
        }
      }
    }
    this.routes = [...byTemplate].map(([template, methods]) => ({
      template,
      methods,
      modes: modes.get(template) ?? NO_MODES,
      segments: template.split("/").slice(1),
    }));
    this.#exact = new Map(
      this.routes.filter((r) => !r.template.includes("{")).map((r) => [
        r.template,
        { route: r, params: Object.freeze({}) as Record<string, string> },
      ]),
    );
    this.#parametrised = this.routes.filter((r) => r.template.includes("{"));
  }

  /**
   * Find the route for a raw path; `undefined` when none matches. Paths are matched as sent,
   * never normalised: a dot segment (`/./auth`, `/v2/%2e%2e/auth`), an empty segment or an
   * encoded slash never reaches a route, so what a proxy in front matched is what is served.
   */
  match(path: string): { route: Route<S>; params: Record<string, string> } | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined) return exact;
    const parts = path.split("/").slice(1);
    for (const route of this.#parametrised) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i];
        if (seg.startsWith("{")) {
          if (parts[i] === "") ok = false;
          else {
            try {
              const v = decodeURIComponent(parts[i]);
              if (v === "." || v === ".." || v.includes("/")) ok = false;
              else params[seg.slice(1, -1)] = v;
            } catch {
              ok = false;
            }
          }
        } else if (seg !== parts[i]) ok = false;
      }
      if (ok) return { route, params };
    }
    return undefined;
  }
}

/**
 * The declaration of `decl`'s route that serves a request with this query: the first of the
 * method's modes whose parameter the query carries, else `decl` itself.
 */
export function declForQuery<S extends Services>(
  route: Route<S>,
  decl: RouteDecl<S>,
  query: URLSearchParams,
): RouteDecl<S> {
  const modes = route.modes[decl.method];
  if (modes === undefined) return decl;
  for (const m of modes) if (query.has(m.queryMode!)) return m;
  return decl;
}

const NO_MODES: Readonly<Record<string, never>> = Object.freeze({});

/** The raw path of a request URL as the client sent it (before WHATWG URL dot removal). */
export function rawPath(requestUrl: string): string {
  // `new URL()` resolves `/./auth` to `/auth` and `/v2/%2e%2e/auth` to `/auth`; the route table
  // must see what was sent. Take the path from the text: after the authority, before ? or #.
  // scheme "://" authority, then the path up to "?" or "#" (RFC 3986 §3); "/" when empty.
  const sep = requestUrl.indexOf("://");
  if (sep < 1 || !SCHEME.test(requestUrl.slice(0, sep))) return "/";
  const n = requestUrl.length;
  let start = sep + 3;
  for (; start < n; start++) {
    const c = requestUrl.charCodeAt(start);
    if (c === 47 || c === 63 || c === 35) break; // "/", "?", "#"
  }
  let end = start;
  for (; end < n; end++) {
    const c = requestUrl.charCodeAt(end);
    if (c === 63 || c === 35) break;
  }
  return end === start ? "/" : requestUrl.slice(start, end);
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*$/;
