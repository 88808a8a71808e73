/**
 * `POST /command/token` and `keypebble command`: a token that authorises one command on one
 * target, as in the Python Keypebble. `target` becomes `aud`, `user` becomes `sub`, the command is
 * signed verbatim, and a fresh random `jti` is returned beside the token so the runner can refuse
 * replays.
 */

import { clampTtl, randomJti, registeredClaims } from "../claims/mod.ts";
import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { readJsonObject } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { rfc3339, signAccessToken } from "../http/issue.ts";
import { json } from "../http/responses.ts";
import { optionalCaller, requireCaller } from "../http/authenticate.ts";
import { parseTtl } from "./auth.ts";
import { chooseSubject } from "./subject.ts";

/** A validated command-token request. */
export interface CommandRequest {
  readonly user: string;
  readonly target: string;
  readonly command: string;
  readonly ttlSeconds?: number;
}

/** The claims of a command token (pure: clock and jti are parameters). */
export function commandClaims(
  config: Config,
  req: CommandRequest & { now: number; jti: string },
): { claims: Record<string, unknown>; ttl: number } {
  const { now, jti } = req;
  const ttl = clampTtl(req.ttlSeconds, {
    defaultTtl: config.defaultTtlSeconds,
    maxTtl: config.maxTtlSeconds,
  });
  return {
    ttl,
    // static_claims as on every kind in the Python Keypebble, under this kind's own claims.
    claims: {
      ...config.staticClaims,
      aud: req.target,
      sub: req.user,
      command: req.command,
      ...registeredClaims({ issuer: config.issuer, now, ttlSeconds: ttl, jti }),
    },
  };
}

/** Check the fields of a command request body. */
export function validateCommandFields(body: Record<string, unknown>): {
  target: string;
  command: string;
  ttlSeconds?: number;
} {
  const target = body.target;
  if (typeof target !== "string" || target.trim() === "" || target.length > 256) {
    throw new KeypebbleError(
      "invalid_request",
      '"target" is required: a string of 1 to 256 characters',
    );
  }
  const command = body.command;
  if (typeof command !== "string" || command.trim() === "" || command.length > 8192) {
    throw new KeypebbleError(
      "invalid_request",
      '"command" is required: a string of 1 to 8192 characters',
    );
  }
  // `expirationSeconds` is the Python Keypebble's name for the lifetime asked for.
  const ttlSeconds = parseTtl(body.ttl_seconds ?? body.expirationSeconds);
  return { target, command, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) };
}

/** Handle `POST /command/token`. */
export async function postCommandToken(ctx: RequestContext): Promise<Response> {
  const { config } = ctx.rt;
  const caller = config.requireAuth.command ? await requireCaller(ctx) : await optionalCaller(ctx);
  const body = await readJsonObject(ctx.req, config.limits);
  const fields = validateCommandFields(body);
  const user = chooseSubject(ctx, {
    caller: config.requireAuth.command ? caller : null,
    requested: body.user,
    fallback: "anonymous",
  })!;
  const jti = randomJti();
  const { claims, ttl } = commandClaims(config, { ...fields, user, now: ctx.nowSec, jti });
  const token = await signAccessToken(ctx, { kind: "command", claims });
  return json({ token, jti, expires_in: ttl, issued_at: rfc3339(ctx.nowSec) });
}
