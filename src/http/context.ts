/**
 * What the handler is given (long-lived services that survive reloads) and what each request
 * carries through the routes.
 */

import type { AccountService } from "../accounts/service.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import type { CredentialCache } from "../identity/mod.ts";
import type { Counters, Lockout, RateLimiter } from "../limits/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { KeypebbleMetrics } from "../metrics/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { IssuerKeyCache } from "../oauth/issuer_keys.ts";

/** Outcome of the latest reload attempt, for /healthz and /readyz. */
export interface ReloadStatus {
  readonly outcome: "none" | "success" | "failure";
  /** ISO time of the attempt, when there was one. */
  readonly at?: string;
  /** Why the last reload failed (operator-facing; never includes secrets). */
  readonly error?: string;
}

/** Long-lived state shared by every request; it outlives reloads. */
export interface Services {
  /** The current runtime; read once per request. */
  readonly runtime: () => Runtime;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly metrics: KeypebbleMetrics;
  readonly logger: Logger;
  readonly addressLimiter: RateLimiter;
  readonly principalLimiter: RateLimiter;
  readonly lockout: Lockout;
  readonly credentials: CredentialCache;
  readonly reloadStatus: () => ReloadStatus;
  readonly version: string;
  readonly runtimeName: string;
  /**
   * Fleet mode (`shared_limits.redis_url`): the per-address and per-principal rate limits and the
   * sign-in lockout are counted here, for every instance, instead of in this process.
   */
  readonly shared?: Counters;
  /** API keys, organisations and blocks, when a store is configured (it outlives reloads). */
  readonly apiKeys?: ApiKeyService;
  /** Stored accounts (issue 13), when the config has an `accounts` section. */
  readonly accounts?: AccountService;
  /** Trusted issuers' keys for token exchange (issue 13), fetched and cached. */
  readonly issuerKeys?: IssuerKeyCache;
}

/** Connection facts from the server adapter. */
export interface ConnInfo {
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddr: string;
  /** The client certificate a TLS handshake verified (`service.tls.client_ca_path`). */
  readonly peerCertificate?: import("../platform/platform.ts").PeerCertificate;
}

/** Everything a route needs for one request. */
export interface RequestContext {
  readonly req: Request;
  /** The request URL, parsed (route paths are matched on the raw path, see routes.ts). */
  readonly url: URL;
  /** The query parameters: `url.searchParams`, or an empty set when the URL has no query. */
  readonly query: URLSearchParams;
  readonly rt: Runtime;
  readonly services: Services;
  readonly peer: string;
  /** The peer is inside `trusted_proxies` (worked out once per request). */
  readonly peerIsTrustedProxy: boolean;
  /** Seconds since the epoch, read once per request. */
  readonly nowSec: number;
  readonly params: Readonly<Record<string, string>>;
  /** Set once the caller is known, for the access log. */
  subject?: string;
}
