/**
 * Configuration: YAML text → typed, validated, frozen {@link Config}.
 *
 * @module
 */
export type {
  CompatNote,
  Config,
  ConfigWarning,
  KeySpec,
  KidMode,
  RateLimitSpec,
  RequireAuth,
  TlsConfig,
} from "./types.ts";
export { parseConfig, SERVER_CLAIMS, yamlErrorText } from "./parse_config.ts";
export type { ConfigEnv, ParseConfigOptions } from "./parse_config.ts";
export {
  applyEnvOverrides,
  documentedEnvNames,
  ENV_ALIASES,
  ENV_NOT_SETTINGS,
  ENV_PREFIX,
  envName,
  type EnvOverride,
} from "./env.ts";
export { closest, CONFIG_SHAPE, PYTHON_COMPAT_KEYS, shapePaths } from "./schema.ts";
export { fieldWhere } from "./where.ts";
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
