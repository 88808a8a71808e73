/**
 * `keypebble decrypt` (read a JWE with a key file) and `keypebble fernet setup|rotate` (the
 * Fernet key repository).
 *
 * `decrypt` exits 0 when the token was decrypted (and, with `--config`, its nested JWS verified),
 * 1 when it was refused (the reason on stderr), 2 for bad usage or an unreadable key, like
 * `verify`.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import {
  DEFAULT_MAX_ACTIVE_KEYS,
  MAX_KEYS,
  MIN_MAX_ACTIVE_KEYS,
  type RepositoryChange,
  rotateRepository,
  setupRepository,
} from "../fernet/mod.ts";
import {
  decodeJwe,
  decodeJws,
  importJweDecryptionKeyText,
  isJweAlg,
  isJweEnc,
  JWE_ALGS,
  JWE_ENCS,
  type JweAlg,
  type JweDecryptionKey,
  type JweEnc,
  openJwe,
  plaintextText,
  withJweKid,
} from "../jose/mod.ts";
import { nodeFernetFiles } from "../platform/fernet_files.ts";
import type { Platform } from "../platform/platform.ts";
import { loadRuntime } from "../runtime/mod.ts";
import {
  type FlagSpec,
  intFlag,
  type ParsedArgs,
  requireFlag,
  stringFlag,
  UsageError,
} from "./args.ts";
import { verifyNestedJws } from "./token_commands.ts";

/** The `decrypt` command, in the shape of the CLI's command table. */
export const DECRYPT_COMMAND = {
  summary: "Decrypt a JWE with a key file and print its claims (exit 0 ok, 1 refused)",
  usage: `keypebble decrypt --key FILE [--alg ALG] [--enc ENC] [--config FILE] TOKEN

FILE is a private key: PEM (PKCS#8 RSA, EC P-256 or X25519; PKCS#1; SEC1) or a private JWK
(an "oct" JWK for dir). The key is bound to ONE algorithm pair, as every JWE key:
--alg (default: the JWK's "alg", else RSA-OAEP-256 for RSA, ECDH-ES for EC and X25519, dir
for oct) and --enc (default A256GCM); a token made with another pair is refused.
A nested token (cty "JWT") prints the JWS inside: with --config its signature, exp, nbf
and issuer are checked against that config's keys as verify does; without, the JWS is
decoded only (said on stderr). TOKEN "-" reads stdin. Prints JSON; a refusal prints the
reason on stderr and exits 1.`,
  flags: { key: "string", alg: "string", enc: "string", config: "string" } as FlagSpec,
  run: decryptCommand,
};

/** `decrypt --key FILE [--alg A] [--enc E] [--config F] TOKEN`. */
export async function decryptCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const keyPath = requireFlag(args, "key");
  const alg = stringFlag(args, "alg");
  const enc = stringFlag(args, "enc");
  if (alg !== undefined && !isJweAlg(alg)) {
    throw new UsageError(`Option "--alg" must be ${JWE_ALGS.map((a) => `"${a}"`).join(", ")}`);
  }
  if (enc !== undefined && !isJweEnc(enc)) {
    throw new UsageError(`Option "--enc" must be ${JWE_ENCS.map((a) => `"${a}"`).join(", ")}`);
  }
  const token = await _token(platform, args);
  const configPath = stringFlag(args, "config");
  let text: string;
  try {
    text = await platform.readTextFile(keyPath);
  } catch {
    throw new KeypebbleError("invalid_key", `Cannot read the key file "${keyPath}"`);
  }
  let key: JweDecryptionKey = await importJweDecryptionKeyText(text, {
    ...(alg === undefined ? {} : { alg: alg as JweAlg }),
    ...(enc === undefined ? {} : { enc: enc as JweEnc }),
  });
  const rt = configPath === undefined ? undefined : await loadRuntime(platform, configPath, {
    generation: 1,
  });
  try {
    // The operator named the key: a kid in the token has nothing to choose between.
    const declared = decodeJwe(token).header;
    if (typeof declared.kid === "string") key = withJweKid(key, declared.kid);
    const { header, plaintext } = await openJwe(token, [key]);
    const body = plaintextText(plaintext);
    const cty = typeof header.cty === "string" ? header.cty.toLowerCase() : "";
    if (cty === "jwt" || cty === "application/jwt") {
      const jws = body.trim();
      if (rt === undefined) {
        const inner = decodeJws(jws);
        platform.stderr(
          "note: decrypted; the JWS inside was NOT verified (pass --config to check it)\n",
        );
        platform.stdout(
          JSON.stringify(
            {
              decrypted: true,
              verified: false,
              jwe_header: header,
              header: inner.header,
              claims: inner.payload,
            },
            null,
            2,
          ) + "\n",
        );
        return 0;
      }
      const v = await verifyNestedJws(platform, rt, jws, {});
      platform.stdout(
        JSON.stringify(
          {
            valid: true,
            format: "jwe",
            kind: v.kind,
            jwe_header: header,
            header: v.header,
            claims: v.claims,
          },
          null,
          2,
        ) + "\n",
      );
      return 0;
    }
    let claims: unknown;
    try {
      claims = JSON.parse(body);
    } catch {
      claims = undefined;
    }
    const isObject = claims !== null && typeof claims === "object" && !Array.isArray(claims);
    platform.stderr("note: decrypted; not a nested JWT, so nothing in it is signed\n");
    platform.stdout(
      JSON.stringify(
        isObject
          ? { decrypted: true, verified: false, jwe_header: header, claims }
          : { decrypted: true, verified: false, jwe_header: header, plaintext: body },
        null,
        2,
      ) + "\n",
    );
    return 0;
  } catch (e) {
    if (e instanceof KeypebbleError) {
      platform.stderr(`invalid token (${e.code}): ${e.message}${_hint(e, key)}\n`);
      return 1;
    }
    throw e;
  }
}

function _hint(e: KeypebbleError, key: JweDecryptionKey): string {
  return e.code === "unknown_key"
    ? ` (the key is used for ${key.alg}/${key.enc} only: give --alg and --enc for this token)`
    : "";
}

async function _token(platform: Platform, args: ParsedArgs): Promise<string> {
  const t = args.positionals[0];
  if (t === undefined) throw new UsageError("A TOKEN argument is required (or - for stdin)");
  if (args.positionals.length > 1) throw new UsageError("Give exactly one TOKEN");
  return (t === "-" ? await platform.readStdin() : t).trim();
}

// ---------------------------------------------------------------------------------------------
// fernet setup | rotate

/** The `fernet` command group, in the shape of the CLI's command table. */
export const FERNET_COMMAND = {
  summary: "Fernet key repository: set it up, rotate its keys",
  usage: `keypebble fernet <subcommand> [options]

  setup --dir DIR                    make DIR (mode 0700) a key repository: primary key
                                     "1" and staged key "0" (files mode 0600); a DIR that
                                     already holds keys is left unchanged
  rotate --dir DIR [--max-active N]  the staged key "0" becomes the primary (the highest
                                     number), a new staged "0" is written, and the oldest
                                     secondary keys are removed so at most N keys remain
                                     (default ${DEFAULT_MAX_ACTIVE_KEYS}: staged, primary, one secondary; ${MIN_MAX_ACTIVE_KEYS} to ${MAX_KEYS})

As Keystone's: "0" is staged (every instance accepts it before any signs with it), the
highest number is the primary (signs), the others are secondary (verify only). Copy DIR to
every instance after each rotation, then reload them (SIGHUP). Changes hold DIR/.lock.`,
  flags: { dir: "string", "max-active": "string" } as FlagSpec,
  run: fernetCommand,
};

function _report(platform: Platform, verb: string, dir: string, c: RepositoryChange): void {
  platform.stdout(
    `${c.changed ? verb : "unchanged"} ${dir}: primary ${c.primary}, staged ${c.staged}, keys ${
      c.kept.join(",")
    }${c.removed.length > 0 ? `, removed ${c.removed.join(",")}` : ""}\n`,
  );
}

/** Run `keypebble fernet <subcommand>`; resolves to the exit code. */
export async function fernetCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const [sub, ...rest] = args.positionals;
  if (sub !== "setup" && sub !== "rotate") {
    throw new UsageError(
      sub === undefined ? "A subcommand is required" : `Unknown subcommand "${sub.slice(0, 40)}"`,
    );
  }
  if (rest.length > 0) throw new UsageError(`"fernet ${sub}" takes no arguments`);
  if (sub === "setup" && args.flags["max-active"] !== undefined) {
    throw new UsageError('Option "--max-active" does not apply to "fernet setup"');
  }
  const dir = requireFlag(args, "dir");
  if (sub === "setup") {
    _report(platform, "set up", dir, await setupRepository(dir, nodeFernetFiles));
    return 0;
  }
  const maxActive = intFlag(args, "max-active", { min: MIN_MAX_ACTIVE_KEYS, max: MAX_KEYS });
  _report(
    platform,
    "rotated",
    dir,
    await rotateRepository(dir, nodeFernetFiles, maxActive === undefined ? {} : { maxActive }),
  );
  return 0;
}
