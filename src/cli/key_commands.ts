/**
 * `keypebble keygen`, `keypebble jwks` and `keypebble hash-password`.
 */

import { hashPassword } from "../identity/mod.ts";
import {
  ALGS,
  generateJweKeyPem,
  generateKeyPem,
  importJweDecryptionKeyPem,
  importPrivateKeyPem,
  type JweKeyType,
  jwkThumbprint,
  keyTypeOfAlg,
} from "../jose/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { FileExistsError, loadRuntime } from "../runtime/mod.ts";
import { intFlag, type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";

/** The `--alg` values of `keygen --use enc` (dir keys are shared secrets, not generated here). */
const ENC_ALGS = ["RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A256KW"];

/**
 * `keygen --alg RS256|ES256|EdDSA [--bits 2048|3072|4096] --out FILE`, or with `--use enc`:
 * `--alg RSA-OAEP-256|ECDH-ES|ECDH-ES+A256KW [--curve P-256|X25519] [--bits …]`.
 */
export async function keygenCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const use = stringFlag(args, "use") ?? "sig";
  if (use !== "sig" && use !== "enc") throw new UsageError('Option "--use" must be "sig" or "enc"');
  if (use === "enc") return await _keygenEnc(platform, args);
  if (stringFlag(args, "curve") !== undefined) {
    throw new UsageError('Option "--curve" is for "--use enc" ECDH keys only');
  }
  const given = stringFlag(args, "alg");
  const alg = given ?? "RS256";
  // Every asymmetric algorithm of the table (src/jose/algorithms.ts); HMAC keys are not generated.
  const asymmetric = ALGS.filter((a) => keyTypeOfAlg(a) !== "oct");
  if (!(asymmetric as readonly string[]).includes(alg)) {
    throw new UsageError(
      `Option "--alg" must be ${asymmetric.map((a) => `"${a}"`).join(", ")}`,
    );
  }
  const out = requireFlag(args, "out");
  const bitsText = stringFlag(args, "bits");
  if (bitsText !== undefined && !["2048", "3072", "4096"].includes(bitsText)) {
    throw new UsageError('Option "--bits" must be 2048, 3072 or 4096');
  }
  const bits = bitsText === undefined ? undefined : Number(bitsText);
  if (bits !== undefined && alg !== "RS256") {
    throw new UsageError(`Option "--bits" is for RS256 only; ${alg} keys have a fixed size`);
  }
  if (given === undefined) platform.stderr("no --alg given: making an RS256 key\n");
  const pem = await generateKeyPem(
    alg as Parameters<typeof generateKeyPem>[0],
    bits === undefined ? {} : { bits: bits as 2048 | 3072 | 4096 },
  );
  const entry = await importPrivateKeyPem(pem);
  const kid = await jwkThumbprint(entry.publicJwk!);
  try {
    await platform.writePrivateFile(out, pem);
  } catch (e) {
    if (!(e instanceof FileExistsError)) throw e;
    if (await _isDirectory(platform, out)) {
      platform.stderr(
        `error: "${out}" is a directory; give a file name, e.g. "${
          out.replace(/\/$/, "")
        }/signing.key"\n`,
      );
      return 2;
    }
    platform.stderr(`error: "${out}" already exists; keygen never overwrites a key\n`);
    return 1;
  }
  platform.stderr(`wrote ${alg} private key to ${out} (mode 0600)\n`);
  platform.stdout(`${kid}\n`);
  return 0;
}

async function _keygenEnc(platform: Platform, args: ParsedArgs): Promise<number> {
  const given = stringFlag(args, "alg");
  const alg = given ?? "RSA-OAEP-256";
  if (!ENC_ALGS.includes(alg)) {
    throw new UsageError(
      `Option "--alg" with "--use enc" must be ${ENC_ALGS.map((a) => `"${a}"`).join(", ")}`,
    );
  }
  const out = requireFlag(args, "out");
  const curve = stringFlag(args, "curve");
  const bitsText = stringFlag(args, "bits");
  let type: JweKeyType;
  if (alg === "RSA-OAEP-256") {
    if (curve !== undefined) throw new UsageError('Option "--curve" is for ECDH keys');
    if (bitsText !== undefined && !["2048", "3072", "4096"].includes(bitsText)) {
      throw new UsageError('Option "--bits" must be 2048, 3072 or 4096');
    }
    type = "RSA";
  } else {
    if (bitsText !== undefined) throw new UsageError('Option "--bits" is for RSA-OAEP-256 only');
    if (curve !== undefined && curve !== "P-256" && curve !== "X25519") {
      throw new UsageError('Option "--curve" must be "P-256" or "X25519"');
    }
    type = (curve ?? "P-256") as JweKeyType;
  }
  if (given === undefined) platform.stderr("no --alg given: making an RSA-OAEP-256 key\n");
  const pem = await generateJweKeyPem(
    type,
    bitsText === undefined ? {} : { bits: Number(bitsText) as 2048 | 3072 | 4096 },
  );
  const key = await importJweDecryptionKeyPem(pem, { alg: alg as "RSA-OAEP-256" });
  try {
    await platform.writePrivateFile(out, pem);
  } catch (e) {
    if (!(e instanceof FileExistsError)) throw e;
    platform.stderr(`error: "${out}" already exists; keygen never overwrites a key\n`);
    return 1;
  }
  platform.stderr(
    `wrote ${alg} ${type} encryption key to ${out} (mode 0600); in the config:\n` +
      `  keys:\n    - {path: ${out}, use: enc, alg: ${alg}}   # enc: A256GCM unless set\n`,
  );
  platform.stdout(`${key.kid}\n`);
  return 0;
}

/** `jwks --config F`: the same document as GET /.well-known/jwks.json. */
export async function jwksCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const credentialsDir = stringFlag(args, "credentials-dir");
  const rt = await loadRuntime(platform, requireFlag(args, "config"), {
    generation: 1,
    ...(credentialsDir === undefined ? {} : { credentialsDir }),
  });
  platform.stdout(JSON.stringify(JSON.parse(rt.keyring.jwksJson), null, 2) + "\n");
  return 0;
}

/** `hash-password [--iterations N]`: password on stdin, PHC string on stdout. */
export async function hashPasswordCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const input = await platform.readStdin();
  const password = input.replace(/\r?\n$/, "");
  if (password === "") throw new UsageError("Give the password on standard input");
  const iterations = intFlag(args, "iterations", { min: 100_000, max: 10_000_000 });
  platform.stdout(
    (await hashPassword(password, iterations === undefined ? {} : { iterations })) + "\n",
  );
  return 0;
}

async function _isDirectory(platform: Platform, path: string): Promise<boolean> {
  try {
    await platform.readTextFile(path);
    return false;
  } catch (e) {
    return e instanceof Error && /directory/i.test(`${e.name} ${e.message}`);
  }
}
