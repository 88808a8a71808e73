/**
 * A `Runtime` is everything a request needs that comes from the operator's files: the validated
 * config, the imported keys and the compiled policy. It is built whole and never mutated; reload
 * builds a new one and swaps a single reference, so a request in flight keeps the one it started
 * with.
 */

import { type Config, fieldWhere } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { type Cidr, parseCidr, parsePasswordHash } from "../identity/mod.ts";
import { parsePolicy, type Policy } from "../policy/mod.ts";
import { buildProfiles, type Profiles } from "../profiles/resolve.ts";
import { type BuildNotice, FileMissingError, type RuntimeIo } from "./io.ts";
import { buildKeyring, type Keyring, readProblem } from "./keyring.ts";
import { pythonPatternWarnings } from "./python_compat.ts";
import { buildTokenFormats } from "./token_formats.ts";
import type { FernetKeys } from "../fernet/mod.ts";

/** The policy read when none is named, as the Python Keypebble does (see `loadConfig`). */
export const FALLBACK_POLICY_PATH = "/etc/keypebble/policy.yaml";
import { buildSpiffeAuthority, type SpiffeAuthority } from "../spiffe/authority.ts";

/** An immutable snapshot of config, keys and policy. */
export interface Runtime {
  /** 1 for the first build, +1 for each successful reload. */
  readonly generation: number;
  readonly config: Config;
  readonly keyring: Keyring;
  /** The policy, when a policy file is configured. Without one, /v2/token grants nothing. */
  readonly policy?: Policy;
  readonly trustedProxies: readonly Cidr[];
  /** Every token kind resolved against this config (src/profiles/table.ts). */
  readonly profiles: Profiles;
  /** The central JWT-SVID issuer and the spiffile root it publishes (`spiffe` section). */
  readonly spiffe?: SpiffeAuthority;
  /** The Fernet key repository and TTL (`fernet` section): `verifyFernet(token, rt.fernet, now)`. */
  readonly fernet?: FernetKeys;
  /** Files read for token formats (recipient keys, Fernet keys), for the file watcher. */
  readonly formatFiles?: readonly string[];
}

/** Options of {@link buildRuntime}. */
export interface BuildRuntimeOptions {
  readonly generation: number;
  /** Collects lifecycle notices (generated keys, unknown config keys) for the caller to log. */
  readonly notices?: BuildNotice[];
}

/** Build a runtime: import keys, read and compile the policy, parse trusted proxies. */
export async function buildRuntime(
  config: Config,
  io: RuntimeIo,
  options: BuildRuntimeOptions,
): Promise<Runtime> {
  const notices = options.notices ?? [];
  for (const w of config.warnings) {
    notices.push({ level: "warn", event: "config_warning", fields: { ...w } });
  }
  const keyring = await buildKeyring(config, io, { notices });
  let policy: Policy | undefined;
  if (config.policyPath !== undefined) {
    let text: string;
    try {
      text = await io.readTextFile(config.policyPath);
    } catch (e) {
      throw new KeypebbleError(
        "policy_invalid",
        `${fieldWhere(config, "policy_path")}: cannot read the policy file${
          e instanceof FileMissingError
            ? ": the file does not exist"
            : e instanceof KeypebbleError
            ? ""
            : _permission(e)
        }`,
      );
    }
    policy = parsePolicy(text, config.policyPath);
    for (const [name, rule] of policy.users) {
      if (rule.passwordHash === undefined) continue;
      try {
        parsePasswordHash(rule.passwordHash);
      } catch (e) {
        throw new KeypebbleError(
          "policy_invalid",
          `${config.policyPath}: users.${name}.password_hash: ${(e as Error).message}`,
        );
      }
    }
  }
  if (policy !== undefined) {
    for (const w of pythonPatternWarnings(policy)) {
      notices.push({ level: "warn", event: "policy_pattern_changed", fields: { ...w } });
    }
  }
  const anyAuth = config.requireAuth.auth || config.requireAuth.command ||
    config.requireAuth.kubernetes;
  if (policy === undefined && anyAuth && config.trustedProxies.length === 0) {
    notices.push({
      level: "warn",
      event: "config_warning",
      fields: {
        field: "require_authentication",
        message:
          "is on but no policy is loaded and no trusted_proxies are set: every caller will be refused (set policy_path)",
      },
    });
  }
  const trustedProxies = config.trustedProxies.map((s, i) => {
    try {
      return parseCidr(s);
    } catch {
      throw new KeypebbleError(
        "config_invalid",
        `${fieldWhere(config, `trusted_proxies[${i}]`)}: "${s}" is not an IP address or CIDR range`,
      );
    }
  });
  // The SPIFFE issuer first: its signer is the `svid` profile's key.
  const spiffe = config.spiffe === undefined
    ? undefined
    : await buildSpiffeAuthority(config.spiffe, { notices, source: config.source });
  const formats = await buildTokenFormats(config, io, { notices });
  const profiles = await buildProfiles(config, {
    entries: keyring.keys,
    sealers: formats.sealers,
    ...(keyring.x5c === undefined ? {} : { x5c: keyring.x5c }),
    ...(spiffe === undefined
      ? {}
      : { svid: { signer: spiffe.signer, trustDomain: spiffe.trustDomain } }),
  });
  // Sign-in (issue 24): ID tokens are verified by relying parties with the published keys, so a
  // client that signs people in needs an asymmetric key (src/profiles/resolve.ts picks it).
  const signin = config.oauth?.clients.findIndex((c) => c.redirectUris.length > 0) ?? -1;
  if (signin >= 0 && profiles.id === undefined) {
    throw new KeypebbleError(
      "config_invalid",
      `${
        fieldWhere(config, `oauth.clients[${signin}].redirect_uris`)
      }: signing people in needs an RS256, ES256 or EdDSA key in the keyring (relying parties verify ID tokens with the published keys); an HS256 secret alone cannot sign them`,
    );
  }
  return Object.freeze({
    ...(spiffe === undefined ? {} : { spiffe }),
    generation: options.generation,
    config,
    keyring,
    ...(policy === undefined ? {} : { policy }),
    trustedProxies,
    profiles,
    ...(formats.fernet === undefined ? {} : { fernet: formats.fernet }),
    formatFiles: formats.files,
  });
}

/** The permission part of a read failure, in words an operator can act on (never the path). */
function _permission(e: unknown): string {
  const p = readProblem(e);
  return p instanceof KeypebbleError ? `: ${p.message}` : "";
}
