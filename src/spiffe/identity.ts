/**
 * A service's SPIFFE identity from spiffile files (PROFILE §1): mint JWT-SVIDs for the services
 * it calls and verify the ones it receives. No dependencies: Web Crypto and `node:fs`, so it runs
 * on Deno, Bun and Node. Exported by the package as `./spiffe`.
 *
 * Key and bundle are hot-reloaded (PROFILE §1.3): on use, at most once a second, the files'
 * modification time and size are compared and a changed file is read again, so a rotation or a
 * revocation reaches a running service without a restart.
 *
 * @example
 * ```ts
 * import { Identity } from "@keypebble/keypebble/spiffe";
 * const me = await Identity.fromEnv(); // SPIFFILE_ID_FILE, SPIFFILE_KEY_FILE, SPIFFILE_BUNDLE_FILE
 * const token = await me.token("spiffe://edge.example/billing");
 * // …and on the billing side:
 * const caller = await billing.verify(token); // caller.spiffeId === me.spiffeId
 * ```
 * @module
 */

import process from "node:process";
import { nodeFiles } from "../platform/node_fs.ts";
import { parseSpiffileBundle, type SpiffileBundle } from "./bundle.ts";
import { importSvidPrivateKeyPem, type SvidSigningKey } from "./ec_keys.ts";
import type { SpiffeFiles } from "./files.ts";
import { parseSpiffeId } from "./spiffe_id.ts";
import { signSvid, svidClaims, SvidError, type VerifiedSvid, verifySvid } from "./svid.ts";

export { InvalidSpiffeIdError, isSpiffeId, parseSpiffeId } from "./spiffe_id.ts";
export { InvalidBundleError, parseSpiffileBundle, type SpiffileBundle } from "./bundle.ts";
export { SvidError, type VerifiedSvid } from "./svid.ts";
export type { SpiffeId } from "./spiffe_id.ts";
export type { SvidJwk } from "./ec_keys.ts";
export type { FileStat, SpiffeFiles } from "./files.ts";

/** Where a service's identity material lives. */
export interface IdentityFiles {
  /** The file holding this service's SPIFFE ID. */
  readonly idFile: string;
  /** The service's private key (PEM, P-256). */
  readonly keyFile: string;
  /** The spiffile bundle of the trust domain. */
  readonly bundleFile: string;
}

/** Options of {@link Identity}. */
export interface IdentityOptions {
  /** Milliseconds between checks for changed files; default 1000. */
  readonly reloadIntervalMs?: number;
  /** Seconds since the epoch; default the system clock. */
  readonly now?: () => number;
  /** File access; default `node:fs`. */
  readonly files?: SpiffeFiles;
}

interface _Loaded<T> {
  readonly value: T;
  readonly stamp: string;
}

/** A workload's identity: its SPIFFE ID, its signing key and its trust bundle. */
export class Identity {
  /** This service's SPIFFE ID (from the identity file). */
  readonly spiffeId: string;
  /** Where the identity's files are. */
  readonly paths: IdentityFiles;
  readonly #files: SpiffeFiles;
  readonly #interval: number;
  readonly #now: () => number;
  #key: _Loaded<SvidSigningKey>;
  #bundle: _Loaded<SpiffileBundle>;
  #checkedAt = 0;
  #checking: Promise<void> | undefined;

  private constructor(
    spiffeId: string,
    paths: IdentityFiles,
    loaded: { key: _Loaded<SvidSigningKey>; bundle: _Loaded<SpiffileBundle> },
    options: IdentityOptions,
  ) {
    this.spiffeId = spiffeId;
    this.paths = paths;
    this.#key = loaded.key;
    this.#bundle = loaded.bundle;
    this.#files = options.files ?? nodeFiles;
    this.#interval = options.reloadIntervalMs ?? 1000;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#checkedAt = Date.now();
  }

  /**
   * From the environment (PROFILE §1.1): `SPIFFILE_ID_FILE`, `SPIFFILE_KEY_FILE`,
   * `SPIFFILE_BUNDLE_FILE`, or `SPIFFILE_DIR` holding `id`, `key.pem` and `bundle.json`; the
   * explicit variables win, one by one.
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    options: IdentityOptions = {},
  ): Promise<Identity> {
    const dir = env.SPIFFILE_DIR?.replace(/\/+$/, "");
    const pick = (name: string, file: string): string => {
      const v = env[name] ?? (dir ? `${dir}/${file}` : undefined);
      if (!v) throw new Error(`${name} (or SPIFFILE_DIR) is not set`);
      return v;
    };
    return Identity.fromFiles({
      idFile: pick("SPIFFILE_ID_FILE", "id"),
      keyFile: pick("SPIFFILE_KEY_FILE", "key.pem"),
      bundleFile: pick("SPIFFILE_BUNDLE_FILE", "bundle.json"),
    }, options);
  }

  /** From explicit file paths. */
  static async fromFiles(paths: IdentityFiles, options: IdentityOptions = {}): Promise<Identity> {
    const files = options.files ?? nodeFiles;
    const idText = await files.readText(paths.idFile);
    if (idText === undefined) throw new Error(`Identity file "${paths.idFile}" does not exist`);
    // PROFILE §1: one line, trailing whitespace ignored
    const spiffeId = parseSpiffeId(idText.trimEnd()).id;
    const key = await _loadKey(files, paths.keyFile);
    const bundle = await _loadBundle(files, paths.bundleFile);
    if (parseSpiffeId(spiffeId).trustDomain !== bundle.value.trustDomain) {
      throw new Error(
        `Identity "${spiffeId}" is not in the bundle's trust domain "${bundle.value.trustDomain}"`,
      );
    }
    return new Identity(spiffeId, paths, { key, bundle }, options);
  }

  /** The trust bundle as last loaded (after a reload check). */
  async bundle(): Promise<SpiffileBundle> {
    await this.#maybeReload();
    return this.#bundle.value;
  }

  /**
   * A JWT-SVID from this service to `audience` (the receiver's SPIFFE ID): ES256, 60 s by
   * default, at most 300 s.
   */
  async token(audience: string, options: { ttlSeconds?: number } = {}): Promise<string> {
    await this.#maybeReload();
    const claims = svidClaims(this.spiffeId, audience, {
      now: this.#now(),
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    });
    return await signSvid(this.#key.value, claims);
  }

  /**
   * Verify a JWT-SVID sent to this service (PROFILE §4): `aud` must be this service's ID (or
   * `options.audience`), the key must be bound to the token's `sub` in the current bundle.
   * @throws {SvidError} `unknown_identity` or `invalid_token`
   */
  async verify(token: string, options: { audience?: string } = {}): Promise<VerifiedSvid> {
    await this.#maybeReload();
    return await verifySvid(token, this.#bundle.value, {
      audience: options.audience ?? this.spiffeId,
      now: this.#now(),
    });
  }

  async #maybeReload(): Promise<void> {
    const now = Date.now();
    if (now - this.#checkedAt < this.#interval) return;
    this.#checkedAt = now;
    this.#checking ??= this.#reload().finally(() => (this.#checking = undefined));
    await this.#checking;
  }

  async #reload(): Promise<void> {
    // A file caught mid-replacement or broken keeps the last good one.
    try {
      if (await _stamp(this.#files, this.paths.keyFile) !== this.#key.stamp) {
        this.#key = await _loadKey(this.#files, this.paths.keyFile);
      }
    } catch { /* keep the current key */ }
    try {
      if (await _stamp(this.#files, this.paths.bundleFile) !== this.#bundle.stamp) {
        this.#bundle = await _loadBundle(this.#files, this.paths.bundleFile);
      }
    } catch { /* keep the current bundle */ }
  }
}

async function _stamp(files: SpiffeFiles, path: string): Promise<string> {
  const st = await files.stat(path);
  return st === undefined ? "missing" : `${st.mtimeMs}:${st.size}:${st.ino}`;
}

async function _loadKey(files: SpiffeFiles, path: string): Promise<_Loaded<SvidSigningKey>> {
  const stamp = await _stamp(files, path);
  const pem = await files.readText(path);
  if (pem === undefined) throw new Error(`Key file "${path}" does not exist`);
  return { value: await importSvidPrivateKeyPem(pem), stamp };
}

async function _loadBundle(files: SpiffeFiles, path: string): Promise<_Loaded<SpiffileBundle>> {
  const stamp = await _stamp(files, path);
  const text = await files.readText(path);
  if (text === undefined) throw new Error(`Bundle file "${path}" does not exist`);
  return { value: parseSpiffileBundle(JSON.parse(text)), stamp };
}

/** `true` when `e` is a refused token (rather than a programming or file error). */
export function isSvidError(e: unknown): e is SvidError {
  return e instanceof SvidError;
}
