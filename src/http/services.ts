/**
 * Assembling the long-lived {@link Services} the handler runs on: metrics, limiters, lockout and
 * the credential cache. The server and the in-process test handler both build them here, so a
 * test exercises exactly what production runs.
 */

import type { AccountService } from "../accounts/service.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import { IssuerKeyCache } from "../oauth/issuer_keys.ts";
import type { Config } from "../config/mod.ts";
import { CredentialCache } from "../identity/mod.ts";
import { type Counters, Lockout, RateLimiter } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createKeypebbleMetrics, type KeypebbleMetrics } from "../metrics/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import type { ReloadStatus, Services } from "./context.ts";

/** Most distinct clients or principals tracked by each limiter before the oldest are evicted. */
const MAX_TRACKED = 10_000;

/** Inputs of {@link createServices}. */
export interface ServicesOptions {
  /** Returns the current runtime (the server swaps it on reload). */
  readonly runtime: () => Runtime;
  /** Lockout thresholds are read once, from the config at start. */
  readonly config: Config;
  readonly logger: Logger;
  /** e.g. `deno 2.5.0`. */
  readonly runtimeName: string;
  readonly now?: () => number;
  readonly reloadStatus?: () => ReloadStatus;
  readonly metrics?: KeypebbleMetrics;
  /** The API key service, when a store is configured. */
  readonly apiKeys?: ApiKeyService;
  /** The account service, when accounts are configured. */
  readonly accounts?: AccountService;
  /** How trusted issuers' JWKS are fetched (tests pass their own). */
  readonly fetchJwks?: typeof fetch;
  /** Shared counters (Redis) in fleet mode. */
  readonly shared?: Counters;
}

/** Build the services for a handler. */
export function createServices(options: ServicesOptions): Services {
  const { config } = options;
  return {
    runtime: options.runtime,
    now: options.now ?? (() => Date.now()),
    metrics: options.metrics ??
      createKeypebbleMetrics({ version: VERSION, runtime: options.runtimeName }),
    logger: options.logger,
    // The window sizes here are defaults only: every check passes the current config's limit.
    addressLimiter: new RateLimiter({ requests: 600, windowSeconds: 60, maxKeys: MAX_TRACKED }),
    principalLimiter: new RateLimiter({ requests: 600, windowSeconds: 60, maxKeys: MAX_TRACKED }),
    lockout: new Lockout({
      maxFailures: config.lockout.maxFailures,
      windowSeconds: config.lockout.windowSeconds,
      lockSeconds: config.lockout.lockSeconds,
      maxKeys: MAX_TRACKED,
    }),
    credentials: new CredentialCache(),
    reloadStatus: options.reloadStatus ?? (() => NEVER_RELOADED),
    version: VERSION,
    runtimeName: options.runtimeName,
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    issuerKeys: new IssuerKeyCache({
      now: options.now ?? (() => Date.now()),
      ...(options.fetchJwks === undefined ? {} : { fetch: options.fetchJwks }),
    }),
    ...(options.shared === undefined ? {} : { shared: options.shared }),
  };
}

/** The status of a runtime never reloaded: one object, so /healthz serialises its body once. */
const NEVER_RELOADED: ReloadStatus = Object.freeze({ outcome: "none" });
