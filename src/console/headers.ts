/**
 * Response headers of the console and the API reference: a strict Content-Security-Policy (CSP
 * Level 3) under which only our own bundled script and stylesheet run — no inline script or
 * style, no `eval`, no `unsafe-*` source, nothing from another origin, no framing — plus Trusted
 * Types (Chromium): the pages build their DOM from nodes and text, never from HTML strings, so
 * any assignment of a string to `innerHTML` and the like is refused by the browser.
 *
 * @module
 */

/**
 * The policy of `/console` and `/docs`. `connect-src 'self'`: the pages call this server's API
 * and nothing else (the token inspector verifies against our own `/.well-known/jwks.json`).
 * `form-action 'none'`: forms are handled by script, never submitted by the browser.
 */
export const CONSOLE_CSP: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** Headers of an HTML page of the console or the API reference. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": CONSOLE_CSP,
  // For browsers without frame-ancestors (RFC 7034).
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // The page is a shell naming content-hashed assets: revalidate so a new build is picked up.
  "cache-control": "no-cache",
};

/** Headers of a built asset: its name carries its content hash, so it never changes. */
export function assetHeaders(type: string): Record<string, string> {
  return {
    "content-type": type,
    "content-security-policy": CONSOLE_CSP,
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "public, max-age=31536000, immutable",
  };
}
