/**
 * SPIFFE workload identity: SPIFFE IDs, spiffile bundle documents and the SPIFFE bundle view,
 * JWT-SVIDs (mint and identity-scoped verification), spiffile root provisioning, and the
 * central issuer the server uses.
 *
 * Services import `./identity.ts` (the package's `./spiffe` export) instead.
 *
 * @module
 */

export {
  InvalidSpiffeIdError,
  isSpiffeId,
  parseSpiffeId,
  serviceSpiffeId,
  type SpiffeId,
  validateServiceName,
  validateTrustDomain,
} from "./spiffe_id.ts";
export {
  InvalidBundleError,
  parseSpiffileBundle,
  spiffeBundleDocument,
  type SpiffileBundle,
  type SpiffileBundleDocument,
  spiffileBundleDocument,
} from "./bundle.ts";
export {
  ecThumbprint,
  generateSvidKeyPem,
  importSvidPrivateKeyPem,
  type SvidJwk,
  type SvidSigningKey,
} from "./ec_keys.ts";
export {
  signSvid,
  SVID_DEFAULT_TTL_SECONDS,
  SVID_LEEWAY_SECONDS,
  SVID_MAX_TTL_SECONDS,
  svidClaims,
  SvidError,
  type VerifiedSvid,
  verifySvid,
} from "./svid.ts";
export type { FileStat, SpiffeFiles } from "./files.ts";
export {
  addService,
  bindToIdentities,
  BUNDLE_FILE,
  initRoot,
  ISSUER_KEY_FILE,
  readRootBundle,
  removeService,
  type RootOptions,
  rotateService,
  type ServiceChange,
  serviceEnv,
  SERVICES_DIR,
  withRootLock,
} from "./root.ts";
