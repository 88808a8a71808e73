/**
 * What happens after a valid authorization request, given the browser's session: show the login
 * page, the forced password change, TOTP enrolment, the consent page, issue a code, or (with
 * `prompt=none`, which forbids any page) send an error back (OpenID Connect Core §3.1.2.3,
 * §3.1.2.4, §3.1.2.6). No HTTP and no store: the route gathers the facts and acts on the answer.
 *
 * @module
 */

import type { OidcSessionRecord, UserRecord } from "../store/mod.ts";
import type { AuthorizationRequest, AuthorizeErrorCode } from "./authorize.ts";
import type { SessionStatus } from "./sessions.ts";

/** The facts the decision needs. */
export interface InteractionFacts {
  readonly status: SessionStatus;
  readonly session?: OidcSessionRecord;
  readonly user?: UserRecord;
  readonly now: number;
  /** The session was made by this very request (the login form's POST). */
  readonly authenticatedNow: boolean;
  /** The account must use a second factor (enrolled, required by role or by account). */
  readonly secondFactorRequired: boolean;
  /** The account has a confirmed TOTP secret. */
  readonly totpEnrolled: boolean;
  /** `consent=allow` was posted for this request. */
  readonly consentGiven: boolean;
  /** The `sub` of a verified `id_token_hint`, when one was sent. */
  readonly hintSubject?: string;
}

/** The next step. */
export type Interaction =
  | {
    readonly kind: "login";
    readonly reason: "no_session" | "prompt_login" | "max_age" | "hint_mismatch" | "second_factor";
  }
  | { readonly kind: "password_change" }
  | { readonly kind: "totp_enrol" }
  | { readonly kind: "consent" }
  | { readonly kind: "issue_code" }
  | {
    readonly kind: "error";
    readonly error: Extract<
      AuthorizeErrorCode,
      "login_required" | "consent_required" | "interaction_required"
    >;
    readonly description: string;
  };

/** Decide the next step for `request`. */
export function decideInteraction(request: AuthorizationRequest, f: InteractionFacts): Interaction {
  const silent = request.prompt.has("none");
  const login = (reason: Extract<Interaction, { kind: "login" }>["reason"]): Interaction =>
    silent
      ? { kind: "error", error: "login_required", description: "The user is not signed in" }
      : { kind: "login", reason };
  const interact = (then: Interaction, what: string): Interaction =>
    silent ? { kind: "error", error: "interaction_required", description: what } : then;

  if (f.status !== "active" || f.session === undefined || f.user === undefined) {
    return login("no_session");
  }
  if (request.prompt.has("login") && !f.authenticatedNow) return login("prompt_login");
  if (
    request.maxAge !== null && !f.authenticatedNow &&
    f.now - f.session.authTime > request.maxAge
  ) {
    return login("max_age");
  }
  if (f.hintSubject !== undefined && f.hintSubject !== f.user.id) return login("hint_mismatch");
  if (f.user.mustChangePassword) {
    return interact({ kind: "password_change" }, "The password must be changed first");
  }
  if (f.secondFactorRequired && !f.session.amr.includes("otp")) {
    // A session from before the requirement (or before enrolment) is not enough.
    if (f.totpEnrolled) return login("second_factor");
    return interact({ kind: "totp_enrol" }, "A second factor must be set up first");
  }
  const needsConsent = !request.client.firstParty || request.prompt.has("consent");
  if (needsConsent && !f.consentGiven) {
    return silent
      ? { kind: "error", error: "consent_required", description: "The user has not consented" }
      : { kind: "consent" };
  }
  return { kind: "issue_code" };
}
