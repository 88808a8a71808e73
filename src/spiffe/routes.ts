/**
 * The `/spiffe/v1/*` endpoints:
 *
 * - `POST /spiffe/v1/svid` `{"spiffe_id", "audience", "ttl_seconds"?}` → `{"svid", …}`: a
 *   JWT-SVID from the central issuer, for an authenticated caller whose policy entry lists a
 *   matching `spiffe_ids` pattern (default deny).
 * - `GET /spiffe/v1/bundle`: the SPIFFE bundle (the central issuer's keys only).
 * - `GET /spiffe/v1/spiffile-bundle`: the spiffile bundle document (keys per identity).
 * - `POST /spiffe/v1/verify` `{"token", "audience"}`: PROFILE §4 verification against the
 *   spiffile bundle; `unknown_identity` or `invalid_token` when refused.
 *
 * @module
 */

import { randomJti } from "../claims/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { requireCaller } from "../http/authenticate.ts";
import { readJsonObject } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { json } from "../http/responses.ts";
import { compileGlob, type UserRule, userRule } from "../policy/mod.ts";
import type { SpiffeAuthority } from "./authority.ts";
import { InvalidSpiffeIdError, parseSpiffeId } from "./spiffe_id.ts";
import { SVID_MAX_TTL_SECONDS, svidClaims, SvidError, verifySvid } from "./svid.ts";

function _authority(ctx: RequestContext): SpiffeAuthority {
  const a = ctx.rt.spiffe;
  if (a === undefined) {
    throw new KeypebbleError("not_found", "SPIFFE is not configured on this server");
  }
  return a;
}

function _spiffeIdField(
  body: Record<string, unknown>,
  field: string,
  trustDomain: string,
): string {
  const v = body[field];
  if (Array.isArray(v)) {
    throw new KeypebbleError("invalid_request", `"${field}" must be one SPIFFE ID, not a list`);
  }
  if (typeof v !== "string") {
    throw new KeypebbleError("invalid_request", `"${field}" is required: a SPIFFE ID string`);
  }
  try {
    if (parseSpiffeId(v).trustDomain !== trustDomain) {
      throw new KeypebbleError(
        "invalid_spiffe_id",
        `"${field}" ${quoteForMessage(v)} is not in trust domain "${trustDomain}"`,
      );
    }
  } catch (e) {
    if (e instanceof InvalidSpiffeIdError) {
      throw new KeypebbleError("invalid_spiffe_id", `"${field}": ${e.message}`);
    }
    throw e;
  }
  return v;
}

const _matchers = new WeakMap<UserRule, (id: string) => boolean>();

/** Whether a policy rule lets its holder obtain SVIDs for `id` (globs; default deny). */
export function mayObtainSpiffeId(rule: UserRule | undefined, id: string): boolean {
  if (rule?.spiffeIds === undefined || rule.spiffeIds.length === 0) return false;
  let m = _matchers.get(rule);
  if (m === undefined) {
    const globs = rule.spiffeIds.map((p) => compileGlob(p));
    m = (s: string) => globs.some((g) => g(s));
    _matchers.set(rule, m);
  }
  return m(id);
}

/**
 * The signing adapter: SVIDs are signed by the issuer's own ES256 key through the existing JWS
 * signer, counted like every other token. One function, so it can move to the shared mint path.
 */
export async function mintSvid(
  ctx: RequestContext,
  claims: Record<string, unknown>,
): Promise<string> {
  const signer = _authority(ctx).signer;
  const token = await signer.sign(claims);
  ctx.services.metrics.tokensIssued.labels("svid", signer.alg).inc();
  return token;
}

const SVID_FIELDS = new Set(["spiffe_id", "audience", "ttl_seconds"]);

/** Handle `POST /spiffe/v1/svid`. */
export async function postSvid(ctx: RequestContext): Promise<Response> {
  const authority = _authority(ctx);
  const caller = await requireCaller(ctx);
  const body = await readJsonObject(ctx.req, ctx.rt.config.limits);
  for (const k of Object.keys(body)) {
    if (!SVID_FIELDS.has(k)) {
      throw new KeypebbleError(
        "invalid_request",
        `Field ${quoteForMessage(k, 40)} is not accepted; send spiffe_id, audience, ttl_seconds`,
      );
    }
  }
  const id = _spiffeIdField(body, "spiffe_id", authority.trustDomain);
  const audience = _spiffeIdField(body, "audience", authority.trustDomain);
  const ttl = body.ttl_seconds;
  if (ttl !== undefined && (!Number.isSafeInteger(ttl) || (ttl as number) < 1)) {
    throw new KeypebbleError(
      "invalid_request",
      `"ttl_seconds" must be an integer of at least 1 (capped at ${SVID_MAX_TTL_SECONDS})`,
    );
  }
  const rule = ctx.rt.policy === undefined ? undefined : userRule(ctx.rt.policy, caller.subject);
  if (!mayObtainSpiffeId(rule, id)) {
    throw new KeypebbleError(
      "forbidden",
      `The policy does not let this caller obtain ${quoteForMessage(id)}`,
    );
  }
  // PROFILE §2.1: the issuer's key is bound to the ID before the first SVID for it leaves.
  await authority.ensureBound(id, ctx.services.now());
  const claims = {
    iss: ctx.rt.config.issuer,
    ...svidClaims(id, audience, {
      now: ctx.nowSec,
      ...(ttl === undefined ? {} : { ttlSeconds: ttl as number }),
    }),
    jti: randomJti(),
  };
  const svid = await mintSvid(ctx, claims);
  return json({
    svid,
    spiffe_id: id,
    audience,
    expires_at: claims.exp,
    expires_in: claims.exp - claims.iat,
  });
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
export async function getSpiffeBundle(ctx: RequestContext): Promise<Response> {
  const authority = _authority(ctx);
  const v = await authority.views(ctx.services.now());
  return _bundleResponse(v.spiffeJson, authority, "application/json");
}

/** Handle `GET /spiffe/v1/spiffile-bundle`: the spiffile bundle document. */
export async function getSpiffileBundle(ctx: RequestContext): Promise<Response> {
  const authority = _authority(ctx);
  const v = await authority.views(ctx.services.now());
  return _bundleResponse(v.spiffileJson, authority, "application/json");
}

/** Handle `POST /spiffe/v1/verify`. */
export async function postSvidVerify(ctx: RequestContext): Promise<Response> {
  const authority = _authority(ctx);
  const body = await readJsonObject(ctx.req, ctx.rt.config.limits);
  if (typeof body.token !== "string") {
    throw new KeypebbleError("invalid_request", '"token" is required: a JWT-SVID string');
  }
  const audience = _spiffeIdField(body, "audience", authority.trustDomain);
  const views = await authority.views(ctx.services.now());
  try {
    const v = await verifySvid(body.token, views.bundle, { audience, now: ctx.nowSec });
    return json({ valid: true, spiffe_id: v.spiffeId, claims: v.claims });
  } catch (e) {
    if (e instanceof SvidError) throw new KeypebbleError(e.code, e.message);
    throw e;
  }
}
