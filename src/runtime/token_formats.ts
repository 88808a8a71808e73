/**
 * The runtime's side of `profiles.<kind>.format` and the `fernet` section: read the recipient
 * key files and the Fernet key repository once, at start and on every reload, and build each
 * kind's sealer (src/profiles/sealers.ts) for the mint path. Nothing here runs per request; a
 * JWKS URL recipient is fetched on first use and cached (src/runtime/recipient_keys.ts).
 *
 * @module
 */

import { type Config, fieldWhere } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { type FernetKeys, loadRepository, repositoryFiles } from "../fernet/mod.ts";
import { importJweRecipientText, JweEncrypter } from "../jose/mod.ts";
import { nodeFernetFiles } from "../platform/fernet_files.ts";
import { fernetSealer, jweSealer, type TokenSealer } from "../profiles/sealers.ts";
import { FileMissingError } from "./io.ts";
import type { BuildNotice, RuntimeIo } from "./io.ts";
import { readProblem } from "./keyring.ts";
import { RECIPIENT_CACHE_MS, RemoteRecipient } from "./recipient_keys.ts";

/** What {@link buildTokenFormats} gives the runtime. */
export interface TokenFormats {
  /** Kind name → sealer, for the kinds that are not JWS. */
  readonly sealers: Readonly<Record<string, TokenSealer>>;
  /** The Fernet repository and TTL, when the `fernet` section is set. */
  readonly fernet?: FernetKeys;
  /** Files the formats were read from (recipient keys, Fernet key files), for the watcher. */
  readonly files: readonly string[];
}

/** Read every kind's recipient and the Fernet repository. */
export async function buildTokenFormats(
  config: Config,
  io: RuntimeIo,
  options: { notices?: BuildNotice[]; fetch?: typeof fetch } = {},
): Promise<TokenFormats> {
  const notices = options.notices ?? [];
  const files: string[] = [];
  let fernet: FernetKeys | undefined;
  if (config.fernet !== undefined) {
    const where = fieldWhere(config, "fernet.keys_dir");
    let repository;
    try {
      repository = await loadRepository(config.fernet.keysDir, nodeFernetFiles);
    } catch (e) {
      const why = e instanceof KeypebbleError ? e.message : readProblem(e).message;
      throw new KeypebbleError("config_invalid", `${where}: ${why}`, { cause: e });
    }
    for (const w of repository.warnings) {
      notices.push({
        level: "warn",
        event: "key_file_permissions",
        fields: { field: "fernet.keys_dir", message: w },
      });
    }
    fernet = Object.freeze({ repository, ttlSeconds: config.fernet.ttlSeconds });
    files.push(...repositoryFiles(repository));
  }
  const sealers: Record<string, TokenSealer> = {};
  for (const [kind, settings] of Object.entries(config.profiles)) {
    const tf = settings.tokenFormat;
    if (tf === undefined || tf.format === "jws") continue;
    if (tf.format === "fernet") {
      // parseConfig already refused format fernet without a fernet section
      sealers[kind] = fernetSealer(fernet!);
      continue;
    }
    const e = tf.encrypt!;
    const where = fieldWhere(config, `profiles.${kind}.encrypt.to`);
    if (e.to.kind === "url") {
      const remote = new RemoteRecipient({
        url: e.to.url,
        ...(e.alg === undefined ? {} : { alg: e.alg }),
        enc: e.enc,
        where,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      sealers[kind] = jweSealer(
        () => remote.encrypter(),
        `JWE ${e.alg ?? "(the JWKS key's alg)"}/${e.enc} to the JWKS at ${e.to.url} ` +
          `(fetched on first use, cached ${RECIPIENT_CACHE_MS / 1000} s)`,
      );
      continue;
    }
    let text: string;
    try {
      text = await io.readTextFile(e.to.path);
    } catch (err) {
      const why = err instanceof FileMissingError
        ? "the file does not exist"
        : readProblem(err).message;
      throw new KeypebbleError("config_invalid", `${where}: cannot read the key file: ${why}`);
    }
    let encrypter: JweEncrypter;
    try {
      const recipient = await importJweRecipientText(text, {
        ...(e.alg === undefined ? {} : { alg: e.alg }),
        enc: e.enc,
      });
      encrypter = await JweEncrypter.create(recipient, { cty: "JWT" });
    } catch (err) {
      throw new KeypebbleError(
        "config_invalid",
        `${where}: the recipient key was refused: ${(err as Error).message}`,
        { cause: err },
      );
    }
    files.push(e.to.path);
    const ready = Promise.resolve(encrypter);
    sealers[kind] = jweSealer(
      () => ready,
      `JWE ${encrypter.alg}/${encrypter.enc} to ${e.to.path}${
        encrypter.header.kid === undefined ? "" : ` (kid "${encrypter.header.kid}")`
      }`,
    );
  }
  return { sealers, ...(fernet === undefined ? {} : { fernet }), files };
}
