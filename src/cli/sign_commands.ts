/**
 * `keypebble issue` and `keypebble command`: sign a token from the command line with the same
 * claim rules as the server's /auth and /command/token. Each token is a `token.issued` audit
 * event (the local user as actor: src/cli/cli_audit.ts), stored before the token is printed when
 * the config has a store.
 */

import { filterCustomClaims } from "../claims/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { generateAccess } from "../policy/mod.ts";
import { parseTtl } from "../profiles/auth.ts";
import { mintCommand, validateCommandFields } from "../profiles/command.ts";
import { type IssueRecorder, mint, type Minted } from "../profiles/mint.ts";
import type { Profile } from "../profiles/resolve.ts";
import { fernetSealer, jweSealer } from "../profiles/sealers.ts";
import {
  importJweRecipientText,
  isJweAlg,
  isJweEnc,
  JWE_ALGS,
  JWE_ENCS,
  type JweAlg,
  type JweEnc,
  JweEncrypter,
} from "../jose/mod.ts";
import { loadRuntime, type Runtime } from "../runtime/mod.ts";
import { intFlag, type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";
import { openCliAudit } from "./cli_audit.ts";

/**
 * `issue --config F [--claims JSON] [--ttl N] [--policy F --generate --user U]
 * [--format jws|jwe|fernet] [--encrypt-to FILE [--encrypt-alg A] [--encrypt-enc E]]`.
 */
export async function issueCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const policyPath = stringFlag(args, "policy");
  const rt = await loadRuntime(platform, configPath, {
    overrides: policyPath === undefined ? {} : { policyPath },
    generation: 1,
  });
  const minted = await _audited(platform, rt, (record) => _issue(platform, rt, args, record));
  platform.stdout(minted.token + "\n");
  return 0;
}

/**
 * Mint through `make` with the command's audit trail, and store the event before the token is
 * shown (a token the store has no record of is never printed).
 */
async function _audited(
  platform: Platform,
  rt: Runtime,
  make: (record: IssueRecorder) => Promise<Minted>,
): Promise<Minted> {
  const audit = await openCliAudit(platform, { config: rt.config });
  let minted: Minted;
  try {
    minted = await make(audit.recordIssue);
  } catch (e) {
    await audit.close().catch(() => {});
    throw e;
  }
  await audit.close();
  return minted;
}

async function _issue(
  platform: Platform,
  rt: Runtime,
  args: ParsedArgs,
  record: IssueRecorder,
): Promise<Minted> {
  const policyPath = stringFlag(args, "policy");
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
  const { ttl_seconds: claimsTtl, ...rest0 } = requested;
  requested = rest0;
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
  const { sub, aud, ...rest } = accepted;
  const ttl = askedTtl;
  const now = Math.floor(Date.now() / 1000);
  let minted;
  if (policyPath !== undefined && user === undefined && args.flags.generate !== true) {
    throw new UsageError('"--policy" needs "--user NAME": access is generated for that user');
  }
  // `--policy FILE --user NAME` generates access as the Python Keypebble's issue did.
  if (args.flags.generate === true || (policyPath !== undefined && user !== undefined)) {
    if (_formatFlags(args).length > 0) {
      throw new UsageError(
        `"${_formatFlags(args)[0]}" is for /auth tokens; registry tokens are always JWS`,
      );
    }
    // Generate mode (the Python Keypebble's `issue --generate`): a registry-kind token with the
    // user's literal grants, for the first configured service.
    if (rt.policy === undefined) {
      throw new UsageError('"--generate" needs a policy: pass "--policy FILE" or set policy_path');
    }
    if (typeof sub !== "string") throw new UsageError('"--generate" needs "--user NAME"');
    const service = typeof aud === "string" ? aud : rt.config.services[0];
    if (service !== undefined && !rt.config.services.includes(service)) {
      throw new UsageError(`"aud" must be one of the registry services: ${rt.config.services}`);
    }
    const generated = generateAccess(rt.policy, sub);
    minted = await mint(rt.profiles.registry, {
      now,
      subject: sub,
      ...(service === undefined ? {} : { audience: service }),
      claims: { ...rest, scope: generated.scope },
      own: { access: generated.access },
      ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      record,
    });
  } else {
    minted = await mint(await _authProfile(platform, rt, args), {
      now,
      claims: rest,
      ...(typeof sub === "string" ? { subject: sub } : {}),
      ...(aud === undefined ? {} : { audience: aud as string | string[] }),
      ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      record,
    });
  }
  return minted;
}

const FORMAT_FLAGS = ["format", "encrypt-to", "encrypt-alg", "encrypt-enc"];

function _formatFlags(args: ParsedArgs): string[] {
  return FORMAT_FLAGS.filter((f) => args.flags[f] !== undefined).map((f) => `--${f}`);
}

/**
 * The auth kind as configured, or in the format the command line asks for: `--encrypt-to FILE`
 * (a nested JWE to that key; `--encrypt-alg`, `--encrypt-enc`), `--format fernet` (the config's
 * Fernet repository), `--format jws` (a plain JWS whatever the profile says). The token is still
 * made by the one mint path, with the profile's claims rules.
 */
async function _authProfile(platform: Platform, rt: Runtime, args: ParsedArgs): Promise<Profile> {
  const profile = rt.profiles.auth;
  const format = stringFlag(args, "format");
  const to = stringFlag(args, "encrypt-to");
  const alg = stringFlag(args, "encrypt-alg");
  const enc = stringFlag(args, "encrypt-enc");
  if (format !== undefined && !["jws", "jwe", "fernet"].includes(format)) {
    throw new UsageError('Option "--format" must be "jws", "jwe" or "fernet"');
  }
  if (to === undefined && (alg !== undefined || enc !== undefined)) {
    throw new UsageError('"--encrypt-alg" and "--encrypt-enc" need "--encrypt-to FILE"');
  }
  if (to !== undefined) {
    if (format !== undefined && format !== "jwe") {
      throw new UsageError(
        `"--encrypt-to" makes a JWE; it cannot be combined with --format ${format}`,
      );
    }
    if (alg !== undefined && !isJweAlg(alg)) {
      throw new UsageError(
        `Option "--encrypt-alg" must be ${JWE_ALGS.map((a) => `"${a}"`).join(", ")}`,
      );
    }
    if (enc !== undefined && !isJweEnc(enc)) {
      throw new UsageError(
        `Option "--encrypt-enc" must be ${JWE_ENCS.map((a) => `"${a}"`).join(", ")}`,
      );
    }
    let text: string;
    try {
      text = await platform.readTextFile(to);
    } catch {
      throw new KeypebbleError("invalid_key", `Cannot read the recipient key file "${to}"`);
    }
    const recipient = await importJweRecipientText(text, {
      ...(alg === undefined ? {} : { alg: alg as JweAlg }),
      ...(enc === undefined ? {} : { enc: enc as JweEnc }),
    });
    const encrypter = Promise.resolve(await JweEncrypter.create(recipient, { cty: "JWT" }));
    return { ...profile, sealer: jweSealer(() => encrypter, `JWE to ${to}`) };
  }
  if (format === "fernet") {
    if (rt.fernet === undefined) {
      throw new KeypebbleError(
        "config_invalid",
        `${rt.config.source}: "--format fernet" needs a "fernet" section (keys_dir)`,
      );
    }
    // A Fernet token is refused once older than fernet.ttl_seconds: never promise more.
    const maxTtl = Math.min(profile.maxTtl, rt.fernet.ttlSeconds);
    return {
      ...profile,
      maxTtl,
      defaultTtl: Math.min(profile.defaultTtl, maxTtl),
      sealer: fernetSealer(rt.fernet),
    };
  }
  if (format === "jws") {
    const { sealer: _sealer, ...plain } = profile;
    return plain;
  }
  if (format === "jwe" && profile.sealer?.format !== "jwe") {
    throw new UsageError('"--format jwe" needs "--encrypt-to FILE" or profiles.auth.encrypt');
  }
  return profile;
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
  const minted = await _audited(platform, rt, (record) =>
    mintCommand(rt.profiles.command, {
      ...fields,
      user,
      now: Math.floor(Date.now() / 1000),
      record,
    }));
  if (args.flags.json === true) {
    platform.stdout(
      JSON.stringify({ token: minted.token, jti: minted.jti, expires_in: minted.ttl }) + "\n",
    );
  } else {
    platform.stdout(minted.token + "\n");
  }
  return 0;
}
