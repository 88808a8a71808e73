/**
 * Matching a presented redirect URI against a client's registered ones: exact string comparison
 * (OAuth 2.1 §2.3.1, RFC 9700 §2.1: no prefix, no pattern, no normalisation), except that for a
 * registered loopback URI (`http://127.0.0.1…` or `http://[::1]…`) the port is ignored and
 * everything else must still be identical (RFC 8252 §7.3: native apps listen on an ephemeral
 * port chosen at run time).
 *
 * @module
 */

/** `http://127.0.0.1` or `http://[::1]`, an optional port, then the rest (path, query). */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?([/?][^#]*)?$/;

function _loopbackParts(uri: string): { host: string; port: number | null; rest: string } | null {
  const m = LOOPBACK.exec(uri);
  if (m === null) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535 || m[2].startsWith("0"))) return null;
  // `http://127.0.0.1` and `http://127.0.0.1/` are the same resource (RFC 3986 §6.2.3).
  return { host: m[1], port, rest: m[3] === undefined || m[3] === "" ? "/" : m[3] };
}

/** Whether `presented` matches `registered` (exactly, or loopback with any port). */
export function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  const r = _loopbackParts(registered);
  if (r === null) return false;
  const p = _loopbackParts(presented);
  return p !== null && p.host === r.host && p.rest === r.rest;
}

/**
 * The registered URI that `presented` matches, or null. The presented string (with its port) is
 * what the browser is sent to, and what the token request must repeat.
 */
export function findRedirectUri(registered: readonly string[], presented: string): string | null {
  for (const r of registered) if (redirectUriMatches(r, presented)) return r;
  return null;
}
