/**
 * RP-initiated logout (`GET /end_session`, OpenID Connect RP-Initiated Logout 1.0 §2–§3) with
 * no HTTP: which client asks, where the browser may go afterwards, and whether to ask the person
 * first.
 *
 * - `post_logout_redirect_uri` must be registered for the client identified by `client_id` or by
 *   the `id_token_hint`'s audience, and match exactly (loopback: any port); otherwise the error
 *   page, never a redirect (§3: "the OP MUST NOT perform post-logout redirection").
 * - An `id_token_hint` is verified by the route (signature, issuer; an expired one is accepted,
 *   §2) and handed over as `hint`; an invalid one is an error.
 * - Without a hint naming the current session (or its account), the person is asked to confirm:
 *   a third-party page must not be able to sign anyone out with a link (§2: the OP SHOULD ask).
 *
 * @module
 */

import type { ClientLookup, OidcClient } from "./clients.ts";
import { redirectUriMatches } from "./redirect_uri.ts";

/** A verified `id_token_hint`. */
export interface VerifiedHint {
  readonly sub: string;
  /** `aud` as a list. */
  readonly aud: readonly string[];
  readonly azp?: string;
  readonly sid?: string;
}

/** What to do. */
export type LogoutOutcome =
  | { readonly kind: "error_page"; readonly message: string }
  /** Ask the person; on "yes", sign out and go to `location` (or the signed-out page). */
  | {
    readonly kind: "confirm";
    readonly client: OidcClient | null;
    readonly location: string | null;
  }
  /** Sign out now and go to `location` (or show the signed-out page). */
  | {
    readonly kind: "sign_out";
    readonly client: OidcClient | null;
    readonly location: string | null;
  };

const MAX_STATE = 1024;

/** The post-logout redirect with `state` (RP-Initiated Logout §3). */
export function postLogoutLocation(uri: string, state: string | null): string {
  if (state === null) return uri;
  const q = new URLSearchParams({ state });
  return `${uri}${uri.includes("?") ? "&" : "?"}${q.toString()}`;
}

/** Validate a logout request's parameters. */
export async function validateLogoutRequest(
  params: URLSearchParams,
  options: {
    lookup: ClientLookup;
    /** The verified hint; `"invalid"` when one was sent and failed verification; null if none. */
    hint: VerifiedHint | "invalid" | null;
    /** The browser's current active session, if any. */
    current: { sessionId: string; userId: string } | null;
  },
): Promise<LogoutOutcome> {
  for (const name of ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"]) {
    if (params.getAll(name).length > 1) {
      return { kind: "error_page", message: `${name} is repeated` };
    }
  }
  const { hint } = options;
  if (hint === "invalid") return { kind: "error_page", message: "The id_token_hint is not valid" };
  let clientId = params.get("client_id");
  if (hint !== null) {
    const fromHint = hint.azp ?? (hint.aud.length === 1 ? hint.aud[0] : null);
    if (clientId !== null && !hint.aud.includes(clientId)) {
      return { kind: "error_page", message: "The client_id does not match the id_token_hint" };
    }
    clientId ??= fromHint;
  }
  let client: OidcClient | null = null;
  if (clientId !== null && clientId !== "") {
    client = (await options.lookup(clientId)) ?? null;
    if (client === null) return { kind: "error_page", message: "The client is unknown" };
  }
  const state = params.get("state");
  if (state !== null && state.length > MAX_STATE) {
    return { kind: "error_page", message: "state is too long" };
  }
  let location: string | null = null;
  const uri = params.get("post_logout_redirect_uri");
  if (uri !== null && uri !== "") {
    if (client === null) {
      return {
        kind: "error_page",
        message: "post_logout_redirect_uri needs a client_id or an id_token_hint",
      };
    }
    if (!client.postLogoutRedirectUris.some((r) => redirectUriMatches(r, uri))) {
      return {
        kind: "error_page",
        message: "The post_logout_redirect_uri is not registered for this client",
      };
    }
    location = postLogoutLocation(uri, state === "" ? null : state);
  }
  const cur = options.current;
  if (cur === null) return { kind: "sign_out", client, location };
  const hintNamesSession = hint !== null &&
    (hint.sid !== undefined ? hint.sid === cur.sessionId : hint.sub === cur.userId);
  return hintNamesSession
    ? { kind: "sign_out", client, location }
    : { kind: "confirm", client, location };
}
