/**
 * Opening the configured store (and its pepper) for `serve` and the CLI, the same way for both.
 */

import type { Config, StoreConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { FileExistsError } from "../runtime/mod.ts";
import { openStore, type Store, type StoreFault } from "../store/mod.ts";
import { createPepper, type PepperVerdict, readPepper, verifyPepper } from "./pepper.ts";

/** The store section of a config, or a clear error when there is none. */
export function requireStoreConfig(config: Config): StoreConfig {
  if (config.store === undefined) {
    throw new KeypebbleError(
      "config_invalid",
      `${config.source}: store: is not configured (add e.g. store: {url: "sqlite:keypebble.db"})`,
    );
  }
  return config.store;
}

/** Open the configured store, migrating it (created on first use) unless told otherwise. */
export async function openConfiguredStore(
  platform: Platform,
  config: Config,
  options: {
    schema?: "migrate" | "check" | "none";
    /** Open for reading only (`check`): nothing is migrated or written. */
    readOnly?: boolean;
    /** Told the engine's reason of every `store_unavailable` failure (for the log). */
    onFault?: (fault: StoreFault) => void;
  } = {},
): Promise<Store> {
  const sc = requireStoreConfig(config);
  return await openStore(sc.url, {
    ...(platform.openSqlite === undefined ? {} : { sqlite: platform.openSqlite }),
    now: Math.floor(Date.now() / 1000),
    schema: options.schema ?? "migrate",
    ...(sc.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: sc.busyTimeoutMs }),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.onFault === undefined ? {} : { onFault: options.onFault }),
  });
}

/** The pepper file's bytes, or undefined when it does not exist (any other problem throws). */
export async function readPepperIfPresent(
  platform: Platform,
  sc: StoreConfig,
): Promise<Uint8Array | undefined> {
  try {
    return await readPepper(platform, sc.pepperPath);
  } catch (e) {
    if (e instanceof KeypebbleError && /does not exist/.test(e.message)) return undefined;
    throw e;
  }
}

/**
 * Read the pepper and verify it against the store's fingerprint ({@link verifyPepper}),
 * creating it first when it is missing and the store is fresh (no fingerprint, no key), and
 * recording its fingerprint when the store has none. With keys or a fingerprint stored, a
 * missing or different pepper is an error saying which.
 */
export async function loadOrCreatePepper(
  platform: Platform,
  sc: StoreConfig,
  store: Store,
): Promise<{ pepper: Uint8Array; created: boolean; verdict: PepperVerdict }> {
  const found = await readPepperIfPresent(platform, sc);
  const verdict = await verifyPepper(store, found, { path: sc.pepperPath, record: true });
  if (verdict !== "create") return { pepper: found!, created: false, verdict };
  try {
    await createPepper(platform, sc.pepperPath);
  } catch (err) {
    if (!(err instanceof FileExistsError)) throw err;
    // Another instance created it first: verify theirs like any other.
  }
  const pepper = await readPepper(platform, sc.pepperPath);
  return {
    pepper,
    created: true,
    verdict: await verifyPepper(store, pepper, { path: sc.pepperPath, record: true }),
  };
}
