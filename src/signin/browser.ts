/**
 * What the sign-in pages need of HTTP: whether the browser reached us over TLS (cookies are then
 * `Secure` with the `__Host-` prefix), the cookies it sent, whether a form post comes from our own
 * origin, and the answers: a page under its Content-Security-Policy, a redirect, an error page.
 *
 * @module
 */

import {
  clearCookie,
  contentSecurityPolicy,
  type CookieKind,
  errorPage,
  pageHeaders,
  readCookie,
  setCookie,
} from "../oidc/mod.ts";
import type { Ctx } from "../trust/mod.ts";

/**
 * Whether the browser talks to us over TLS: the request came in over HTTPS (`service.tls`), or
 * the public URL (the issuer, else `public_url`) is `https://` (TLS ends at a proxy in front).
 */
export function underTls(ctx: Ctx): boolean {
  if (ctx.req.url.startsWith("https://")) return true;
  const c = ctx.rt.config;
  return c.issuer.startsWith("https://") || (c.publicUrl?.startsWith("https://") ?? false);
}

/** The value of one of the sign-in cookies, or null. */
export function cookieOf(ctx: Ctx, kind: CookieKind): string | null {
  return readCookie(ctx.req.headers.get("cookie"), kind, underTls(ctx));
}

/** The origins our pages are served from: the public URL's, and the request's own. */
function _origins(ctx: Ctx): string[] {
  const out = [ctx.url.origin];
  for (const u of [ctx.rt.config.issuer, ctx.rt.config.publicUrl]) {
    if (u === undefined || !/^https?:\/\//.test(u)) continue;
    try {
      out.push(new URL(u).origin);
    } catch {
      // not a URL: nothing to add
    }
  }
  return out;
}

/**
 * Whether a form post may come from where its `Origin` says (OWASP's second layer after the CSRF
 * token): absent (older browsers; the token still applies), or one of our own origins. `null`
 * and any other site are refused.
 */
export function sameOrigin(ctx: Ctx): boolean {
  const origin = ctx.req.headers.get("origin");
  return origin === null || _origins(ctx).includes(origin);
}

/** Options of {@link page}. */
export interface PageOptions {
  readonly status?: number;
  /** Where the form's answer may redirect to (the client's redirect URI): CSP `form-action`. */
  readonly formActions?: readonly string[];
  /** `Set-Cookie` values. */
  readonly cookies?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** An HTML page with the sign-in headers (strict CSP, no framing, no caching, no referrer). */
export function page(html: string, options: PageOptions = {}): Response {
  const headers = new Headers({
    ...options.headers,
    ...pageHeaders(
      contentSecurityPolicy(
        options.formActions === undefined ? {} : { formActions: options.formActions },
      ),
    ),
  });
  for (const c of options.cookies ?? []) headers.append("set-cookie", c);
  return new Response(html, { status: options.status ?? 200, headers });
}

/** The error page: never a redirect (RFC 6749 §4.1.2.1). */
export function errorPageResponse(
  status: number,
  error: string,
  message: string,
  cookies: readonly string[] = [],
): Response {
  return page(errorPage({ error, message }), { status, cookies });
}

/**
 * A redirect: 302 after a GET, 303 after a POST (RFC 9110 §15.4.4: the browser follows with a
 * GET). Never cached; the Referer is not sent on (the URL of a code or a state stays ours).
 */
export function redirect(
  location: string,
  afterPost: boolean,
  cookies: readonly string[] = [],
): Response {
  const headers = new Headers({
    location,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
  for (const c of cookies) headers.append("set-cookie", c);
  return new Response(null, { status: afterPost ? 303 : 302, headers });
}

/** `Set-Cookie` for a cookie of this browser connection's security. */
export function cookie(ctx: Ctx, kind: CookieKind, value: string, maxAgeSeconds?: number): string {
  return setCookie(kind, value, {
    secure: underTls(ctx),
    ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
  });
}

/** `Set-Cookie` that deletes a cookie. */
export function noCookie(ctx: Ctx, kind: CookieKind): string {
  return clearCookie(kind, { secure: underTls(ctx) });
}
