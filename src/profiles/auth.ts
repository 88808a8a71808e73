/**
 * `POST /auth`: a general-purpose token. The JSON body holds the claims the caller wants; only
 * those in `allowed_custom_claims` (when set) are signed, registered claims never are, and the
 * config's `static_claims` win over the request.
 *
 * A lifetime may be asked for with `ttl_seconds` (body or query); it is clamped to
 * `max_ttl_seconds` and is not itself signed.
 */

import { clampTtl, filterCustomClaims, randomJti, registeredClaims } from "../claims/mod.ts";
import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { readJsonObject } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { signAccessToken } from "../http/issue.ts";
import { json } from "../http/responses.ts";
import { optionalCaller, requireCaller } from "../http/authenticate.ts";
import { chooseSubject } from "./subject.ts";

/** Handle `POST /auth`. */
export async function postAuth(ctx: RequestContext): Promise<Response> {
  const { config } = ctx.rt;
  const caller = config.requireAuth.auth ? await requireCaller(ctx) : await optionalCaller(ctx);
  const body = await readJsonObject(ctx.req, config.limits);
  const { ttl_seconds: bodyTtl, ...requested } = body;
  const ttl = clampTtl(
    parseTtl(bodyTtl ?? ctx.url.searchParams.get("ttl_seconds") ?? undefined),
    { defaultTtl: config.defaultTtlSeconds, maxTtl: config.maxTtlSeconds },
  );
  const { accepted } = filterCustomClaims(requested, config.allowedCustomClaims);
  const sub = config.requireAuth.auth
    ? chooseSubject(ctx, { caller, requested: accepted.sub })
    : accepted.sub;
  const claims = authClaims(config, {
    accepted: { ...accepted, ...(sub === undefined ? {} : { sub }) },
    now: ctx.nowSec,
    ttl,
    jti: randomJti(),
  });
  const token = await signAccessToken(ctx, { kind: "auth", claims });
  return json({ token, claims, expires_in: ttl });
}

/**
 * The claims of an /auth token (also `keypebble issue`): default `aud`, the accepted request
 * claims, `static_claims` over them, and the registered claims over everything.
 */
export function authClaims(
  config: Config,
  input: { accepted: Readonly<Record<string, unknown>>; now: number; ttl: number; jti: string },
): Record<string, unknown> {
  return {
    ...(config.audience === undefined ? {} : { aud: config.audience }),
    ...input.accepted,
    ...config.staticClaims,
    ...registeredClaims({
      issuer: config.issuer,
      now: input.now,
      ttlSeconds: input.ttl,
      jti: input.jti,
    }),
  };
}

/**
 * A requested lifetime: a positive integer (number or digit string), or `undefined` for the
 * default. Anything else is a 400.
 */
export function parseTtl(v: unknown): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 1e9) {
    throw new KeypebbleError("invalid_request", '"ttl_seconds" must be a positive integer');
  }
  return n;
}
