/**
 * Token profiles: the table of kinds (`table.ts`), their resolution against a config
 * (`resolve.ts`), the one mint path (`mint.ts`), and one file per kind's handlers.
 *
 * @module
 */
export {
  PROFILE_NAMES,
  type ProfileDef,
  type ProfileName,
  PROFILES,
  REFRESH_AUDIENCE,
  REFRESH_TYP,
  reservedClaims,
  SERVICE_ACCOUNT_PREFIX,
} from "./table.ts";
export { buildProfiles, type Profile, type Profiles } from "./resolve.ts";
export { type IssueRecorder, mint, type Minted, type MintInput } from "./mint.ts";
export type { GrantServices, ProfileRequest, Reply } from "./context.ts";
