/**
 * CSRF protection of the sign-in forms: a token bound to the browser, checked on every POST.
 *
 * The choice: an HMAC-bound ("signed double-submit") token. The token is
 * `BASE64URL(HMAC-SHA-256(k_csrf, purpose ‖ 0 ‖ binding))`, where `binding` is the value of an
 * `HttpOnly`, `SameSite=Lax` cookie (the login-transaction cookie before sign-in, the session
 * cookie after) and `k_csrf` is derived from the store pepper (`keys.ts`). A forged cross-site
 * POST carries neither the cookie (SameSite) nor a token that matches it (the attacker cannot
 * read our pages, nor compute an HMAC without the key, nor plant a cookie under the `__Host-`
 * prefix). Why not a token stored server-side: this needs no store write for an anonymous
 * visitor (bots cannot grow the database by loading the login page) and works on every instance
 * of a fleet, which share the pepper. The `purpose` keeps a token of one form from being replayed
 * on another (a login token on the consent form). `checkOrigin` adds the `Origin` check OWASP
 * recommends as a second layer.
 *
 * The second-factor ticket lives here too: after the password is right and before the code is,
 * the form carries a short-lived ticket, MACed with the same key under its own purpose and bound
 * to the same cookie, naming the account, so the password is never asked for (or kept) twice.
 *
 * @module
 */

import { b64uDecode, b64uEncode } from "../jose/base64url.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import type { OidcKeys } from "./keys.ts";

/** The forms that carry a token. */
export type CsrfPurpose =
  | "login"
  | "second_factor"
  | "password_change"
  | "consent"
  | "totp_enrol"
  | "logout";

/** Name of the hidden input that carries the token. */
export const CSRF_FIELD = "csrf_token";

const _enc = new TextEncoder();

function _mac(keys: OidcKeys, purpose: string, binding: string): Uint8Array {
  return keys.csrf.sign(_enc.encode(`${purpose}\u0000${binding}`));
}

/** The CSRF token of form `purpose` for the browser holding cookie value `binding`. */
export function csrfToken(keys: OidcKeys, binding: string, purpose: CsrfPurpose): string {
  if (binding === "") throw new TypeError("A CSRF token needs a browser binding");
  return b64uEncode(_mac(keys, `csrf:${purpose}`, binding));
}

/**
 * Whether `presented` is the token of `purpose` for `binding`. A missing binding (no cookie) or
 * token is false; the comparison is constant time.
 */
export function checkCsrf(
  keys: OidcKeys,
  binding: string | null,
  purpose: CsrfPurpose,
  presented: string | null,
): boolean {
  if (binding === null || binding === "" || presented === null || presented.length !== 43) {
    return false;
  }
  return timingSafeEqual(_enc.encode(csrfToken(keys, binding, purpose)), _enc.encode(presented));
}

/**
 * Whether a POST's `Origin` header allows it: absent (older browsers and non-browser clients;
 * the token still applies), or exactly our public origin. `null` (a sandboxed or privacy-
 * redirected context) and any other origin are refused.
 */
export function checkOrigin(originHeader: string | null, ourOrigin: string): boolean {
  if (originHeader === null) return true;
  return originHeader === ourOrigin;
}

/** What a second-factor ticket says. */
export interface MfaTicket {
  readonly userId: string;
  /** Seconds since the epoch after which the ticket is refused. */
  readonly exp: number;
}

/** Lifetime of a second-factor ticket: time to open the app and type a code. */
export const MFA_TICKET_SECONDS = 300;

/** A ticket saying `userId` gave the right password, for the browser holding `binding`. */
export function mfaTicket(
  keys: OidcKeys,
  binding: string,
  ticket: { userId: string; now: number },
): string {
  const body = b64uEncode(
    JSON.stringify({ u: ticket.userId, e: ticket.now + MFA_TICKET_SECONDS }),
  );
  return `${body}.${b64uEncode(_mac(keys, "mfa_ticket", `${binding}\u0000${body}`))}`;
}

/** The ticket's content when it is authentic, for this browser and not expired; else null. */
export function readMfaTicket(
  keys: OidcKeys,
  binding: string | null,
  ticket: string | null,
  now: number,
): MfaTicket | null {
  if (binding === null || ticket === null || ticket.length > 1024) return null;
  const dot = ticket.indexOf(".");
  if (dot < 0) return null;
  const body = ticket.slice(0, dot);
  const want = b64uEncode(_mac(keys, "mfa_ticket", `${binding}\u0000${body}`));
  if (!timingSafeEqual(_enc.encode(want), _enc.encode(ticket.slice(dot + 1)))) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(b64uDecode(body)));
  } catch {
    return null;
  }
  const p = parsed as { u?: unknown; e?: unknown };
  if (typeof p.u !== "string" || typeof p.e !== "number" || now > p.e) return null;
  return { userId: p.u, exp: p.e };
}
