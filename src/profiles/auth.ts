/**
 * `POST /auth` and `keypebble issue`: the general-purpose kind. The JSON body holds the claims
 * the caller wants; only those in `allowed_custom_claims` (when set) are considered, reserved
 * claims never are (registered claims are dropped, another kind's claims such as `access` are
 * refused), `aud` only from `profiles.auth.audiences`, and the config's `static_claims` win.
 *
 * A lifetime may be asked for with `ttl_seconds` (body or query); it is clamped to the profile's
 * cap and is not itself signed.
 */

import { filterCustomClaims } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { ProfileRequest, Reply } from "./context.ts";
import { mint } from "./mint.ts";
import { chooseSubject } from "./subject.ts";

/** The authorisation step of `POST /auth`: the subject, per the caller rule. */
export function authorizeAuth(req: ProfileRequest): string | undefined {
  const requested = _accepted(req).sub;
  return req.caller === null
    ? (requested === undefined ? undefined : _subjectString(requested))
    : chooseSubject(req.policy, { caller: req.caller, requested });
}

/** Handle `POST /auth`. */
export async function postAuth(req: ProfileRequest): Promise<Reply> {
  const { ttl_seconds: bodyTtl } = req.json;
  const ttl = parseTtl(bodyTtl ?? req.query.get("ttl_seconds") ?? undefined);
  const accepted = _accepted(req);
  const profile = req.profiles.auth;
  const minted = await mint(profile, {
    now: req.nowSec,
    claims: accepted,
    ...(accepted.aud === undefined ? {} : { audience: accepted.aud as string | string[] }),
    ...(req.subject === undefined ? {} : { subject: req.subject }),
    ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
    source: {
      query: req.query,
      body: req.json,
      ...(req.caller === null ? {} : { caller: req.caller.subject }),
    },
    record: req.recordIssue,
  });
  // `{"token", "claims", "expires_in"}` with the claims as the very JSON that was signed: the
  // same bytes JSON.stringify of the object gives, without serialising the claims twice. A
  // compact JWS is base64url and dots only (RFC 7515 §7.1), so it needs no JSON escaping.
  return {
    jsonText: `{"token":"${minted.token}","claims":${minted.payload},"expires_in":${minted.ttl}}`,
  };
}

function _accepted(req: ProfileRequest): Record<string, unknown> {
  const body = req.json;
  const allowed = req.profiles.auth.allowedCustomClaims;
  // The authorisation step and the handler both ask, one right after the other: the filter is a
  // pure function of the (read-only) body and the allowlist, so the second call reuses the first.
  if (_last !== undefined && _last.body === body && _last.allowed === allowed) {
    return _last.accepted;
  }
  const { accepted } = filterCustomClaims(body, allowed, "ttl_seconds");
  _last = { body, allowed, accepted };
  return accepted;
}

let _last: {
  body: Readonly<Record<string, unknown>>;
  allowed: readonly string[] | undefined;
  accepted: Record<string, unknown>;
} | undefined;

function _subjectString(v: unknown): string {
  if (typeof v !== "string") {
    throw KeypebbleError.answer("invalid_claims", 'Claim "sub" must be a string');
  }
  return v;
}

/**
 * A requested lifetime: a positive integer (number or digit string), or `undefined` for the
 * default. Anything else is a 400.
 */
export function parseTtl(v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 1e9) {
    throw KeypebbleError.answer("invalid_request", '"ttl_seconds" must be a positive integer');
  }
  return n;
}
