/**
 * Assembling the long-lived {@link KeypebbleServices} the handler runs on: metrics, limiters,
 * lockout, the credential cache, trusted issuers' keys and the revocation list, around the key
 * and account services the caller opened. The server and the in-process test handler both build
 * them here, so a test exercises exactly what production runs.
 */

import type { AccountService } from "../accounts/service.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import type { Config } from "../config/mod.ts";
import type { ReloadStatus } from "../http/mod.ts";
import { CredentialCache } from "../identity/mod.ts";
import { type Limits, memoryLimits } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import { createKeypebbleMetrics, type KeypebbleMetrics } from "../metrics/mod.ts";
import { deriveOidcKeys } from "../oidc/keys.ts";
import type { Runtime } from "../runtime/mod.ts";
import { AuditTrail } from "../audit/mod.ts";
import { IssuerKeyCache, type KeypebbleServices, RevocationList } from "../trust/mod.ts";
import { VERSION } from "../version.ts";

/** Most distinct keys each memory table of the limits tracks before the oldest are evicted. */
const MAX_TRACKED = 20_000;

/** Inputs of {@link createServices}. */
export interface ServicesOptions {
  /** Returns the current runtime (the server swaps it on reload). */
  readonly runtime: () => Runtime;
  /** The config at start (the revocation list's periods). */
  readonly config: Config;
  readonly logger: Logger;
  /** e.g. `deno 2.5.0`. */
  readonly runtimeName: string;
  readonly now?: () => number;
  readonly reloadStatus?: () => ReloadStatus;
  /** False once the server drains (SIGTERM): `/readyz` answers 503. */
  readonly ready?: () => boolean;
  readonly metrics?: KeypebbleMetrics;
  /** The API key service, when a store is configured. */
  readonly apiKeys?: ApiKeyService;
  /** The account service, when accounts are configured. */
  readonly accounts?: AccountService;
  /** How trusted issuers' JWKS are fetched (tests pass their own). */
  readonly fetchJwks?: typeof fetch;
  /** The limits: Redis in fleet mode; default this process's memory (one worker). */
  readonly limits?: Limits;
}

/**
 * Build the services for a handler. The revocation list reads the store of the key and account
 * services (they share one), hears of their changes at once, and is re-read when older than
 * `store.cache_seconds`.
 */
export function createServices(options: ServicesOptions): KeypebbleServices {
  const { config } = options;
  const now = options.now ?? (() => Date.now());
  const store = options.apiKeys?.store ?? options.accounts?.store;
  const revocations = new RevocationList({
    ...(store === undefined ? {} : { store }),
    now,
    cacheSeconds: config.store?.cacheSeconds ?? 5,
    // A key's tokens live at most `store.token_ttl_seconds` (capped at a day): revocations
    // older than that concern no live token.
    keyWindowSeconds: Math.max(config.store?.tokenTtlSeconds ?? 900, 86_400),
    logger: options.logger,
  });
  // Sign-in's keys come from the store pepper, derived once (not per request).
  const pepper = options.apiKeys?.pepper;
  const oidcKeys = options.accounts === undefined || pepper === undefined
    ? undefined
    : deriveOidcKeys(pepper);
  // A pepper is at least 32 bytes (checked when it is read), so this does not fail; should it,
  // the sign-in routes answer the error, and nothing is left unhandled meanwhile.
  oidcKeys?.catch(() => {});
  options.apiKeys?.onRevocation((e) => revocations.apply(e));
  options.accounts?.onRevocation((e) => revocations.apply(e));
  return {
    runtime: options.runtime,
    now,
    metrics: options.metrics ??
      createKeypebbleMetrics({ version: VERSION, runtime: options.runtimeName }),
    logger: options.logger,
    // Every check passes the current config's limit or policy: a reload applies at once.
    limits: options.limits ?? memoryLimits({ maxKeys: MAX_TRACKED }),
    credentials: new CredentialCache(),
    reloadStatus: options.reloadStatus ?? (() => NEVER_RELOADED),
    ...(options.ready === undefined ? {} : { ready: options.ready }),
    version: VERSION,
    runtimeName: options.runtimeName,
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    issuerKeys: new IssuerKeyCache({
      now,
      ...(options.fetchJwks === undefined ? {} : { fetch: options.fetchJwks }),
    }),
    revocations,
    // The log stream always; the store's batched writer when there is a store (it lives with the
    // key service, which owns the store and flushes it at shutdown).
    audit: new AuditTrail({
      logger: options.logger,
      now,
      ...(options.apiKeys === undefined ? {} : { sink: options.apiKeys.audit }),
      storeTokens: config.store?.auditTokens ?? true,
    }),
    ...(oidcKeys === undefined ? {} : { oidcKeys }),
  };
}

/** The status of a runtime never reloaded: one object, so /healthz serialises its body once. */
const NEVER_RELOADED: ReloadStatus = Object.freeze({ outcome: "none" });
