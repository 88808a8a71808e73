/**
 * `keypebble verify` and `keypebble inspect`.
 *
 * `verify` reads a JWS, one of our nested JWEs (decrypted with a `use: enc` key, then the JWS
 * inside verified) or a Fernet token (the `fernet` repository), and checks it against the
 * config's keyring (the kid only selects a key; it is never a path), the issuer, and optionally
 * an audience. Exit 0 and the header and claims as JSON when valid; exit 1 with the reason on
 * stderr otherwise.
 *
 * `inspect` decodes without verifying, and says so.
 */

import { KeypebbleError } from "../errors.ts";
import { looksLikeFernet, type VerifiedFernet, verifyFernet } from "../fernet/mod.ts";
import {
  decodeJwe,
  decodeJws,
  type JwsHeader,
  looksLikeJwe,
  unwrapJwe,
  verifyJws,
} from "../jose/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { loadRuntime, REFRESH_TYP, type Runtime } from "../runtime/mod.ts";
import { checkFernetKind, profileForTyp } from "../profiles/formats.ts";
import { openConfiguredStore } from "../apikeys/open.ts";
import { type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";

/** `verify --config F [--audience A] [--refresh] TOKEN` (TOKEN `-` reads stdin). */
export async function verifyCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const token = await _tokenArg(platform, args);
  const rt = await loadRuntime(platform, configPath, { generation: 1 });
  const audience = stringFlag(args, "audience");
  const options = {
    ...(audience === undefined ? {} : { audience }),
    refresh: args.flags.refresh === true,
  };
  const print = (o: Record<string, unknown>) =>
    platform.stdout(JSON.stringify({ valid: true, ...o }, null, 2) + "\n");
  try {
    // The format is told by the token's shape: Fernet (version byte 0x80), a JWE (five
    // segments), else a JWS (three).
    if (looksLikeFernet(token)) {
      const v = await verifyFernetToken(platform, rt, token, options);
      print({
        format: "fernet",
        kind: v.kind,
        key: v.keyId,
        issued_at: v.issuedAt,
        claims: v.claims,
      });
    } else if (looksLikeJwe(token)) {
      if (rt.keyring.decryptionKeys.length === 0) {
        throw new KeypebbleError(
          "invalid_token",
          'This is an encrypted token (JWE) and the config has no "use: enc" key to read it',
        );
      }
      const { jweHeader, jws } = await unwrapJwe(token, rt.keyring.decryptionKeys);
      const v = await verifyNestedJws(platform, rt, jws, options);
      print({
        format: "jwe",
        kind: v.kind,
        jwe_header: jweHeader,
        header: v.header,
        claims: v.claims,
      });
    } else {
      const v = await verifyNestedJws(platform, rt, token, options);
      print({ format: "jws", kind: v.kind, header: v.header, claims: v.claims });
    }
    return 0;
  } catch (e) {
    if (e instanceof KeypebbleError) {
      platform.stderr(`invalid token (${e.code}): ${e.message}${_hint(token, args)}\n`);
      return 1;
    }
    throw e;
  }
}

/** Revoked token ids (RFC 7009, issue 13) live in the store, when there is one. */
async function _checkRevoked(platform: Platform, rt: Runtime, jti: unknown): Promise<void> {
  if (rt.config.store === undefined || typeof jti !== "string") return;
  const store = await openConfiguredStore(platform, rt.config, { schema: "check" });
  try {
    if (await store.revocations.isRevoked(jti)) {
      throw new KeypebbleError("invalid_token", "The token has been revoked");
    }
  } finally {
    await store.close();
  }
}

/**
 * Verify a compact JWS as `verify` does (also the JWS inside one of our JWEs): the token's
 * `typ` picks the kind, whose `typ` and issuer are then required; then the revocation list.
 */
export async function verifyNestedJws(
  platform: Platform,
  rt: Runtime,
  jws: string,
  options: { audience?: string; refresh?: boolean },
): Promise<{ kind: string; header: JwsHeader; claims: Record<string, unknown> }> {
  // Each kind has its own typ (src/profiles/table.ts): the token's typ picks the kind, whose
  // typ and issuer are then required. A refresh token verifies only with --refresh.
  const refresh = options.refresh === true;
  const profile = profileForTyp(rt.profiles, decodeJws(jws).header.typ, { refresh });
  const { header, payload } = await verifyJws(jws, rt.keyring.keys, {
    now: Math.floor(Date.now() / 1000),
    issuer: profile.issuer,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    typ: refresh ? REFRESH_TYP : String(profile.signer.header.typ),
  });
  await _checkRevoked(platform, rt, payload.jti);
  return { kind: profile.def.name, header, claims: payload };
}

/**
 * Verify one of our Fernet tokens (`verifyFernet`: the Fernet checks, then the claims' `exp`),
 * then as for a JWS: the `typ` inside picks the kind, whose issuer is required; the audience
 * when asked; the revocation list.
 */
export async function verifyFernetToken(
  platform: Platform,
  rt: Runtime,
  token: string,
  options: { audience?: string; refresh?: boolean },
): Promise<VerifiedFernet & { kind: string }> {
  if (rt.fernet === undefined) {
    throw new KeypebbleError(
      "invalid_token",
      'This is a Fernet token and the config has no "fernet" section to read it',
    );
  }
  const v = await verifyFernet(token, rt.fernet, Math.floor(Date.now() / 1000));
  const profile = checkFernetKind(rt.profiles, v, options);
  await _checkRevoked(platform, rt, v.claims.jti);
  return { ...v, kind: profile.def.name };
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
    if (looksLikeJwe(token)) {
      // Only the protected header is readable without the key.
      const { header } = decodeJwe(token);
      platform.stderr("note: an encrypted token (JWE): only its header is readable; use decrypt\n");
      platform.stdout(
        JSON.stringify({ verified: false, format: "jwe", jwe_header: header }, null, 2) + "\n",
      );
      return 0;
    }
    if (looksLikeFernet(token)) {
      platform.stderr("note: a Fernet token: its content is encrypted; use verify --config\n");
      platform.stdout(JSON.stringify({ verified: false, format: "fernet" }, null, 2) + "\n");
      return 0;
    }
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
