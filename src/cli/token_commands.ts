/**
 * `keypebble verify` and `keypebble inspect`.
 *
 * `verify` checks a token against the config's keyring (the kid only selects a key; it is never
 * a path), the issuer, and optionally an audience. Exit 0 and the header and claims as JSON when
 * valid; exit 1 with the reason on stderr otherwise.
 *
 * `inspect` decodes without verifying, and says so.
 */

import { KeypebbleError } from "../errors.ts";
import { decodeJws, verifyJws } from "../jose/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { loadRuntime, REFRESH_TYP } from "../runtime/mod.ts";
import { openConfiguredStore } from "../apikeys/open.ts";
import { type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";

/** `verify --config F [--audience A] [--refresh] TOKEN` (TOKEN `-` reads stdin). */
export async function verifyCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const token = await _tokenArg(platform, args);
  const rt = await loadRuntime(platform, configPath, { generation: 1 });
  const audience = stringFlag(args, "audience");
  try {
    // Each kind has its own typ (src/profiles/table.ts): the token's typ picks the kind, whose
    // typ and issuer are then required. A refresh token verifies only with --refresh.
    const refresh = args.flags.refresh === true;
    const declared = String(decodeJws(token).header.typ ?? "JWT").toLowerCase();
    const profile = Object.values(rt.profiles).find((p) =>
      (p.def.name === "refresh") === refresh &&
      String(p.signer.header.typ).toLowerCase() === declared
    ) ?? (refresh ? rt.profiles.refresh : rt.profiles.auth);
    const { header, payload } = await verifyJws(token, rt.keyring.keys, {
      now: Math.floor(Date.now() / 1000),
      issuer: profile.issuer,
      ...(audience === undefined ? {} : { audience }),
      typ: refresh ? REFRESH_TYP : String(profile.signer.header.typ),
    });
    // Revoked token ids (RFC 7009, issue 13) live in the store, when there is one.
    if (rt.config.store !== undefined && typeof payload.jti === "string") {
      const store = await openConfiguredStore(platform, rt.config, { schema: "check" });
      try {
        if (await store.revocations.isRevoked(payload.jti)) {
          throw new KeypebbleError("invalid_token", "The token has been revoked");
        }
      } finally {
        await store.close();
      }
    }
    platform.stdout(
      JSON.stringify({ valid: true, kind: profile.def.name, header, claims: payload }, null, 2) +
        "\n",
    );
    return 0;
  } catch (e) {
    if (e instanceof KeypebbleError) {
      platform.stderr(`invalid token (${e.code}): ${e.message}${_hint(token, args)}\n`);
      return 1;
    }
    throw e;
  }
}

/** A hint when the token is of the other kind than the one checked for. */
function _hint(token: string, args: ParsedArgs): string {
  let typ: unknown;
  try {
    typ = decodeJws(token).header.typ;
  } catch {
    return "";
  }
  if (typ === REFRESH_TYP && args.flags.refresh !== true) {
    return " (this is a registry refresh token: add --refresh to verify it)";
  }
  if (typ !== REFRESH_TYP && args.flags.refresh === true) {
    return " (this is not a refresh token: verify it without --refresh)";
  }
  return "";
}

/** `inspect TOKEN`: decode only. */
export async function inspectCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const token = await _tokenArg(platform, args);
  try {
    const { header, payload } = decodeJws(token);
    platform.stderr("note: decoded only; the signature was NOT verified\n");
    platform.stdout(
      JSON.stringify({ verified: false, header, claims: payload }, null, 2) + "\n",
    );
    return 0;
  } catch (e) {
    if (e instanceof KeypebbleError) {
      platform.stderr(`cannot decode token (${e.code}): ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function _tokenArg(platform: Platform, args: ParsedArgs): Promise<string> {
  const t = args.positionals[0];
  if (t === undefined) throw new UsageError("A TOKEN argument is required (or - for stdin)");
  if (args.positionals.length > 1) throw new UsageError("Give exactly one TOKEN");
  return (t === "-" ? await platform.readStdin() : t).trim();
}
