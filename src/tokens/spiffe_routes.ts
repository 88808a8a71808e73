/**
 * The `/spiffe/v1/*` endpoints that mint nothing (`POST /spiffe/v1/svid` is the `svid` profile's
 * route, `src/profiles/svid.ts`):
 *
 * - `GET /spiffe/v1/bundle`: the SPIFFE bundle (the central issuer's keys only).
 * - `GET /spiffe/v1/spiffile-bundle`: the spiffile bundle document (keys per identity).
 * - `POST /spiffe/v1/verify` `{"token", "audience"}`: PROFILE §4 verification against the
 *   spiffile bundle; `unknown_identity` or `invalid_token` when refused.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { spiffeIdField } from "../profiles/svid.ts";
import type { SpiffeAuthority } from "../spiffe/authority.ts";
import { SvidError, verifySvid } from "../spiffe/svid.ts";
import { json } from "../http/mod.ts";
import type { Ctx } from "../trust/mod.ts";

function _authority(ctx: Ctx): SpiffeAuthority {
  const a = ctx.rt.spiffe;
  if (a === undefined) {
    throw KeypebbleError.answer("not_found", "SPIFFE is not configured on this server");
  }
  return a;
}

function _bundleResponse(body: string, authority: SpiffeAuthority, type: string): Response {
  return new Response(body, {
    headers: {
      "content-type": type,
      // The refresh hint is how often consumers should poll; cache no longer than that.
      "cache-control": `public, max-age=${authority.refreshHintSeconds}`,
    },
  });
}

/** Handle `GET /spiffe/v1/bundle`: the SPIFFE bundle of the central issuer's keys. */
export async function getSpiffeBundle(ctx: Ctx): Promise<Response> {
  const authority = _authority(ctx);
  const v = await authority.views(ctx.services.now());
  return _bundleResponse(v.spiffeJson, authority, "application/json");
}

/** Handle `GET /spiffe/v1/spiffile-bundle`: the spiffile bundle document. */
export async function getSpiffileBundle(ctx: Ctx): Promise<Response> {
  const authority = _authority(ctx);
  const v = await authority.views(ctx.services.now());
  return _bundleResponse(v.spiffileJson, authority, "application/json");
}

/** Handle `POST /spiffe/v1/verify`. */
export async function postSvidVerify(ctx: Ctx): Promise<Response> {
  const authority = _authority(ctx);
  const body = ctx.json;
  if (typeof body.token !== "string") {
    throw KeypebbleError.answer("invalid_request", '"token" is required: a JWT-SVID string');
  }
  const audience = spiffeIdField(body, "audience", authority.trustDomain);
  const views = await authority.views(ctx.services.now());
  try {
    const v = await verifySvid(body.token, views.bundle, { audience, now: ctx.nowSec });
    return json({ valid: true, spiffe_id: v.spiffeId, claims: v.claims });
  } catch (e) {
    if (e instanceof SvidError) throw KeypebbleError.answer(e.code, e.message);
    throw e;
  }
}
