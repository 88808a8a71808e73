/**
 * Building the API key service for a process from its config: the store and the pepper. (Its
 * limits and lockout count through the process's limiter, opened by the server.)
 */

import type { Config } from "../config/mod.ts";
import type { Platform } from "../platform/platform.ts";
import type { Store } from "../store/mod.ts";
import { loadOrCreatePepper, openConfiguredStore, requireStoreConfig } from "./open.ts";
import { readKeyguardSecret } from "./keyguard_secret.ts";
import { ApiKeyService } from "./service.ts";

/** Open everything the API key service needs. Closes what it opened when a later step fails. */
export async function startApiKeys(
  platform: Platform,
  config: Config,
  options: {
    now?: () => number;
    /** `check` in a worker of `serve --workers N`: the main thread migrated already. */
    schema?: "migrate" | "check";
  } = {},
): Promise<{ service: ApiKeyService; pepperCreated: boolean; close(): Promise<void> }> {
  const sc = requireStoreConfig(config);
  const now = options.now ?? (() => Date.now());
  const store: Store = await openConfiguredStore(
    platform,
    config,
    options.schema === undefined ? {} : { schema: options.schema },
  );
  try {
    const { pepper, created } = await loadOrCreatePepper(platform, sc, store);
    const keyguardSecret = sc.keyguardSecretKeyPath === undefined
      ? undefined
      : await readKeyguardSecret(platform, sc.keyguardSecretKeyPath);
    const service = new ApiKeyService({
      store,
      pepper,
      config: sc,
      now,
      ...(keyguardSecret === undefined ? {} : { keyguardSecret }),
    });
    return {
      service,
      pepperCreated: created,
      async close() {
        await service.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}
