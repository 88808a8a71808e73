/**
 * What the core handler is given (long-lived services that survive reloads) and what each request
 * carries through its route. The services here are the ones every server has; the features'
 * services extend this bag (`src/trust/services.ts`), and routes are typed over the extended one.
 */

import type { Caller, ClientAddress } from "../identity/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { KeypebbleMetrics } from "../metrics/mod.ts";
import type { Runtime } from "../runtime/mod.ts";

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
  readonly reloadStatus: () => ReloadStatus;
  /** False once the server is draining (SIGTERM): `/readyz` answers 503. */
  readonly ready?: () => boolean;
  readonly version: string;
  readonly runtimeName: string;
}

/** The verified client certificate of a TLS connection (mTLS), when the adapter has one. */
export interface PeerCertificate {
  /** The subject distinguished name, e.g. `CN=edge-7,O=Example`. */
  readonly subject: string;
  /** URI subject alternative names (a SPIFFE ID is one). */
  readonly sanUris: readonly string[];
  /** DNS subject alternative names. */
  readonly sanDns: readonly string[];
}

/** Connection facts from the server adapter. */
export interface ConnInfo {
  /** The peer's IP address as the socket saw it. */
  readonly remoteAddr: string;
  /** The client certificate the TLS layer verified, when mTLS is on and one was presented. */
  readonly peerCertificate?: PeerCertificate;
}

/**
 * What a handler learned for its route's audit event (`RouteDecl.audit`), beyond what the
 * declaration finds: the target it created, the organisation of what it changed, details.
 */
export interface AuditNote {
  /** Another action than the declaration's (when the request decides it). */
  action?: string;
  target?: string;
  org?: string;
  details?: Record<string, unknown>;
  /** Nothing changed (a revocation of a token that was not valid): record nothing. */
  skip?: boolean;
}

/** Everything a route needs for one request. */
export interface RequestContext<S extends Services = Services> {
  readonly req: Request;
  /** The request URL, parsed (route paths are matched on the raw path, see route.ts). */
  readonly url: URL;
  /** The query parameters: `url.searchParams`, or an empty set when the URL has no query. */
  readonly query: URLSearchParams;
  readonly rt: Runtime;
  readonly services: S;
  readonly info: ConnInfo;
  /** The TCP peer. */
  readonly peer: string;
  /** The peer is inside `trusted_proxies` (worked out once per request). */
  readonly peerIsTrustedProxy: boolean;
  /** The one client address (src/identity/address.ts), worked out once per request. */
  readonly client: ClientAddress;
  /** Seconds since the epoch, read once per request. */
  readonly nowSec: number;
  readonly params: Readonly<Record<string, string>>;
  /** Set by the authentication step: the caller, or null when anonymous. */
  caller: Caller | null;
  /** The JSON object body, when the route declares `json` (empty otherwise). */
  json: Readonly<Record<string, unknown>>;
  /** The JSON body as any value, when the route declares `json_value`. */
  jsonValue: unknown;
  /** The form body, when the route declares `form` (empty otherwise). */
  form: URLSearchParams;
  /** Set once the subject is known, for the access log. */
  subject?: string;
  /** Facts for the route's audit event, noted by its handler. */
  audit?: AuditNote;
}
