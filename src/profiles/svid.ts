/**
 * `POST /spiffe/v1/svid` `{"spiffe_id", "audience", "ttl_seconds"?}` → `{"svid", ...}`: a
 * JWT-SVID from the central issuer (SPIFFE JWT-SVID, spiffile PROFILE §3).
 *
 * - The caller is authenticated (policy user, trusted proxy); the route's authorisation step
 *   lets it obtain only the IDs its policy rule's `spiffe_ids` match (default deny).
 * - `sub` is the requested SPIFFE ID, `aud` one SPIFFE ID of the trust domain (never a list), the
 *   lifetime 60 s by default and at most 300 s; nothing else is accepted in the body, so no other
 *   kind's claim can be asked for.
 * - Signed only through {@link mint} with the `svid` profile: ES256 with the SPIFFE issuer's own
 *   P-256 key, `kid` its RFC 7638 thumbprint, `typ: JWT`, no `x5c`.
 * - PROFILE §2.1: the issuer's key is bound to the ID in the spiffile bundle before the first
 *   SVID for it leaves, so spiffile verifiers (which look keys up per identity) accept it.
 */

import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { spiffeIdAllowed } from "../policy/mod.ts";
import type { SpiffeAuthority } from "../spiffe/authority.ts";
import { InvalidSpiffeIdError, parseSpiffeId } from "../spiffe/spiffe_id.ts";
import { SVID_MAX_TTL_SECONDS } from "../spiffe/svid.ts";
import type { ProfileRequest, Reply } from "./context.ts";
import { mint } from "./mint.ts";

const FIELDS = new Set(["spiffe_id", "audience", "ttl_seconds"]);

function _authority(req: ProfileRequest): SpiffeAuthority {
  if (req.spiffe === undefined || req.profiles.svid === undefined) {
    throw KeypebbleError.answer("not_found", "SPIFFE is not configured on this server");
  }
  return req.spiffe;
}

/** A body field holding one SPIFFE ID of `trustDomain`. */
export function spiffeIdField(
  body: Readonly<Record<string, unknown>>,
  field: string,
  trustDomain: string,
): string {
  const v = body[field];
  if (Array.isArray(v)) {
    throw KeypebbleError.answer("invalid_request", `"${field}" must be one SPIFFE ID, not a list`);
  }
  if (typeof v !== "string") {
    throw KeypebbleError.answer("invalid_request", `"${field}" is required: a SPIFFE ID string`);
  }
  let td: string;
  try {
    td = parseSpiffeId(v).trustDomain;
  } catch (e) {
    if (e instanceof InvalidSpiffeIdError) {
      throw KeypebbleError.answer("invalid_spiffe_id", `"${field}": ${e.message}`);
    }
    throw e;
  }
  if (td !== trustDomain) {
    throw KeypebbleError.answer(
      "invalid_spiffe_id",
      `"${field}" ${quoteForMessage(v)} is not in trust domain "${trustDomain}"`,
    );
  }
  return v;
}

/**
 * The authorisation step of `POST /spiffe/v1/svid`: the body holds only the known fields, and
 * the caller's `spiffe_ids` match the requested ID. Returns that ID, the token's `sub`.
 */
export function authorizeSvid(req: ProfileRequest): string {
  const authority = _authority(req);
  for (const k of Object.keys(req.json)) {
    if (!FIELDS.has(k)) {
      throw KeypebbleError.answer(
        "invalid_request",
        `Field ${quoteForMessage(k, 40)} is not accepted; send spiffe_id, audience, ttl_seconds`,
      );
    }
  }
  const id = spiffeIdField(req.json, "spiffe_id", authority.trustDomain);
  // Anonymous only where `anonymous: [svid]` opened it: then the policy's "*" entry decides.
  const user = req.caller?.subject;
  if (req.policy === undefined || !spiffeIdAllowed(req.policy, user, id)) {
    throw KeypebbleError.answer(
      "forbidden",
      `The policy does not let this caller obtain ${quoteForMessage(id)}`,
    );
  }
  return id;
}

/** Handle `POST /spiffe/v1/svid` (after {@link authorizeSvid}). */
export async function postSvid(req: ProfileRequest): Promise<Reply> {
  const authority = _authority(req);
  const id = req.subject!;
  const audience = spiffeIdField(req.json, "audience", authority.trustDomain);
  const ttl = req.json.ttl_seconds;
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || (ttl as number) < 1)) {
    throw KeypebbleError.answer(
      "invalid_request",
      `"ttl_seconds" must be an integer of at least 1 (capped at ${SVID_MAX_TTL_SECONDS})`,
    );
  }
  // PROFILE §2.1: the issuer's key is bound to the ID before the first SVID for it leaves.
  await authority.ensureBound(id, req.nowSec * 1000);
  const minted = await mint(req.profiles.svid!, {
    now: req.nowSec,
    subject: id,
    audience,
    ...(ttl === undefined ? {} : { ttlSeconds: ttl as number }),
    record: req.recordIssue,
  });
  return {
    json: {
      svid: minted.token,
      spiffe_id: id,
      audience,
      expires_at: minted.claims.exp,
      expires_in: minted.ttl,
    },
  };
}
