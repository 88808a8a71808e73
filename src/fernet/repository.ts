/**
 * A Fernet key repository laid out like Keystone's: a directory (mode 0700) of key files (mode
 * 0600) named by number.
 *
 * - `0` is the **staged** key: every instance already accepts it, none signs with it yet;
 * - the **highest** number is the **primary** key: it signs new tokens and verifies;
 * - the numbers in between are **secondary** keys: they only verify tokens made before a
 *   rotation.
 *
 * `rotate` promotes the staged key to primary (renamed to the next number), writes a new staged
 * key `0`, and removes the oldest secondaries so that at most `maxActive` keys remain (staged and
 * primary included; Keystone's `max_active_keys`, default 3 here as there). Because a key is
 * staged on every instance before any instance signs with it, copying the directory to every
 * instance and then rotating one rotation at a time never produces a token another instance
 * cannot read.
 *
 * Each change writes a temporary file and renames it (a reader sees whole files only) and holds
 * `DIR/.lock` (made exclusively) while it runs.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { FernetFiles } from "./files.ts";
import { type FernetKey, importFernetKey, newFernetKeyText } from "./token.ts";

/** Keys kept by `rotate` unless told otherwise: staged, primary and one secondary. */
export const DEFAULT_MAX_ACTIVE_KEYS = 3;
/** The fewest keys `rotate` may keep: fewer would drop the previous primary at once. */
export const MIN_MAX_ACTIVE_KEYS = 3;
/** The most keys a repository may hold. */
export const MAX_KEYS = 100;

const KEY_NAME = /^(0|[1-9][0-9]{0,8})$/;
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/** The keys of a repository, imported: what the server signs and verifies with. */
export interface FernetRepository {
  readonly dir: string;
  /** Signs new tokens (the highest-numbered key). */
  readonly primary: FernetKey;
  /** Every key that verifies: primary first, then secondaries newest first, then staged. */
  readonly keys: readonly FernetKey[];
  /** File names: primary, secondaries, staged (`undefined` when there is no `0`). */
  readonly layout: {
    readonly primary: number;
    readonly secondary: readonly number[];
    readonly staged?: number;
  };
  /** Problems that do not stop the server (file modes), for `check` and the start log. */
  readonly warnings: readonly string[];
}

/** What a setup or rotation did (file names only, never a key). */
export interface RepositoryChange {
  readonly changed: boolean;
  readonly primary: number;
  readonly staged: number;
  readonly removed: readonly number[];
  readonly kept: readonly number[];
}

function _fail(message: string): KeypebbleError {
  return new KeypebbleError("config_invalid", message);
}

function _join(dir: string, name: string | number): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

async function _indexes(files: FernetFiles, dir: string): Promise<number[] | undefined> {
  const names = await files.list(dir);
  if (names === undefined) return undefined;
  return names.filter((n) => KEY_NAME.test(n)).map(Number).sort((a, b) => a - b);
}

async function _withLock<T>(files: FernetFiles, dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = _join(dir, ".lock");
  try {
    await files.writeNew(lock, `${Date.now()}\n`, FILE_MODE);
  } catch {
    throw _fail(
      `${lock} exists: another setup or rotation is running (remove the file if none is)`,
    );
  }
  try {
    return await fn();
  } finally {
    await files.remove(lock);
  }
}

/** Write a new key to `name` atomically (temporary file, then rename). */
async function _writeKey(files: FernetFiles, dir: string, name: number): Promise<void> {
  const tmp = _join(dir, `.tmp-${crypto.randomUUID()}`);
  await files.writeNew(tmp, newFernetKeyText(), FILE_MODE);
  try {
    await files.rename(tmp, _join(dir, name));
  } catch (e) {
    await files.remove(tmp);
    throw e;
  }
}

/**
 * `keypebble fernet setup --dir DIR`: make DIR (0700) a repository with a primary key `1` and a
 * staged key `0`. A repository that already has keys is left as it is (`changed: false`).
 */
export async function setupRepository(
  dir: string,
  files: FernetFiles,
): Promise<RepositoryChange> {
  await files.mkdir(dir, DIR_MODE);
  await files.chmod(dir, DIR_MODE);
  return await _withLock(files, dir, async () => {
    const have = (await _indexes(files, dir)) ?? [];
    if (have.length > 0) {
      return {
        changed: false,
        primary: have[have.length - 1],
        staged: have[0],
        removed: [],
        kept: have,
      };
    }
    // As Keystone's fernet_setup: a staged key, rotated once into the primary.
    await _writeKey(files, dir, 1);
    await _writeKey(files, dir, 0);
    return { changed: true, primary: 1, staged: 0, removed: [], kept: [0, 1] };
  });
}

/**
 * `keypebble fernet rotate --dir DIR [--max-active N]`: the staged key `0` becomes the primary
 * (renamed to the highest number + 1), a new staged key `0` is written, and the oldest secondary
 * keys are removed until at most `maxActive` keys remain.
 *
 * @throws {KeypebbleError} `config_invalid` when DIR is not a repository (no staged key)
 */
export async function rotateRepository(
  dir: string,
  files: FernetFiles,
  options: { maxActive?: number } = {},
): Promise<RepositoryChange> {
  const maxActive = options.maxActive ?? DEFAULT_MAX_ACTIVE_KEYS;
  if (!Number.isInteger(maxActive) || maxActive < MIN_MAX_ACTIVE_KEYS || maxActive > MAX_KEYS) {
    throw _fail(`max active keys must be an integer from ${MIN_MAX_ACTIVE_KEYS} to ${MAX_KEYS}`);
  }
  const have = await _indexes(files, dir);
  if (have === undefined) {
    throw _fail(`${dir} does not exist: run "keypebble fernet setup --dir ${dir}" first`);
  }
  return await _withLock(files, dir, async () => {
    const keys = (await _indexes(files, dir)) ?? [];
    if (!keys.includes(0)) {
      throw _fail(`${dir} has no staged key "0": run "keypebble fernet setup --dir ${dir}"`);
    }
    const primary = Math.max(...keys) + 1;
    // The staged key, which every instance already accepts, starts signing.
    await files.rename(_join(dir, 0), _join(dir, primary));
    await _writeKey(files, dir, 0);
    const kept = [...keys.filter((k) => k !== 0), primary, 0].sort((a, b) => a - b);
    const removed: number[] = [];
    // Oldest secondaries first; never the staged key nor the new primary.
    while (kept.length > maxActive) {
      const oldest = kept.find((k) => k !== 0 && k !== primary)!;
      await files.remove(_join(dir, oldest));
      kept.splice(kept.indexOf(oldest), 1);
      removed.push(oldest);
    }
    return { changed: true, primary, staged: 0, removed, kept };
  });
}

/**
 * Read and import every key of a repository, for the server and the CLI. A missing directory,
 * no key, an unreadable or malformed key file are errors naming the file; group- or
 * world-readable files are warnings.
 *
 * @throws {KeypebbleError} `config_invalid`
 */
export async function loadRepository(
  dir: string,
  files: FernetFiles,
): Promise<FernetRepository> {
  const have = await _indexes(files, dir);
  if (have === undefined) {
    throw _fail(`${dir} does not exist (make it with "keypebble fernet setup --dir ${dir}")`);
  }
  if (have.length === 0) {
    throw _fail(`${dir} holds no key (make them with "keypebble fernet setup --dir ${dir}")`);
  }
  if (have.length > MAX_KEYS) throw _fail(`${dir} holds more than ${MAX_KEYS} keys`);
  const warnings: string[] = [];
  const dirMode = await files.mode(dir);
  if (dirMode !== undefined && (dirMode & 0o077) !== 0) {
    warnings.push(`${dir} is mode 0${dirMode.toString(8)}: chmod 700 it`);
  }
  const byIndex = new Map<number, FernetKey>();
  for (const i of have) {
    const path = _join(dir, i);
    const text = await files.readText(path);
    if (text === undefined) throw _fail(`${path}: the key file disappeared while reading`);
    try {
      byIndex.set(i, await importFernetKey(text, String(i)));
    } catch (e) {
      throw _fail(`${path}: ${(e as Error).message}`);
    }
    const mode = await files.mode(path);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      warnings.push(`${path} is mode 0${mode.toString(8)}: chmod 600 it`);
    }
  }
  const primary = have[have.length - 1];
  const secondary = have.filter((i) => i !== 0 && i !== primary).reverse();
  const staged = have[0] === 0 && primary !== 0 ? 0 : undefined;
  const order = [primary, ...secondary, ...(staged === undefined ? [] : [staged])];
  return Object.freeze({
    dir,
    primary: byIndex.get(primary)!,
    keys: Object.freeze(order.map((i) => byIndex.get(i)!)),
    layout: Object.freeze({
      primary,
      secondary: Object.freeze(secondary),
      ...(staged === undefined ? {} : { staged }),
    }),
    warnings: Object.freeze(warnings),
  });
}

/** The key files a repository's change would be seen through (for the file watcher). */
export function repositoryFiles(repo: FernetRepository): string[] {
  const l = repo.layout;
  return [l.primary, ...l.secondary, ...(l.staged === undefined ? [] : [l.staged])].map((i) =>
    _join(repo.dir, i)
  );
}
