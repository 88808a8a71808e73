/**
 * spiffile's files profile: a root directory holding a trust domain's identities.
 *
 * ```
 * DIR/bundle.json             the spiffile bundle document (PROFILE §2), replaced atomically
 * DIR/services/NAME/id        the service's SPIFFE ID, one line
 * DIR/services/NAME/key.pem   its P-256 private key, PKCS#8 PEM, mode 0600
 * DIR/issuer/key.pem          Keypebble's central SVID issuer key (made by `serve`)
 * DIR/.lock                   held while a command changes the root (pid inside)
 * ```
 *
 * Every change takes the lock, reads `bundle.json`, writes files with write-and-rename, and
 * writes `bundle.json` last with `spiffe_sequence` one higher. Keys are written before the bundle
 * that binds them, and a rotation writes the new key beside the old (`key.pem.new`) until the
 * bundle binds both, so a process killed at any point leaves a valid bundle, complete files, and
 * a state that re-running the same command completes.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { parseSpiffileBundle, type SpiffileBundle, spiffileBundleDocument } from "./bundle.ts";
import { generateSvidKeyPem, importSvidPrivateKeyPem, type SvidJwk } from "./ec_keys.ts";
import type { SpiffeFiles } from "./files.ts";
import { InvalidSpiffeIdError, serviceSpiffeId, validateTrustDomain } from "./spiffe_id.ts";

/** Paths inside a root. */
export const BUNDLE_FILE = "bundle.json";
export const SERVICES_DIR = "services";
export const ISSUER_KEY_FILE = "issuer/key.pem";
const LOCK_FILE = ".lock";
const LOCK_WAIT_MS = 30_000;
/** A lock whose holder has not refreshed it for this long is stale. */
export const LOCK_STALE_MS = 5_000;

/** What root operations need. */
export interface RootOptions {
  readonly files: SpiffeFiles;
  /** Called after a new key file is written and before the bundle binding it (tests kill here). */
  readonly afterKeyWritten?: () => Promise<void>;
}

function _j(root: string, ...parts: string[]): string {
  return [root.replace(/\/+$/, "") || "/", ...parts].join("/");
}

function _rootError(message: string): KeypebbleError {
  return new KeypebbleError("invalid_root", message);
}

function _name(name: string, trustDomain: string): string {
  try {
    return serviceSpiffeId(trustDomain, name);
  } catch (e) {
    if (e instanceof InvalidSpiffeIdError) {
      throw new KeypebbleError("invalid_spiffe_id", `Invalid service name: ${e.message}`);
    }
    throw e;
  }
}

/**
 * Read a root's bundle document; strict (any bad entry is an error), since we are its producer.
 * @throws {KeypebbleError} `invalid_root` when DIR is not a spiffile root
 */
export async function readRootBundle(root: string, files: SpiffeFiles): Promise<SpiffileBundle> {
  const text = await files.readText(_j(root, BUNDLE_FILE));
  if (text === undefined) {
    throw _rootError(
      `"${root}" is not a spiffile root (no ${BUNDLE_FILE}); run "keypebble spiffe init" first`,
    );
  }
  try {
    return parseSpiffileBundle(JSON.parse(text), { strict: true });
  } catch (e) {
    throw _rootError(`${_j(root, BUNDLE_FILE)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function _writeBundle(
  root: string,
  files: SpiffeFiles,
  b: { trustDomain: string; identities: ReadonlyMap<string, readonly SvidJwk[]> },
  previousSequence: number,
): Promise<SpiffileBundle> {
  const next: SpiffileBundle = {
    trustDomain: b.trustDomain,
    identities: b.identities,
    sequence: previousSequence + 1,
  };
  await files.writeAtomic(
    _j(root, BUNDLE_FILE),
    JSON.stringify(spiffileBundleDocument(next), null, 2) + "\n",
    0o644,
  );
  return next;
}

/**
 * Run `fn` holding the root's lock file (created exclusively). The holder refreshes the file's
 * modification time every second; a lock not refreshed for {@link LOCK_STALE_MS} belongs to a
 * process that died (killed mid-command) and is taken over. Needs no permission beyond the
 * root's files.
 */
export async function withRootLock<T>(
  root: string,
  files: SpiffeFiles,
  fn: () => Promise<T>,
): Promise<T> {
  const path = _j(root, LOCK_FILE);
  const me = `${files.pid()} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0;; attempt++) {
    if (await files.createExclusive(path, me)) break;
    const held = await files.readText(path);
    const st = await files.stat(path);
    if (held !== undefined && st !== undefined && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
      // Re-read just before removing, so a lock freshly taken by someone else survives.
      if (await files.readText(path) === held) await files.remove(path);
      continue;
    }
    if (Date.now() > deadline) {
      const pid = (held ?? "").split(" ")[0] || "?";
      throw _rootError(`"${path}" is held by process ${pid}; try again later`);
    }
    await new Promise((r) => setTimeout(r, 10 + Math.floor(Math.random() * 30) + attempt));
  }
  const heartbeat = setInterval(() => void files.touch(path), 1000);
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await files.remove(path);
  }
}

/**
 * `spiffe init`: make DIR a spiffile root for `trustDomain` (an empty bundle). Safe to re-run
 * for the same trust domain; refuses a directory holding anything else, and another trust domain.
 */
export async function initRoot(
  root: string,
  trustDomain: string,
  options: RootOptions,
): Promise<{ created: boolean }> {
  const { files } = options;
  try {
    validateTrustDomain(trustDomain);
  } catch (e) {
    throw new KeypebbleError("invalid_spiffe_id", (e as Error).message);
  }
  const st = await files.stat(root);
  if (st !== undefined && !st.isDirectory) {
    throw _rootError(`"${root}" exists and is not a directory`);
  }
  if (st !== undefined && await files.stat(_j(root, BUNDLE_FILE)) !== undefined) {
    const b = await readRootBundle(root, files);
    if (b.trustDomain !== trustDomain) {
      throw _rootError(
        `"${root}" is already the root of trust domain "${b.trustDomain}", not "${trustDomain}"`,
      );
    }
    return { created: false };
  }
  // What an interrupted init leaves (an empty services/, a lock) may be completed; anything
  // else belongs to someone else.
  const leftovers = st === undefined ? [] : await files.list(root);
  const foreign = leftovers.filter((n) => n !== ".lock" && n !== SERVICES_DIR);
  if (leftovers.includes(SERVICES_DIR) && (await files.list(_j(root, SERVICES_DIR))).length > 0) {
    foreign.push(SERVICES_DIR);
  }
  if (foreign.length > 0) {
    throw _rootError(
      `"${root}" is not empty and is not a spiffile root (no ${BUNDLE_FILE}); refusing to touch it`,
    );
  }
  await files.mkdirp(_j(root, SERVICES_DIR), 0o755);
  return await withRootLock(root, files, async () => {
    if (await files.stat(_j(root, BUNDLE_FILE)) !== undefined) return { created: false };
    await _writeBundle(root, files, { trustDomain, identities: new Map() }, 0);
    return { created: true };
  });
}

async function _serviceKey(path: string, files: SpiffeFiles): Promise<SvidJwk | undefined> {
  const pem = await files.readText(path);
  if (pem === undefined) return undefined;
  try {
    return (await importSvidPrivateKeyPem(pem)).jwk;
  } catch (e) {
    throw _rootError(`${path}: ${(e as Error).message}`);
  }
}

function _bind(
  b: SpiffileBundle,
  id: string,
  jwk: SvidJwk,
): Map<string, readonly SvidJwk[]> | undefined {
  const keys = b.identities.get(id) ?? [];
  if (keys.some((k) => k.kid === jwk.kid)) return undefined;
  const m = new Map(b.identities);
  m.set(id, [...keys, jwk]);
  return m;
}

/** Result of a change to one service. */
export interface ServiceChange {
  readonly id: string;
  /** True when the command changed something (false: it was already so). */
  readonly changed: boolean;
  /** The service's current key id. */
  readonly kid?: string;
  /** Key ids dropped from the bundle. */
  readonly dropped?: readonly string[];
  readonly sequence: number;
}

/** Service NAME's SPIFFE ID (checked against the bundle's trust domain) and its directory. */
async function _serviceTarget(
  root: string,
  name: string,
  files: RootOptions["files"],
): Promise<{ id: string; dir: string }> {
  const first = await readRootBundle(root, files);
  return { id: _name(name, first.trustDomain), dir: _j(root, SERVICES_DIR, name) };
}

/**
 * `spiffe add-service NAME`: a new P-256 key, the ID file, and the key bound to the ID in the
 * bundle. Re-running for an existing service changes nothing (and completes an interrupted run).
 */
export async function addService(
  root: string,
  name: string,
  options: RootOptions,
): Promise<ServiceChange> {
  const { files } = options;
  const { id, dir } = await _serviceTarget(root, name, files);
  return await withRootLock(root, files, async () => {
    const b = await readRootBundle(root, files);
    const dst = await files.stat(dir);
    if (dst !== undefined && !dst.isDirectory) throw _rootError(`"${dir}" is not a directory`);
    let jwk = await _serviceKey(_j(dir, "key.pem"), files);
    let changed = false;
    if (jwk === undefined) {
      await files.mkdirp(dir, 0o755);
      const pem = await generateSvidKeyPem();
      await files.writeAtomic(_j(dir, "key.pem"), pem, 0o600);
      jwk = (await importSvidPrivateKeyPem(pem)).jwk;
      changed = true;
    }
    if ((await files.readText(_j(dir, "id")))?.trim() !== id) {
      await files.writeAtomic(_j(dir, "id"), id + "\n", 0o644);
      changed = true;
    }
    if (changed && options.afterKeyWritten) await options.afterKeyWritten();
    const m = _bind(b, id, jwk);
    let sequence = b.sequence;
    if (m !== undefined) {
      sequence =
        (await _writeBundle(root, files, { trustDomain: b.trustDomain, identities: m }, b.sequence))
          .sequence;
      changed = true;
    }
    return { id, changed, kid: jwk.kid, sequence };
  });
}

async function _requireService(dir: string, name: string, files: SpiffeFiles): Promise<SvidJwk> {
  const jwk = await _serviceKey(_j(dir, "key.pem"), files);
  if (jwk === undefined) {
    throw new KeypebbleError("not_found", `Service "${name}" does not exist in this root`);
  }
  return jwk;
}

/**
 * `spiffe rotate-service NAME`: a new key; the bundle binds old and new (the overlap, PROFILE
 * §5) before the service's key file switches to the new one.
 *
 * With `revokeOld`: every key bound to the ID other than the service's current key (and the
 * central issuer's) leaves the bundle. When there is nothing older to drop, it first rotates, so
 * `--revoke-old` alone replaces a compromised key at once.
 */
export async function rotateService(
  root: string,
  name: string,
  options: RootOptions & { revokeOld?: boolean },
): Promise<ServiceChange> {
  const { files } = options;
  const { id, dir } = await _serviceTarget(root, name, files);
  return await withRootLock(root, files, async () => {
    let b = await readRootBundle(root, files);
    let current = await _requireService(dir, name, files);
    const issuerKid = (await _serviceKey(_j(root, ISSUER_KEY_FILE), files))?.kid;
    const bound = b.identities.get(id) ?? [];
    const older = bound.filter((k) => k.kid !== current.kid && k.kid !== issuerKid);
    if (!options.revokeOld || older.length === 0) {
      // A leftover key.pem.new is a rotation interrupted before its switch: finish that one.
      const nextPath = _j(dir, "key.pem.new");
      let next = await _serviceKey(nextPath, files);
      if (next === undefined) {
        const pem = await generateSvidKeyPem();
        await files.writeAtomic(nextPath, pem, 0o600);
        next = (await importSvidPrivateKeyPem(pem)).jwk;
        if (options.afterKeyWritten) await options.afterKeyWritten();
      }
      const m = _bind(b, id, next) ?? new Map(b.identities);
      if (!m.has(id)) m.set(id, [next]);
      b = await _writeBundle(
        root,
        files,
        { trustDomain: b.trustDomain, identities: m },
        b.sequence,
      );
      await files.rename(nextPath, _j(dir, "key.pem"));
      current = next;
      if (!options.revokeOld) return { id, changed: true, kid: next.kid, sequence: b.sequence };
    }
    const keep = (b.identities.get(id) ?? []).filter((k) =>
      k.kid === current.kid || k.kid === issuerKid
    );
    const dropped = (b.identities.get(id) ?? []).filter((k) => !keep.includes(k)).map((k) => k.kid);
    const m = new Map(b.identities);
    m.set(id, keep.length > 0 ? keep : [current]);
    b = await _writeBundle(root, files, { trustDomain: b.trustDomain, identities: m }, b.sequence);
    return { id, changed: true, kid: current.kid, dropped, sequence: b.sequence };
  });
}

/**
 * `spiffe remove-service NAME`: the ID leaves the bundle (so its tokens stop verifying, PROFILE
 * §5), then its files go. Re-running when it is gone changes nothing.
 */
export async function removeService(
  root: string,
  name: string,
  options: RootOptions,
): Promise<ServiceChange> {
  const { files } = options;
  const { id, dir } = await _serviceTarget(root, name, files);
  return await withRootLock(root, files, async () => {
    const b = await readRootBundle(root, files);
    let changed = false;
    let sequence = b.sequence;
    if (b.identities.has(id)) {
      const m = new Map(b.identities);
      m.delete(id);
      sequence =
        (await _writeBundle(root, files, { trustDomain: b.trustDomain, identities: m }, b.sequence))
          .sequence;
      changed = true;
    }
    for (const f of ["key.pem", "key.pem.new", "id"]) {
      if (await files.stat(_j(dir, f)) !== undefined) {
        await files.remove(_j(dir, f));
        changed = true;
      }
    }
    // Leave directories that still hold other services (sensors/ for sensors/t-1).
    for (let d = name; d !== ""; d = d.includes("/") ? d.slice(0, d.lastIndexOf("/")) : "") {
      const p = _j(root, SERVICES_DIR, d);
      if ((await files.list(p)).length > 0) break;
      await files.remove(p);
    }
    return { id, changed, sequence };
  });
}

/** `spiffe service-env NAME`: the PROFILE §1.1 variables for a provisioned service. */
export async function serviceEnv(
  root: string,
  name: string,
  options: RootOptions,
): Promise<Record<string, string>> {
  const { files } = options;
  const b = await readRootBundle(root, files);
  _name(name, b.trustDomain);
  const dir = _j(root, SERVICES_DIR, name);
  await _requireService(dir, name, files);
  return {
    SPIFFILE_ID_FILE: files.absolute(_j(dir, "id")),
    SPIFFILE_KEY_FILE: files.absolute(_j(dir, "key.pem")),
    SPIFFILE_BUNDLE_FILE: files.absolute(_j(root, BUNDLE_FILE)),
  };
}

/**
 * Bind `jwk` to each of `ids` in the root's bundle (the central issuer's key, PROFILE §2.1),
 * written atomically under the lock; returns the bundle as now on disk.
 */
export async function bindToIdentities(
  root: string,
  ids: readonly string[],
  jwk: SvidJwk,
  options: { files: SpiffeFiles; bumpSequence?: boolean },
): Promise<SpiffileBundle> {
  const { files } = options;
  return await withRootLock(root, files, async () => {
    const b = await readRootBundle(root, files);
    let m: Map<string, readonly SvidJwk[]> | undefined;
    for (const id of ids) {
      const next = _bind({ ...b, identities: m ?? b.identities }, id, jwk);
      if (next !== undefined) m = next;
    }
    if (m === undefined && !options.bumpSequence) return b;
    return await _writeBundle(
      root,
      files,
      { trustDomain: b.trustDomain, identities: m ?? b.identities },
      b.sequence,
    );
  });
}
