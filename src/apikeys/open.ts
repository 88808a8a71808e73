/**
 * Opening the configured store (and its pepper) for `serve` and the CLI, the same way for both.
 */

import type { Config, StoreConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { FileMissingError } from "../runtime/mod.ts";
import { openStore, type Store } from "../store/mod.ts";
import { createPepper, readPepper } from "./pepper.ts";

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
  options: { schema?: "migrate" | "check" | "none" } = {},
): Promise<Store> {
  const sc = requireStoreConfig(config);
  return await openStore(sc.url, {
    ...(platform.openSqlite === undefined ? {} : { sqlite: platform.openSqlite }),
    now: Math.floor(Date.now() / 1000),
    schema: options.schema ?? "migrate",
  });
}

/**
 * Read the pepper, creating it first when it is missing and the store holds no key yet (a fresh
 * set-up). With keys stored, a missing pepper is an error: a new one would orphan every key.
 */
export async function loadOrCreatePepper(
  platform: Platform,
  sc: StoreConfig,
  store: Store,
): Promise<{ pepper: Uint8Array; created: boolean }> {
  try {
    return { pepper: await readPepper(platform, sc.pepperPath), created: false };
  } catch (e) {
    const missing = e instanceof KeypebbleError && /does not exist/.test(e.message);
    if (!missing) throw e;
    if ((await store.apiKeys.list()).length > 0) {
      throw new KeypebbleError(
        "config_invalid",
        `store.pepper_path: "${sc.pepperPath}" is missing but the store holds keys; restore ` +
          "the pepper file (a new one would invalidate every key)",
      );
    }
    try {
      await createPepper(platform, sc.pepperPath);
    } catch (err) {
      if (!(err instanceof FileMissingError)) throw err;
    }
    return { pepper: await readPepper(platform, sc.pepperPath), created: true };
  }
}
