/**
 * Configuration: YAML text → typed, validated, frozen {@link Config}.
 *
 * @module
 */
export type {
  CompatNote,
  Config,
  ConfigWarning,
  EncKeySpec,
  KeySpec,
  KidMode,
  RateLimitSpec,
  RequireAuth,
  RouteLimit,
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
export { DEFAULT_AUDIT_RETENTION_DAYS, KEY_DEFAULTS } from "./store.ts";
export type {
  AccountsConfig,
  OAuthClientConfig,
  OAuthConfig,
  Registration,
  TrustedIssuerConfig,
} from "./accounts.ts";
export type { FernetConfig } from "./fernet.ts";
export {
  type EncryptSettings,
  FORMAT_KINDS,
  type RecipientSource,
  type TokenFormatName,
  type TokenFormatSettings,
} from "./token_format.ts";
export { CONFIG_SCHEMA_ID, configJsonSchema } from "./json_schema.ts";
