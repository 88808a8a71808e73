/**
 * The sign-in cookies: the session cookie (after sign-in) and the login-transaction cookie
 * (before it, binding the CSRF token of the login form). Both are `HttpOnly` (no script reads
 * them), `SameSite=Lax` (not sent on cross-site POSTs, still sent on the top-level GET a relying
 * party redirects to /authorize with), `Path=/`, and under TLS `Secure` with the `__Host-` prefix
 * (RFC 6265bis §4.1.3.2: no `Domain`, so a sibling subdomain cannot plant or overwrite them).
 *
 * @module
 */

import { b64uEncode } from "../jose/base64url.ts";

/** Which cookie. */
export type CookieKind = "session" | "login";

/** The cookie's name: `__Host-kp_session` under TLS, `kp_session` on plain HTTP (dev, loopback). */
export function cookieName(kind: CookieKind, secure: boolean): string {
  const base = kind === "session" ? "kp_session" : "kp_login";
  return secure ? `__Host-${base}` : base;
}

/** A fresh opaque cookie value: 256 random bits, base64url. */
export function newCookieValue(): string {
  return b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * A `Set-Cookie` value. `maxAgeSeconds` 0 deletes the cookie; absent, the cookie ends with the
 * browser session.
 */
export function setCookie(
  kind: CookieKind,
  value: string,
  options: { secure: boolean; maxAgeSeconds?: number },
): string {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) throw new TypeError("Cookie values are base64url");
  const parts = [`${cookieName(kind, options.secure)}=${value}`, "Path=/", "HttpOnly"];
  parts.push("SameSite=Lax");
  if (options.secure) parts.push("Secure");
  if (options.maxAgeSeconds !== undefined) {
    parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  }
  return parts.join("; ");
}

/** The `Set-Cookie` value that deletes a cookie. */
export function clearCookie(kind: CookieKind, options: { secure: boolean }): string {
  return setCookie(kind, "", { secure: options.secure, maxAgeSeconds: 0 });
}

/**
 * The value of cookie `kind` in a `Cookie` header, or null. Only a well-formed value (43
 * base64url characters) counts; with several cookies of that name the first wins (RFC 6265
 * §5.4: the most specific path comes first, and ours is `/`, so a planted one cannot shadow it
 * under the `__Host-` prefix).
 */
export function readCookie(
  header: string | null,
  kind: CookieKind,
  secure: boolean,
): string | null {
  if (header === null) return null;
  const name = cookieName(kind, secure);
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
  }
  return null;
}
