/**
 * The central JWT-SVID issuer of a running server: its own P-256 key (whatever the server's
 * default key is), the spiffile root it publishes, and the two bundle views.
 *
 * Hot path: the root's `bundle.json` is read when it changes, found by a stat at most once a
 * second ({@link ROOT_POLL_MS}); both views are serialised once per bundle version. Binding the
 * issuer's key to a newly issued ID (PROFILE §2.1) writes `bundle.json` once per ID, under the
 * root's lock, before the first SVID for that ID is returned.
 *
 * @module
 */

import type { SpiffeConfig } from "../config/spiffe.ts";
import { KeypebbleError } from "../errors.ts";
import { importPrivateKeyPem, JwsSigner, withKid } from "../jose/mod.ts";
import { nodeFiles } from "../platform/node_fs.ts";
import { spiffeBundleDocument, type SpiffileBundle, spiffileBundleDocument } from "./bundle.ts";
import { generateSvidKeyPem, importSvidPrivateKeyPem, type SvidJwk } from "./ec_keys.ts";
import type { SpiffeFiles } from "./files.ts";
import {
  bindToIdentities,
  BUNDLE_FILE,
  ISSUER_KEY_FILE,
  readRootBundle,
  withRootLock,
} from "./root.ts";

/** How often, at most, the root's bundle file is stat'ed for changes. */
export const ROOT_POLL_MS = 1000;

/** A lifecycle note for the caller to log. */
export interface AuthorityNotice {
  readonly level: "info" | "warn";
  readonly event: string;
  readonly fields: Record<string, unknown>;
}

/** Serialised views of one bundle version. */
interface _Views {
  readonly bundle: SpiffileBundle;
  readonly spiffeJson: string;
  readonly spiffileJson: string;
}

/** The server's SPIFFE state. Build with {@link buildSpiffeAuthority}. */
export class SpiffeAuthority {
  readonly trustDomain: string;
  readonly root: string | undefined;
  readonly refreshHintSeconds: number;
  /** The issuer's public key (kid = RFC 7638 thumbprint). */
  readonly issuerJwk: SvidJwk;
  /** Signs SVIDs: ES256, `typ: JWT`, `kid`, never `x5c`. */
  readonly signer: JwsSigner;
  readonly #files: SpiffeFiles;
  #views: _Views;
  #stamp: string;
  #lastCheck = 0;
  #checking: Promise<void> | undefined;

  constructor(init: {
    config: SpiffeConfig;
    files: SpiffeFiles;
    issuerJwk: SvidJwk;
    signer: JwsSigner;
    bundle: SpiffileBundle;
    stamp: string;
    now: number;
  }) {
    this.trustDomain = init.config.trustDomain;
    this.root = init.config.root;
    this.refreshHintSeconds = init.config.refreshHintSeconds;
    this.issuerJwk = init.issuerJwk;
    this.signer = init.signer;
    this.#files = init.files;
    this.#views = this.#render(init.bundle);
    this.#stamp = init.stamp;
    this.#lastCheck = init.now;
  }

  #render(bundle: SpiffileBundle): _Views {
    return {
      bundle,
      spiffeJson: JSON.stringify(
        spiffeBundleDocument([this.issuerJwk], {
          sequence: bundle.sequence,
          refreshHintSeconds: this.refreshHintSeconds,
        }),
      ),
      spiffileJson: JSON.stringify(spiffileBundleDocument(bundle)),
    };
  }

  /** The current views; re-reads the root's bundle when its file changed. */
  async views(nowMs: number): Promise<_Views> {
    if (this.root !== undefined && nowMs - this.#lastCheck >= ROOT_POLL_MS) {
      this.#lastCheck = nowMs;
      this.#checking ??= this.#refresh().finally(() => (this.#checking = undefined));
      await this.#checking;
    }
    return this.#views;
  }

  async #refresh(): Promise<void> {
    const path = `${this.root}/${BUNDLE_FILE}`;
    const st = await this.#files.stat(path);
    const stamp = st === undefined ? "missing" : `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp === this.#stamp) return;
    try {
      const b = await readRootBundle(this.root!, this.#files);
      if (b.trustDomain === this.trustDomain) this.#views = this.#render(b);
    } catch {
      // A broken or missing bundle keeps the last good one (a bad reload keeps serving).
    }
    this.#stamp = stamp;
  }

  /**
   * Make sure the issuer's key is bound to `id` in the spiffile bundle, writing the root's
   * bundle (atomically, under its lock) when it is not yet.
   */
  async ensureBound(id: string, nowMs: number): Promise<void> {
    const views = await this.views(nowMs);
    if (views.bundle.identities.get(id)?.some((k) => k.kid === this.issuerJwk.kid)) return;
    let next: SpiffileBundle;
    if (this.root === undefined) {
      const m = new Map(views.bundle.identities);
      m.set(id, [...(m.get(id) ?? []), this.issuerJwk]);
      next = { ...views.bundle, identities: m, sequence: views.bundle.sequence + 1 };
    } else {
      next = await bindToIdentities(this.root, [id], this.issuerJwk, { files: this.#files });
      const st = await this.#files.stat(`${this.root}/${BUNDLE_FILE}`);
      this.#stamp = st === undefined ? "missing" : `${st.mtimeMs}:${st.size}:${st.ino}`;
    }
    this.#views = this.#render(next);
  }
}

async function _issuerKeyPem(
  config: SpiffeConfig,
  files: SpiffeFiles,
  notices: AuthorityNotice[],
): Promise<{ pem: string; generated: boolean }> {
  const path = config.keyPath ?? (config.root ? `${config.root}/${ISSUER_KEY_FILE}` : undefined);
  if (path === undefined) {
    notices.push({
      level: "warn",
      event: "spiffe_issuer_key_ephemeral",
      fields: { message: "No spiffe.root or spiffe.key_path: the SVID issuer key lasts this run" },
    });
    return { pem: await generateSvidKeyPem(), generated: true };
  }
  const make = async (): Promise<{ pem: string; generated: boolean }> => {
    const existing = await files.readText(path);
    if (existing !== undefined) return { pem: existing, generated: false };
    const pem = await generateSvidKeyPem();
    await files.mkdirp(path.slice(0, path.lastIndexOf("/")) || "/", 0o700);
    await files.writeAtomic(path, pem, 0o600);
    notices.push({ level: "info", event: "spiffe_issuer_key_generated", fields: { path } });
    return { pem, generated: true };
  };
  return config.root === undefined ? await make() : await withRootLock(config.root, files, make);
}

/** Build the server's SPIFFE state from the `spiffe` config section. */
export async function buildSpiffeAuthority(
  config: SpiffeConfig,
  options: { files?: SpiffeFiles; notices?: AuthorityNotice[]; now?: number; source?: string } = {},
): Promise<SpiffeAuthority> {
  const files = options.files ?? nodeFiles;
  const notices = options.notices ?? [];
  const now = options.now ?? Date.now();
  const fail = (field: string, problem: string) =>
    new KeypebbleError(
      "config_invalid",
      `${options.source ?? "config"}: spiffe.${field}: ${problem}`,
    );
  let bundle: SpiffileBundle;
  if (config.root !== undefined) {
    try {
      bundle = await readRootBundle(config.root, files);
    } catch (e) {
      throw fail("root", (e as Error).message);
    }
    if (bundle.trustDomain !== config.trustDomain) {
      throw fail(
        "root",
        `"${config.root}" belongs to trust domain "${bundle.trustDomain}", not "${config.trustDomain}"`,
      );
    }
  } else {
    // No root: the spiffile view lives in memory; seconds since the epoch keep the sequence
    // increasing across restarts.
    bundle = {
      trustDomain: config.trustDomain,
      identities: new Map(),
      sequence: Math.floor(now / 1000),
    };
  }
  const { pem, generated } = await _issuerKeyPem(config, files, notices);
  let jwk: SvidJwk;
  try {
    jwk = (await importSvidPrivateKeyPem(pem)).jwk;
  } catch (e) {
    throw fail(
      "key_path",
      `the SVID issuer key must be a PKCS#8 EC P-256 key: ${(e as Error).message}`,
    );
  }
  const entry = withKid(await importPrivateKeyPem(pem, { alg: "ES256" }), jwk.kid);
  const signer = await JwsSigner.create(entry, { typ: "JWT" });
  if (generated && config.root !== undefined) {
    // A new issuer key changes the SPIFFE bundle: its sequence must move (Trust Domain and
    // Bundle §4.1.1).
    bundle = await bindToIdentities(config.root, [], jwk, { files, bumpSequence: true });
  }
  let stamp = "none";
  if (config.root !== undefined) {
    const st = await files.stat(`${config.root}/${BUNDLE_FILE}`);
    stamp = st === undefined ? "missing" : `${st.mtimeMs}:${st.size}:${st.ino}`;
  }
  return new SpiffeAuthority({ config, files, issuerJwk: jwk, signer, bundle, stamp, now });
}
