/**
 * Configuration: YAML text → typed, validated, frozen {@link Config}.
 *
 * @module
 */
export type { Config, KeySpec, KidMode, RateLimitSpec, RequireAuth } from "./types.ts";
export { parseConfig, SERVER_CLAIMS } from "./parse_config.ts";
export type { ConfigEnv, ParseConfigOptions } from "./parse_config.ts";
export type { SharedLimitsConfig, StoreConfig } from "./store.ts";
export type {
  AccountsConfig,
  OAuthClientConfig,
  OAuthConfig,
  Registration,
  TrustedIssuerConfig,
} from "./accounts.ts";
