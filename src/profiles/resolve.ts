/**
 * The profile table applied to one config: per kind its issuer, audience allow-list, lifetimes,
 * claim mapping and a signer with its own `typ` (and key, when `profiles.<kind>.key` names one).
 * Built once with the runtime; the hot path only reads it.
 */

import { type ClaimMapping, mappingProblem } from "../claims/mod.ts";
import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { JwsSigner, type KeyEntry } from "../jose/mod.ts";
import { SVID_DEFAULT_TTL_SECONDS, SVID_MAX_TTL_SECONDS } from "../spiffe/svid.ts";
import type { TokenSealer } from "./sealers.ts";
import {
  foreignSubjectPrefixes,
  PROFILE_NAMES,
  type ProfileDef,
  type ProfileName,
  PROFILES,
  REFRESH_AUDIENCE,
  reservedClaims,
} from "./table.ts";

/** One kind, ready to mint. */
export interface Profile {
  readonly def: ProfileDef;
  readonly issuer: string;
  /** The `aud` allow-list; for `allow_list` kinds the first entry is the default. */
  readonly audiences?: readonly string[];
  /**
   * The `aud` the server gives a token of this kind when nothing narrower applies (a key's or a
   * client's own audiences, a requested one), as `check` prints it; undefined when a caller must
   * name one or it comes from the request (`services`, a target).
   */
  readonly defaultAudience?: string;
  /** Audiences no token of this kind may carry (registry services, the refresh audience). */
  readonly forbiddenAudiences: ReadonlySet<string>;
  readonly defaultTtl: number;
  readonly maxTtl: number;
  readonly signer: JwsSigner;
  /** Claims a request may never set for this kind. */
  readonly reserved: ReadonlySet<string>;
  readonly foreignSubjectPrefixes: readonly string[];
  /** Claims the config builds from the request (`profiles.<kind>.claims`). */
  readonly mapping?: ClaimMapping;
  /** `static_claims` (auth; command and kubernetes without `aud` and `sub`). */
  readonly staticClaims: Readonly<Record<string, unknown>>;
  /** `allowed_custom_claims` (auth only). */
  readonly allowedCustomClaims?: readonly string[];
  /** The trust domain `sub` and `aud` belong to (kinds whose `subjectForm` is `spiffe_id`). */
  readonly trustDomain?: string;
  /** `format: jwe | fernet` (src/profiles/sealers.ts); absent: the signed JWS is the token. */
  readonly sealer?: TokenSealer;
}

/**
 * Every kind of a runtime. `svid` exists only when the config has a `spiffe` section: its key
 * and trust domain come from there.
 */
export type Profiles =
  & Readonly<Record<Exclude<ProfileName, "svid">, Profile>>
  & { readonly svid?: Profile };

/** The SPIFFE issuer a runtime hands to the `svid` kind: its own ES256 signer and trust domain. */
export interface SvidIssuer {
  /** ES256, `typ: JWT`, `kid` the RFC 7638 thumbprint, never `x5c` (src/spiffe/authority.ts). */
  readonly signer: JwsSigner;
  readonly trustDomain: string;
}

/**
 * Resolve the table against `config` and its imported keys (active first; `x5c` goes with the
 * active key only).
 *
 * @throws {KeypebbleError} `config_invalid` for a `key` no key has, a mapping of a reserved claim
 */
export async function buildProfiles(
  config: Config,
  keys: {
    entries: readonly KeyEntry[];
    x5c?: readonly string[];
    svid?: SvidIssuer;
    /** Kinds with `format: jwe | fernet`, built by the runtime (src/runtime/token_formats.ts). */
    sealers?: Readonly<Record<string, TokenSealer>>;
  },
): Promise<Profiles> {
  const out: Partial<Record<ProfileName, Profile>> = {};
  // The audience model: a kind whose claims a caller shapes (auth, command, kubernetes) may never
  // carry an audience that a relying party of another kind trusts: a registry service, the
  // refresh audience, or one the server gives its own kinds (an account's, a client's, an
  // exchange's). The server's own kinds choose their audiences from the config, so only the
  // refresh audience is out of their reach.
  const accountAudience = config.accounts === undefined
    ? undefined
    : config.accounts.audience ?? config.profiles.account?.audiences?.[0] ?? config.issuer;
  const forbidden = new Set<string>([
    ...config.services,
    REFRESH_AUDIENCE,
    ...(accountAudience === undefined ? [] : [accountAudience]),
    ...(config.oauth?.clients.flatMap((c) => c.audiences) ?? []),
    ...(config.oauth?.exchangeAudiences ?? []),
  ]);
  const serverChosen = new Set<string>([REFRESH_AUDIENCE]);
  for (const name of PROFILE_NAMES) {
    const def = PROFILES[name];
    const s = config.profiles[name] ?? { allowRegistryAudience: false };
    const at = `${config.source}: profiles.${name}`;
    if (name === "svid") {
      if (keys.svid !== undefined) out.svid = _svidProfile(config, keys.svid, s.maxTtlSeconds);
      else if (s.maxTtlSeconds !== undefined || s.issuer !== undefined) {
        throw new KeypebbleError("config_invalid", `${at}: needs a "spiffe" section`);
      }
      continue;
    }
    let key = keys.entries[0];
    if (s.key !== undefined) {
      const found = keys.entries.find((k) => k.kid === s.key);
      if (found === undefined) {
        throw new KeypebbleError("config_invalid", `${at}.key: no key has kid "${s.key}"`);
      }
      key = found;
    }
    const reserved = reservedClaims(name);
    if (s.claims !== undefined) {
      const problem = mappingProblem(s.claims);
      if (problem !== undefined) {
        throw new KeypebbleError("config_invalid", `${at}.claims.${problem}`);
      }
      for (const c of Object.keys(s.claims)) {
        if (reserved.has(c) || def.distinctive.includes(c) || c === "aud") {
          throw new KeypebbleError(
            "config_invalid",
            `${at}.claims.${c}: is set by the server for this kind and cannot be mapped`,
          );
        }
      }
    }
    if (name === "auth") _checkStaticClaims(config, reserved, s.allowRegistryAudience);
    const typ = s.typ ?? def.typ;
    const signer = await JwsSigner.create(
      key,
      key === keys.entries[0] && keys.x5c !== undefined ? { typ, x5c: [...keys.x5c] } : { typ },
    );
    const sealer = keys.sealers?.[name];
    const lifetimes = _lifetimes(name, config, s.maxTtlSeconds);
    // A Fernet token is refused once older than fernet.ttl_seconds: never promise more.
    if (sealer?.format === "fernet" && config.fernet !== undefined) {
      if (def.minTtlSeconds > config.fernet.ttlSeconds) {
        throw new KeypebbleError(
          "config_invalid",
          `${config.source}: fernet.ttl_seconds: ${config.fernet.ttlSeconds} s is shorter than ` +
            `the ${name} kind's minimum lifetime (${def.minTtlSeconds} s)`,
        );
      }
      lifetimes.maxTtl = Math.min(lifetimes.maxTtl, config.fernet.ttlSeconds);
      lifetimes.defaultTtl = Math.min(lifetimes.defaultTtl, lifetimes.maxTtl);
    }
    const shaped = def.caller.mode === "anonymous_unless_required";
    const allowed = new Set(shaped ? forbidden : serverChosen);
    // The operator said an audience may be shared with the registry: do not forbid it.
    if (s.allowRegistryAudience) {
      for (const a of s.audiences ?? []) if (config.services.includes(a)) allowed.delete(a);
    }
    const defaultAudience = _defaultAudience(name, config, s.audiences);
    out[name] = {
      def,
      issuer: s.issuer ?? config.issuer,
      ...(s.audiences === undefined ? {} : { audiences: s.audiences }),
      ...(defaultAudience === undefined ? {} : { defaultAudience }),
      forbiddenAudiences: allowed,
      ...lifetimes,
      signer,
      reserved,
      foreignSubjectPrefixes: foreignSubjectPrefixes(name),
      ...(s.claims === undefined ? {} : { mapping: s.claims as ClaimMapping }),
      staticClaims: _staticClaimsFor(name, config),
      ...(name === "auth" && config.allowedCustomClaims !== undefined
        ? { allowedCustomClaims: config.allowedCustomClaims }
        : {}),
      ...(sealer === undefined ? {} : { sealer }),
    };
  }
  return Object.freeze(out as Profiles);
}

/**
 * The `svid` kind: the SPIFFE issuer's signer (never a key of `keys:`, never a configured `typ`),
 * 60 s by default and at most 300 s (less when `profiles.svid.max_ttl_seconds` says so).
 */
function _svidProfile(config: Config, issuer: SvidIssuer, override: number | undefined): Profile {
  const maxTtl = Math.min(override ?? SVID_MAX_TTL_SECONDS, SVID_MAX_TTL_SECONDS);
  return {
    def: PROFILES.svid,
    issuer: config.profiles.svid?.issuer ?? config.issuer,
    // aud is one SPIFFE ID of the trust domain (mint checks it); no list to forbid from.
    forbiddenAudiences: new Set(),
    defaultTtl: Math.min(SVID_DEFAULT_TTL_SECONDS, maxTtl),
    maxTtl,
    signer: issuer.signer,
    reserved: reservedClaims("svid"),
    foreignSubjectPrefixes: foreignSubjectPrefixes("svid"),
    staticClaims: {},
    trustDomain: issuer.trustDomain,
  };
}

/** The audience model's default per kind (see `Profile.defaultAudience`). */
function _defaultAudience(
  name: ProfileName,
  config: Config,
  audiences: readonly string[] | undefined,
): string | undefined {
  switch (name) {
    case "auth":
      return audiences?.[0];
    case "account":
      return config.accounts?.audience ?? audiences?.[0] ?? config.issuer;
    case "api":
      return audiences?.[0] ?? config.audience ?? config.issuer;
    case "client":
    case "exchange":
      return (name === "exchange" ? config.oauth?.exchangeAudiences[0] : undefined) ??
        audiences?.[0] ?? config.issuer;
    case "refresh":
      return REFRESH_AUDIENCE;
    default:
      return undefined;
  }
}

function _lifetimes(
  name: ProfileName,
  config: Config,
  override: number | undefined,
): { defaultTtl: number; maxTtl: number } {
  const min = PROFILES[name].minTtlSeconds;
  switch (name) {
    case "registry": {
      const max = Math.max(min, override ?? config.maxTtlSeconds);
      return { defaultTtl: Math.min(max, Math.max(min, config.defaultTtlSeconds)), maxTtl: max };
    }
    case "refresh": {
      const max = Math.max(min, override ?? config.refreshTtlSeconds);
      return { defaultTtl: Math.min(max, config.refreshTtlSeconds), maxTtl: max };
    }
    case "kubernetes": {
      // As the Python Keypebble: default_ttl_seconds when expirationSeconds is absent, never
      // below the Kubernetes minimum of 600.
      const max = Math.max(min, override ?? config.maxTtlSeconds);
      return { defaultTtl: Math.min(max, Math.max(min, config.defaultTtlSeconds)), maxTtl: max };
    }
    case "api":
    case "client":
    case "exchange": {
      // Tokens of a key or a client live `store.token_ttl_seconds` (900 by default).
      const max = override ?? config.maxTtlSeconds;
      return { defaultTtl: Math.min(config.store?.tokenTtlSeconds ?? 900, max), maxTtl: max };
    }
    case "account": {
      const max = override ?? config.maxTtlSeconds;
      return { defaultTtl: Math.min(config.accounts?.accessTtlSeconds ?? 900, max), maxTtl: max };
    }
    default: {
      const max = override ?? config.maxTtlSeconds;
      return { defaultTtl: Math.min(config.defaultTtlSeconds, max), maxTtl: max };
    }
  }
}

/**
 * `static_claims` of a kind: every /auth token, and (as in the Python Keypebble) command and
 * Kubernetes tokens too, where the kind decides `aud` and `sub` itself.
 */
function _staticClaimsFor(name: ProfileName, config: Config): Readonly<Record<string, unknown>> {
  if (name === "auth") return config.staticClaims;
  if (name !== "command" && name !== "kubernetes") return {};
  const { aud: _aud, sub: _sub, ...rest } = config.staticClaims;
  return rest;
}

/** `static_claims` go into every /auth token: they may not make it another kind's token. */
function _checkStaticClaims(
  config: Config,
  reserved: ReadonlySet<string>,
  allowRegistryAudience: boolean,
): void {
  for (const [name, value] of Object.entries(config.staticClaims)) {
    if (reserved.has(name)) {
      throw new KeypebbleError(
        "config_invalid",
        `${config.source}: static_claims.${name}: belongs to another kind of token`,
      );
    }
    const owner = name === "sub" && typeof value === "string"
      ? foreignSubjectPrefixes("auth").find((p) => value.startsWith(p))
      : undefined;
    if (owner !== undefined) {
      throw new KeypebbleError(
        "config_invalid",
        `${config.source}: static_claims.sub: subjects starting with "${owner}" belong to ` +
          "another kind of token",
      );
    }
    const auds = name === "aud" ? ([] as unknown[]).concat(value) : [];
    if (!allowRegistryAudience && auds.some((a) => config.services.includes(String(a)))) {
      throw new KeypebbleError(
        "config_invalid",
        `${config.source}: static_claims.aud: is a registry service; its tokens would pass the ` +
          "registry (set profiles.auth.allow_registry_audience: true if that is meant)",
      );
    }
  }
}
