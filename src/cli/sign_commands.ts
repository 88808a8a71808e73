/**
 * `keypebble issue` and `keypebble command`: sign a token from the command line with the same
 * claim rules as the server's /auth and /command/token.
 */

import { clampTtl, filterCustomClaims, randomJti } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { generateAccess } from "../policy/mod.ts";
import { authClaims, parseTtl } from "../profiles/auth.ts";
import { commandClaims, validateCommandFields } from "../profiles/command.ts";
import { loadRuntime } from "../runtime/mod.ts";
import { intFlag, type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";

/** `issue --config F [--claims JSON] [--ttl N] [--policy F --generate --user U]`. */
export async function issueCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const policyPath = stringFlag(args, "policy");
  const rt = await loadRuntime(platform, configPath, {
    overrides: policyPath === undefined ? {} : { policyPath },
    generation: 1,
  });
  let requested: Record<string, unknown> = {};
  const raw = stringFlag(args, "claims");
  if (raw !== undefined) {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new UsageError('Option "--claims" must be a JSON object');
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new UsageError('Option "--claims" must be a JSON object');
    }
    requested = v as Record<string, unknown>;
  }
  // As in a POST /auth body: "ttl_seconds" asks for a lifetime and is not itself signed.
  const { ttl_seconds: claimsTtl, ...rest } = requested;
  requested = rest;
  let askedTtl: number | undefined;
  try {
    askedTtl = intFlag(args, "ttl", { min: 1, max: 1e9 }) ?? parseTtl(claimsTtl);
  } catch (e) {
    if (e instanceof KeypebbleError) throw new UsageError(e.message);
    throw e;
  }
  const { accepted, dropped } = filterCustomClaims(requested, rt.config.allowedCustomClaims);
  if (dropped.length > 0) {
    platform.stderr(`warning: not signed (server-set or not allowed): ${dropped.join(", ")}\n`);
  }
  const user = stringFlag(args, "user");
  if (user !== undefined) accepted.sub = user;
  // `--policy FILE --user NAME` generates access as the Python Keypebble's issue did.
  if (args.flags.generate === true || (policyPath !== undefined && user !== undefined)) {
    if (rt.policy === undefined) {
      throw new UsageError('"--generate" needs a policy: pass "--policy FILE" or set policy_path');
    }
    const sub = accepted.sub;
    if (typeof sub !== "string") throw new UsageError('"--generate" needs "--user NAME"');
    const generated = generateAccess(rt.policy, sub);
    accepted.access = generated.access;
    accepted.scope = generated.scope;
  }
  const now = Math.floor(Date.now() / 1000);
  if (policyPath !== undefined && user === undefined) {
    throw new UsageError('"--policy" needs "--user NAME": access is generated for that user');
  }
  const ttl = clampTtl(askedTtl, {
    defaultTtl: rt.config.defaultTtlSeconds,
    maxTtl: rt.config.maxTtlSeconds,
  });
  const claims = authClaims(rt.config, { accepted, now, ttl, jti: randomJti() });
  platform.stdout((await rt.keyring.signer.sign(claims)) + "\n");
  return 0;
}

/** `command --config F --target T --command C [--user U] [--ttl N]`. */
export async function commandCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const rt = await loadRuntime(platform, configPath, { generation: 1 });
  let fields;
  try {
    fields = validateCommandFields({
      target: requireFlag(args, "target"),
      command: requireFlag(args, "command"),
      ...(stringFlag(args, "ttl") === undefined ? {} : { ttl_seconds: stringFlag(args, "ttl") }),
    });
  } catch (e) {
    if (e instanceof KeypebbleError) throw new UsageError(e.message);
    throw e;
  }
  // As in the Python Keypebble, the CLI's default user is the issuer itself.
  const user = stringFlag(args, "user") ?? rt.config.issuer;
  const jti = randomJti();
  const { claims, ttl } = commandClaims(rt.config, {
    ...fields,
    user,
    now: Math.floor(Date.now() / 1000),
    jti,
  });
  const token = await rt.keyring.signer.sign(claims);
  if (args.flags.json === true) {
    platform.stdout(JSON.stringify({ token, jti, expires_in: ttl }) + "\n");
  } else {
    platform.stdout(token + "\n");
  }
  return 0;
}
