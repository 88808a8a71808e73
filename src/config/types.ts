/**
 * The typed, validated and frozen configuration. Everything here has already been checked by
 * `parseConfig`; inner code trusts these types.
 */

import type { Alg, JweAlg, JweEnc } from "../jose/mod.ts";
import type { FernetConfig } from "./fernet.ts";
import type { ProfilesConfig } from "./profiles.ts";
import type { SpiffeConfig } from "./spiffe.ts";
import type { SharedLimitsConfig, StoreConfig } from "./store.ts";
import type { AccountsConfig, OAuthConfig } from "./accounts.ts";

/** How a key's `kid` header is chosen. */
export type KidMode =
  | { readonly mode: "none" }
  | { readonly mode: "literal"; readonly value: string }
  | { readonly mode: "thumbprint" }
  | { readonly mode: "libtrust" };

/** One signing or verification key, as written in the config. */
export type KeySpec =
  | {
    readonly kind: "pem";
    /** Path of a PEM private key (PKCS#8, PKCS#1 or SEC1). */
    readonly path: string;
    readonly alg?: Alg;
    readonly kid: KidMode;
    /** PEM certificate chain, leaf first, sent as the `x5c` header. */
    readonly x5cChainPath?: string;
    /** Generate the key file when missing (development only). */
    readonly generateIfMissing: boolean;
    /** Where in the config this key came from, for error messages. */
    readonly field: string;
    /**
     * Published in the JWKS but never signing (a key rotation's next key, docs/keys.md "Keys and
     * rotation"); never the first key.
     */
    readonly staged?: boolean;
  }
  | {
    readonly kind: "hmac";
    /** The secret itself (from the YAML) or undefined when `secretPath` is used. */
    readonly secret?: string;
    readonly secretPath?: string;
    readonly kid: KidMode;
    readonly field: string;
    /** The inline secret had surrounding whitespace, removed as the Python Keypebble does. */
    readonly stripped?: boolean;
  };

/**
 * One of our encryption keys (`keys:` entry with `use: enc`): never signs; published in the
 * JWKS with `use: "enc"` and its `alg`; decrypts JWEs sent to us with exactly its `alg`/`enc`.
 */
export interface EncKeySpec {
  /** Path of a private key: PEM (PKCS#8, PKCS#1, SEC1) or a private JWK. */
  readonly path: string;
  readonly alg: Exclude<JweAlg, "dir">;
  readonly enc: JweEnc;
  readonly kid: KidMode;
  /** Where in the config this key came from, for error messages. */
  readonly field: string;
}

/** Something `keypebble check` and the start log report without refusing the config. */
export interface ConfigWarning {
  /** The field or variable concerned, e.g. `policy_path` or `KEYPEBBLE_PROT`. */
  readonly field: string;
  readonly message: string;
}

/** A Python Keypebble key or behaviour met in a config, for `keypebble check`. */
export type CompatNote = ConfigWarning;

/**
 * A named per-address limit of an application's own route (`limits.routes.NAME`), asked for by a
 * gateway with `GET /forward-auth?limit=NAME`: at most `requests` calls per `windowSeconds`; with
 * `lockAfter`, that many failures within `windowSeconds` (a call refused by the limit, or one
 * the application reports) lock the address out of this limit for `lockSeconds`.
 */
export interface RouteLimit {
  readonly requests: number;
  readonly windowSeconds: number;
  readonly lockAfter?: number;
  readonly lockSeconds: number;
}

/** Sliding-window rate limit. */
export interface RateLimitSpec {
  readonly requests: number;
  readonly windowSeconds: number;
}

/** `service.tls`: HTTPS in the binary (src/tls/). Paths are resolved like every other path. */
export interface TlsConfig {
  /** PEM certificate chain, leaf first. */
  readonly certPath: string;
  /** PEM private key of the leaf (PKCS#8, PKCS#1 or SEC1, unencrypted). */
  readonly keyPath: string;
  /** PEM bundle of the CAs that client certificates must chain to (mTLS). */
  readonly clientCaPath?: string;
  /**
   * With `clientCaPath`: `required` (default) refuses a handshake without a valid client
   * certificate; `optional` also lets clients without one in (a presented certificate must still
   * be valid).
   */
  readonly clientCertificates: "required" | "optional";
}

/** Kinds whose endpoints may be opened to anonymous callers. */
export type AnonymousKind = "auth" | "command" | "kubernetes" | "svid";

/** Which issuing endpoints require an authenticated caller. */
export interface RequireAuth {
  readonly auth: boolean;
  readonly command: boolean;
  readonly kubernetes: boolean;
}

/** The whole validated configuration. */
export interface Config {
  /** File the config was read from (for messages). */
  readonly source: string;
  readonly issuer: string;
  readonly audience?: string;
  /** Registry `service` values accepted at /v2/token. */
  readonly services: readonly string[];
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  /** Signing key first, then keys kept for verification and publication only. */
  readonly keys: readonly KeySpec[];
  /** `keys:` entries with `use: enc`, in order (see {@link EncKeySpec}). */
  readonly encryptionKeys: readonly EncKeySpec[];
  readonly staticClaims: Readonly<Record<string, unknown>>;
  /** When set, the only request claims /auth will sign. */
  readonly allowedCustomClaims?: readonly string[];
  readonly host: string;
  readonly port: number;
  /** `service.tls`: serve HTTPS; absent: plain HTTP. */
  readonly tls?: TlsConfig;
  readonly policyPath?: string;
  readonly trustedProxies: readonly string[];
  /**
   * The header a trusted proxy names its client in (lower case; default `x-forwarded-for`, whose
   * rightmost entry that is not itself a trusted proxy is the client).
   */
  readonly trustedProxyHeader: string;
  /**
   * Kinds whose endpoints answer anonymous callers on a listener that is not loopback (closed
   * unless opened); on a loopback listener every kind's anonymous rule applies as configured.
   */
  readonly anonymous: readonly AnonymousKind[];
  readonly realm: string;
  readonly requireAuth: RequireAuth;
  /** Per address and per principal; `undefined` disables that limit. */
  readonly rateLimit: {
    readonly perAddress?: RateLimitSpec;
    readonly perPrincipal?: RateLimitSpec;
  };
  readonly lockout: {
    readonly enabled: boolean;
    readonly maxFailures: number;
    readonly windowSeconds: number;
    readonly lockSeconds: number;
  };
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxScopes: number;
    readonly maxHeaderBytes: number;
    readonly maxJsonDepth: number;
    /** Named per-address limits for gateways (`GET /forward-auth?limit=NAME`, issue 22). */
    readonly routes: Readonly<Record<string, RouteLimit>>;
  };
  readonly logLevel: "debug" | "info" | "warn" | "error";
  /** `max-age` of the JWKS and discovery documents. */
  readonly jwksMaxAgeSeconds: number;
  /** Poll the config, key and policy files and reload on change. */
  readonly watch: boolean;
  /**
   * `metrics.org_labels`: label per-organisation series with the organisation's name. Off by
   * default: whoever can scrape `/metrics` would otherwise read every tenant's name.
   */
  readonly metrics: { readonly orgLabels: boolean };
  /** `KEYPEBBLE_*` variables applied over the file. */
  readonly envOverrides: readonly { readonly name: string; readonly field: string }[];
  /** Python Keypebble keys and behaviours met (accepted; listed by `keypebble check`). */
  readonly compat: readonly CompatNote[];
  /** Accepted, but probably not what was meant (logged at start, listed by `check`). */
  readonly warnings: readonly ConfigWarning[];
  /** Per token kind overrides (`profiles:`, see src/config/profiles.ts). */
  readonly profiles: ProfilesConfig;
  /** Base URL for discovery when `issuer` is not a URL. */
  readonly publicUrl?: string;
  /** The `spiffe` section (src/config/spiffe.ts), when present. */
  readonly spiffe?: SpiffeConfig;
  /** The state store (API keys, organisations, usage, blocks); absent: stateless. */
  readonly store?: StoreConfig;
  /** Counters shared by a fleet through Redis; absent: in memory. */
  readonly sharedLimits?: SharedLimitsConfig;
  /** Stored accounts with pico-auth's API (issue 13); absent: no accounts. */
  readonly accounts?: AccountsConfig;
  /** Declared OAuth2 clients and trusted issuers (issue 13). */
  readonly oauth?: OAuthConfig;
  /** The Fernet key repository and token lifetime (`fernet:`), when set. */
  readonly fernet?: FernetConfig;
}
