/**
 * An in-process Keypebble with API keys: the test handler over a SQLite store (in memory or a
 * file shared by several "instances"), an adjustable clock, and a lockout after 5 bad keys (unless
 * `extraYaml` sets `lockout`).
 */

import { ApiKeyService } from "../../src/apikeys/service.ts";
import type { StoreConfig } from "../../src/config/mod.ts";
import type { Limits } from "../../src/limits/mod.ts";
import { openDenoSqlite } from "../../src/platform/sqlite_deno.ts";
import { openStore, type Store } from "../../src/store/mod.ts";
import { makeTestHandler, type TestHandler } from "./handler.ts";

/** A 32-byte HS256 secret for test configs. */
export const SECRET = "s".repeat(40);
/** The pepper used by test services. */
export const PEPPER = new TextEncoder().encode("p".repeat(40));

/** A test instance with API keys. */
export interface KeyTestInstance extends TestHandler {
  readonly svc: ApiKeyService;
  readonly store: Store;
  /** Move the clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Build an instance; `storeUrl` defaults to a private in-memory SQLite. */
export async function makeKeyInstance(
  options: {
    storeUrl?: string;
    extraYaml?: string;
    files?: Record<string, string>;
    clock?: { t: number };
    cacheSeconds?: number;
    acceptedPrefixes?: string[];
    /** Further `store` settings (e.g. the defaults of new keys). */
    store?: Partial<StoreConfig>;
    /** The limits (default this instance's memory). */
    limits?: Limits;
  } = {},
): Promise<KeyTestInstance> {
  const clock = options.clock ?? { t: Date.UTC(2026, 5, 10, 12, 0, 5) };
  const now = () => clock.t;
  const store = await openStore(options.storeUrl ?? "sqlite::memory:", {
    sqlite: openDenoSqlite,
    now: Math.floor(now() / 1000),
  });
  const svc = new ApiKeyService({
    store,
    pepper: PEPPER,
    config: {
      url: "sqlite::memory:",
      pepperPath: "/kp/pepper",
      cacheSeconds: options.cacheSeconds ?? 5,
      keyPrefix: "kp_live_",
      acceptedPrefixes: options.acceptedPrefixes ?? ["kp_live_", "kg_live_"],
      tokenTtlSeconds: 900,
      ...options.store,
    },
    now,
  });
  const kp = await makeTestHandler({
    configYaml: `issuer: "https://kp.test"\nhs256_secret_path: secret\n` +
      (options.extraYaml?.includes("lockout:") ? "" : "lockout: { max_failures: 5 }\n") +
      (options.extraYaml ?? ""),
    files: { secret: SECRET, ...(options.files ?? {}) },
    now,
    apiKeys: svc,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    ...kp,
    svc,
    store,
    advance: (ms) => (clock.t += ms),
    close: async () => {
      await svc.close();
      await store.close();
    },
  };
}
