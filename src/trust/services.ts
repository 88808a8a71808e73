/**
 * The services bag every Keypebble route sees: the core's (`src/http/context.ts`) plus the
 * long-lived state of authentication and the features (limiters, lockout, the credential cache,
 * the key and account services, trusted issuers' keys, the revocation list). The composition root
 * (`src/app/services.ts`) builds it; routes are typed over it ({@link Ctx}, {@link AppRoute}).
 */

import type { AccountService } from "../accounts/service.ts";
import type { AuditTrail } from "../audit/mod.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import type { RequestContext, RouteDecl, Services } from "../http/mod.ts";
import type { CredentialCache } from "../identity/mod.ts";
import type { Limits } from "../limits/mod.ts";
import type { OidcKeys } from "../oidc/keys.ts";
import type { IssuerKeyCache } from "./issuer_keys.ts";
import type { RevocationList } from "./revocation.ts";

/** Long-lived state shared by every request; it outlives reloads. */
export interface KeypebbleServices extends Services {
  /**
   * The one limiter and lockout (src/trust/limits.ts): this process's memory, or in fleet mode
   * (`shared_limits.redis_url`) Redis, counting for every instance.
   */
  readonly limits: Limits;
  readonly credentials: CredentialCache;
  /** API keys, organisations and blocks, when a store is configured (it outlives reloads). */
  readonly apiKeys?: ApiKeyService;
  /** Stored accounts, when the config has an `accounts` section. */
  readonly accounts?: AccountService;
  /** Trusted issuers' keys for token exchange, fetched and cached. */
  readonly issuerKeys?: IssuerKeyCache;
  /** Every kind of revocation, as one list checked by every consumer of our tokens. */
  readonly revocations: RevocationList;
  /** The audit trail: the log stream, and the store's writer when there is a store. */
  readonly audit: AuditTrail;
  /**
   * Sign in with Keypebble (issue 24): the CSRF, recovery-code and TOTP-sealing keys, derived
   * once from the store pepper when accounts are configured (`src/oidc/keys.ts`).
   */
  readonly oidcKeys?: Promise<OidcKeys>;
}

/** A request as Keypebble's routes see it. */
export type Ctx = RequestContext<KeypebbleServices>;

/** A route of Keypebble's table. */
export type AppRoute = RouteDecl<KeypebbleServices>;
