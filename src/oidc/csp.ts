/**
 * Response headers of the sign-in pages: a strict Content-Security-Policy (no script at all,
 * styles only from our own stylesheet, forms posting only to us and to the redirect origins a
 * flow is about to send the browser to), no framing, no referrer, no caching.
 *
 * @module
 */

/**
 * The origin (`scheme://host[:port]`) of an absolute http(s) URL as a CSP source expression, or
 * null when it is not one. A loopback redirect (RFC 8252 §7.3) may use any port, so its source
 * is `http://127.0.0.1:*` or `http://[::1]:*`.
 */
export function cspSourceOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return null;
  // The parsed origin holds only scheme, host and port: nothing that can end a directive.
  if (!/^https?:\/\/[A-Za-z0-9.\-[\]:]+$/.test(u.origin)) return null;
  if (u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "[::1]")) {
    return `http://${u.hostname}:*`;
  }
  return u.origin;
}

/**
 * The policy of every sign-in page (CSP Level 3):
 * `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' …;
 * frame-ancestors 'none'; base-uri 'none'`.
 *
 * `formActions` are the URLs a form's answer may redirect to (browsers apply `form-action` to
 * the redirects that follow a submission): the client's registered redirect URI on the consent
 * and login pages, the post-logout URI on the sign-out page. Only their origins are listed;
 * anything that is not an absolute http(s) URL is left out.
 */
export function contentSecurityPolicy(options: { formActions?: readonly string[] } = {}): string {
  const extra = new Set<string>();
  for (const u of options.formActions ?? []) {
    const src = cspSourceOf(u);
    if (src !== null) extra.add(src);
  }
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    ["form-action 'self'", ...extra].join(" "),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

/** Headers for an HTML sign-in page answered with `csp`. */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": csp,
    // For browsers without frame-ancestors (RFC 7034).
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // No Referer leaves for another site (the authorization request's URL stays ours). Not
    // `no-referrer`: under it browsers send `Origin: null` with the pages' own form posts, and
    // the Origin check (`checkOrigin`) needs the real one.
    "referrer-policy": "same-origin",
    // Pages carry CSRF tokens and one-time secrets: never stored (RFC 9111 §5.2.2.5).
    "cache-control": "no-store",
  };
}
