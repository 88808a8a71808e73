/**
 * `POST /command/token` and `keypebble command`: a token that authorises one command on one
 * target, as in the Python Keypebble. `target` becomes `aud` (never a registry service or
 * another kind's audience; only `profiles.command.audiences` when that is set), `user` becomes
 * `sub` (the caller, when authentication is on), the command is signed verbatim, and the `jti`
 * is returned beside the token so the runner can refuse replays. `typ` is `kp-command+jwt`.
 */

import type { ClaimContext } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { ProfileRequest, Reply } from "./context.ts";
import { rfc3339 } from "./context.ts";
import { parseTtl } from "./auth.ts";
import { type IssueRecorder, mint, type Minted } from "./mint.ts";
import type { Profile } from "./resolve.ts";
import { chooseSubject } from "./subject.ts";

/** A validated command-token request. */
export interface CommandFields {
  readonly target: string;
  readonly command: string;
  readonly ttlSeconds?: number;
}

/** Check the fields of a command request body. */
export function validateCommandFields(body: Readonly<Record<string, unknown>>): CommandFields {
  const target = body.target;
  if (typeof target !== "string" || target.trim() === "" || target.length > 256) {
    throw KeypebbleError.answer(
      "invalid_request",
      '"target" is required: a string of 1 to 256 characters',
    );
  }
  const command = body.command;
  if (typeof command !== "string" || command.trim() === "" || command.length > 8192) {
    throw KeypebbleError.answer(
      "invalid_request",
      '"command" is required: a string of 1 to 8192 characters',
    );
  }
  // `expirationSeconds` is the Python Keypebble's name for the lifetime asked for.
  const ttlSeconds = parseTtl(body.ttl_seconds ?? body.expirationSeconds);
  return { target, command, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) };
}

/** Mint a command token (the server route and the CLI both come here). */
export function mintCommand(
  profile: Profile,
  input: CommandFields & {
    user: string;
    now: number;
    source?: ClaimContext;
    record: IssueRecorder;
  },
): Promise<Minted> {
  return mint(profile, {
    record: input.record,
    now: input.now,
    subject: input.user,
    audience: input.target,
    own: { command: input.command },
    ...(input.ttlSeconds === undefined ? {} : { ttlSeconds: input.ttlSeconds }),
    ...(input.source === undefined ? {} : { source: input.source }),
  });
}

/** The authorisation step of `POST /command/token`: `user`, per the caller rule. */
export function authorizeCommand(req: ProfileRequest): string {
  return chooseSubject(req.policy, {
    caller: req.caller,
    requested: req.json.user,
    fallback: "anonymous",
  })!;
}

/** Handle `POST /command/token`. */
export async function postCommandToken(req: ProfileRequest): Promise<Reply> {
  const fields = validateCommandFields(req.json);
  const minted = await mintCommand(req.profiles.command, {
    ...fields,
    user: req.subject ?? "anonymous",
    now: req.nowSec,
    source: {
      query: req.query,
      body: req.json,
      ...(req.caller === null ? {} : { caller: req.caller.subject }),
    },
    record: req.recordIssue,
  });
  return {
    json: {
      token: minted.token,
      jti: minted.jti,
      expires_in: minted.ttl,
      issued_at: rfc3339(req.nowSec),
    },
  };
}
