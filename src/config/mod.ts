/**
 * Configuration: YAML text → typed, validated, frozen {@link Config}.
 *
 * @module
 */
export type { Config, KeySpec, KidMode, RateLimitSpec, RequireAuth } from "./types.ts";
export { parseConfig, SERVER_CLAIMS } from "./parse_config.ts";
export type { ConfigEnv, ParseConfigOptions } from "./parse_config.ts";
export { PROFILE_KEYS, readProfiles } from "./profiles.ts";
export type { ProfilesConfig, ProfileSettings } from "./profiles.ts";
export type { SharedLimitsConfig, StoreConfig } from "./store.ts";
export type {
  AccountsConfig,
  OAuthClientConfig,
  OAuthConfig,
  Registration,
  TrustedIssuerConfig,
} from "./accounts.ts";
