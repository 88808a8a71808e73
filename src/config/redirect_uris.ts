/**
 * The rules for a registered redirect URI (and post-logout redirect URI) of an OpenID Connect
 * client, shared by the config reader and the admin API:
 *
 * - absolute, `https`, or `http` on a loopback IP literal for native apps (RFC 8252 §7.3:
 *   `http://127.0.0.1` or `http://[::1]`, any port at use; `localhost` is refused, §8.3);
 * - no fragment (RFC 6749 §3.1.2), no wildcard (OAuth 2.1 §2.3.1: exact string match), no
 *   user name or password, no spaces or control characters, at most 2048 characters;
 * - written in canonical form (what URL parsing gives back), since matching compares strings
 *   exactly: `https://App.Example` is refused with `https://app.example/` suggested.
 *
 * @module
 */

/** The longest redirect URI accepted. */
export const MAX_REDIRECT_URI_LENGTH = 2048;

/** Whether `hostname` (as URL parsing gives it) is a loopback IP literal of RFC 8252 §7.3. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "[::1]";
}

/**
 * The problem with `uri` as a registered redirect URI, or null when it is acceptable. The
 * problem is a phrase to follow the field's name ("must be …").
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_REDIRECT_URI_LENGTH) {
    return `must be 1 to ${MAX_REDIRECT_URI_LENGTH} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return "must not contain spaces or control characters";
  if (uri.includes("#")) return "must not contain a fragment (#)";
  if (uri.includes("*")) return "must not contain a wildcard (*): redirect URIs match exactly";
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "must be an absolute URL";
  }
  if (u.username !== "" || u.password !== "") return "must not contain a user name or password";
  if (u.protocol === "http:") {
    if (u.hostname === "localhost") {
      return 'must use "http://127.0.0.1" or "http://[::1]" rather than "localhost" (RFC 8252 §8.3)';
    }
    if (!isLoopbackHost(u.hostname)) {
      return 'must be "https://", or "http://" on the loopback address 127.0.0.1 or [::1]';
    }
  } else if (u.protocol !== "https:") {
    return 'must be "https://", or "http://" on the loopback address 127.0.0.1 or [::1]';
  }
  if (u.href !== uri) return `must be written in canonical form: "${u.href}"`;
  return null;
}
