/**
 * The keyring: every configured key imported once into CryptoKeys, the active one wrapped in
 * signers whose header segments are encoded once, and the public JWKS rendered once.
 *
 * The first key in the config signs; the others are kept so tokens signed before a rotation still
 * verify, and are published in the JWKS until the operator drops them.
 */

import { KeypebbleError } from "../errors.ts";
import { type Config, type EncKeySpec, fieldWhere, type KeySpec } from "../config/mod.ts";
import {
  type Alg,
  b64Encode,
  certificatePublicKeySpki,
  generateKeyPem,
  importHmacSecret,
  importJweDecryptionKeyText,
  importPrivateKeyPem,
  type JweDecryptionKey,
  jwkThumbprint,
  JwsSigner,
  type KeyEntry,
  libtrustKeyId,
  parseCertificateChainPem,
  withJweKid,
  withKid,
} from "../jose/mod.ts";
import { type BuildNotice, FileMissingError, type RuntimeIo } from "./io.ts";

/** Imported keys plus the signers for the active one. */
export interface Keyring {
  /** The active key's default signer (`typ: JWT`); tokens are minted through the profiles. */
  readonly signer: JwsSigner;
  readonly active: KeyEntry;
  /** The active key's certificate chain (standard base64 DER, leaf first), when configured. */
  readonly x5c?: readonly string[];
  /** All keys, active first; used by verify. */
  readonly keys: readonly KeyEntry[];
  /**
   * Our encryption keys (`keys:` entries with `use: enc`), each bound to one JWE alg/enc pair:
   * they decrypt JWEs sent to us and never sign. Published in the JWKS with `use: "enc"`.
   */
  readonly decryptionKeys: readonly JweDecryptionKey[];
  /** The JWKS document (public keys only; HMAC keys never appear), already serialised. */
  readonly jwksJson: string;
  /** Algorithms of the keys, for discovery. */
  readonly algs: readonly Alg[];
}

/** Build the keyring for `config`, reading key files through `io`. */
export async function buildKeyring(
  config: Config,
  io: RuntimeIo,
  options: { notices?: BuildNotice[] } = {},
): Promise<Keyring> {
  const notices = options.notices ?? [];
  const entries: KeyEntry[] = [];
  let x5c: string[] | undefined;
  for (const [i, spec] of config.keys.entries()) {
    const { entry, chain } = await _loadKey(config, spec, io, notices);
    if (i === 0) x5c = chain;
    entries.push(entry);
  }
  const decryptionKeys: JweDecryptionKey[] = [];
  for (const spec of config.encryptionKeys) {
    decryptionKeys.push(await _loadEncryptionKey(config, spec, io, notices));
  }
  const seen = new Map<string, string>();
  const named = [
    ...entries.map((e, i) => ({ kid: e.kid, field: config.keys[i].field })),
    ...decryptionKeys.map((e, i) => ({ kid: e.kid, field: config.encryptionKeys[i].field })),
  ];
  for (const { kid, field } of named) {
    if (kid === undefined) continue;
    const prev = seen.get(kid);
    if (prev !== undefined) {
      throw new KeypebbleError(
        "config_invalid",
        `${fieldWhere(config, field)}: kid "${kid}" is already used by ${prev}`,
      );
    }
    seen.set(kid, field);
  }
  const active = entries[0];
  const signer = await JwsSigner.create(active, x5c === undefined ? {} : { x5c });
  const jwks: { keys: Record<string, unknown>[] } = {
    keys: entries.filter((e) => e.publicJwk !== undefined).map((e) =>
      ({
        ...e.publicJwk,
        ...(e.kid === undefined ? {} : { kid: e.kid }),
        alg: e.alg,
        use: "sig",
      }) as Record<string, unknown>
    ).concat(decryptionKeys.map((e) => ({
      ...e.publicJwk,
      ...(e.kid === undefined ? {} : { kid: e.kid }),
      // RFC 7517 §4.4: the JWE alg this key is for; a sender picks "enc" (ours: decryptionKeys)
      alg: e.alg,
      use: "enc",
    }))),
  };
  return {
    signer,
    active,
    ...(x5c === undefined ? {} : { x5c }),
    keys: entries,
    decryptionKeys,
    jwksJson: JSON.stringify(jwks),
    algs: [...new Set(entries.map((e) => e.alg))],
  };
}

async function _loadKey(
  config: Config,
  spec: KeySpec,
  io: RuntimeIo,
  notices: BuildNotice[],
): Promise<{ entry: KeyEntry; chain?: string[] }> {
  const where = fieldWhere(config, spec.field);
  // Messages name the field, never its value: an inline PEM or a secret pasted into a path
  // field must not reach a log line or /healthz (and neither must the cause's text, which
  // quotes the path).
  const fail = (problem: string, cause?: unknown): never => {
    const detail = cause instanceof FileMissingError
      ? ": the file does not exist"
      : cause instanceof KeypebbleError
      ? `: ${cause.message}`
      : "";
    throw new KeypebbleError("config_invalid", `${where}: ${problem}${detail}`, { cause });
  };

  if (spec.kind === "hmac") {
    let secret: string;
    if (spec.secret !== undefined) {
      secret = spec.secret;
    } else {
      const raw = await _read(io, spec.secretPath!, fail);
      // As the Python Keypebble: surrounding whitespace (a trailing newline from `echo`) is not
      // part of the secret. Said once at start so it is never a surprise.
      secret = raw.trim();
      if (secret !== raw) {
        notices.push({
          level: "info",
          event: "config_compat",
          fields: {
            field: spec.field,
            message:
              "Surrounding whitespace in the secret file is not part of the secret (as in the Python Keypebble)",
          },
        });
      }
    }
    let entry: KeyEntry;
    try {
      entry = await importHmacSecret(new TextEncoder().encode(secret));
    } catch (e) {
      // Stricter than the Python Keypebble on purpose (RFC 7518 §3.2): say how to make a new one.
      const hint = e instanceof KeypebbleError && e.code === "weak_key"
        ? "; make a new secret with: head -c 32 /dev/urandom | base64 > hs256.secret " +
          "(tokens signed with the old secret stop verifying)"
        : "";
      if (!(e instanceof KeypebbleError)) return fail("HMAC secret refused", e);
      return fail("HMAC secret refused", new KeypebbleError(e.code, `${e.message}${hint}`));
    }
    return { entry: spec.kid.mode === "literal" ? withKid(entry, spec.kid.value) : entry };
  }

  let pem: string;
  try {
    pem = await io.readTextFile(spec.path);
  } catch (e) {
    if (!(e instanceof FileMissingError) || !spec.generateIfMissing) {
      return fail("cannot read the key file", readProblem(e));
    }
    const alg = spec.alg === undefined || spec.alg === "HS256" ? "RS256" : spec.alg;
    pem = await generateKeyPem(alg);
    try {
      await io.writePrivateFile(spec.path, pem);
    } catch (w) {
      return fail("cannot write the generated key file", readProblem(w, "write"));
    }
    notices.push({
      level: "warn",
      event: "key_generated",
      fields: {
        path: spec.path,
        alg,
        message:
          "Generated a new signing key because generate_missing_key is on; never use this in production",
      },
    });
  }
  let entry: KeyEntry;
  try {
    entry = await importPrivateKeyPem(pem, spec.alg === undefined ? {} : { alg: spec.alg });
  } catch (e) {
    if (/-----BEGIN CERTIFICATE-----/.test(pem) && !/PRIVATE KEY-----/.test(pem)) {
      return fail(
        "is a certificate, not a private key: name the private key file here and the " +
          'certificate chain in "x5c_chain_path"',
      );
    }
    return fail("the key file was refused", e);
  }
  // Every published key has a kid (RFC 7638 thumbprint unless the config names one): JWKS
  // clients such as PyJWKClient select keys by kid and refuse a token whose kid they cannot find.
  const kidMode = spec.kid.mode === "none" ? { mode: "thumbprint" as const } : spec.kid;
  if (io.fileMode !== undefined) {
    const mode = await io.fileMode(spec.path);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      notices.push({
        level: "warn",
        event: "key_file_permissions",
        fields: {
          field: spec.field,
          mode: `0${(mode & 0o777).toString(8)}`,
          message: "The private key file is readable by other users; chmod 600 it",
        },
      });
    }
  }
  if (kidMode.mode === "literal") entry = withKid(entry, kidMode.value);
  if (kidMode.mode === "thumbprint") entry = withKid(entry, await jwkThumbprint(entry.publicJwk!));
  if (kidMode.mode === "libtrust") entry = withKid(entry, await libtrustKeyId(entry.spkiDer!));

  if (spec.x5cChainPath === undefined) return { entry };
  const chainPem = await _read(io, spec.x5cChainPath, fail);
  let ders: Uint8Array[];
  try {
    ders = parseCertificateChainPem(chainPem);
  } catch (e) {
    return fail("the certificate chain was refused", e);
  }
  let leafSpki: Uint8Array;
  try {
    leafSpki = certificatePublicKeySpki(ders[0]);
  } catch (e) {
    return fail("the leaf certificate cannot be read", e);
  }
  if (!_sameBytes(leafSpki, entry.spkiDer!)) {
    fail("the first certificate of x5c_chain_path is not for this signing key");
  }
  return { entry, chain: ders.map((d) => b64Encode(d)) };
}

/** One `use: enc` key: read, bound to its alg/enc, kid as configured (default: thumbprint). */
async function _loadEncryptionKey(
  config: Config,
  spec: EncKeySpec,
  io: RuntimeIo,
  notices: BuildNotice[],
): Promise<JweDecryptionKey> {
  const where = fieldWhere(config, spec.field);
  const fail = (problem: string, cause?: unknown): never => {
    const detail = cause instanceof FileMissingError
      ? ": the file does not exist"
      : cause instanceof KeypebbleError
      ? `: ${cause.message}`
      : "";
    throw new KeypebbleError("config_invalid", `${where}: ${problem}${detail}`, { cause });
  };
  let text: string;
  try {
    text = await io.readTextFile(spec.path);
  } catch (e) {
    return fail("cannot read the key file", readProblem(e));
  }
  let key: JweDecryptionKey;
  try {
    key = await importJweDecryptionKeyText(text, { alg: spec.alg, enc: spec.enc });
  } catch (e) {
    return fail("the encryption key was refused", e);
  }
  if (io.fileMode !== undefined) {
    const mode = await io.fileMode(spec.path);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      notices.push({
        level: "warn",
        event: "key_file_permissions",
        fields: {
          field: spec.field,
          mode: `0${(mode & 0o777).toString(8)}`,
          message: "The private key file is readable by other users; chmod 600 it",
        },
      });
    }
  }
  return spec.kid.mode === "literal" ? withJweKid(key, spec.kid.value) : key;
}

async function _read(
  io: RuntimeIo,
  path: string,
  fail: (problem: string, cause?: unknown) => never,
): Promise<string> {
  try {
    return await io.readTextFile(path);
  } catch (e) {
    return fail("cannot read the file", readProblem(e));
  }
}

/**
 * A read failure in words an operator can act on. Deno's permission errors ("run again with
 * --allow-read") are about the runtime's flags, not about a command the operator typed.
 */
export function readProblem(e: unknown, verb: "read" | "write" = "read"): Error {
  const name = e instanceof Error ? e.name : "";
  if (name === "NotCapable" || name === "PermissionDenied") {
    const msg = e instanceof Error ? e.message : "";
    if (/--allow-|Requires .* access/.test(msg)) {
      const where = verb === "read"
        ? "reads only files inside the repository"
        : "writes only under ./keys";
      return new KeypebbleError(
        "config_invalid",
        `this process is not allowed to ${verb} it (deno task start ${where}: ` +
          "use a path there, or run deno task cli serve --config FILE)",
      );
    }
    return new KeypebbleError(
      "config_invalid",
      "permission denied (check the file's owner and mode)",
    );
  }
  // Anything else keeps its own type: callers decide whether its text may be shown.
  return e instanceof Error ? e : new Error(String(e));
}

function _sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
