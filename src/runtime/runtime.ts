/**
 * A `Runtime` is everything a request needs that comes from the operator's files: the validated
 * config, the imported keys and the compiled policy. It is built whole and never mutated; reload
 * builds a new one and swaps a single reference, so a request in flight keeps the one it started
 * with.
 */

import type { Config } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { type Cidr, parseCidr, parsePasswordHash } from "../identity/mod.ts";
import { parsePolicy, type Policy } from "../policy/mod.ts";
import { buildProfiles, type Profiles } from "../profiles/resolve.ts";
import { type BuildNotice, FileMissingError, type RuntimeIo } from "./io.ts";
import { buildKeyring, type Keyring } from "./keyring.ts";
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
  for (const key of config.unknownKeys) {
    notices.push({
      level: "warn",
      event: "config_unknown_key",
      fields: { file: config.source, field: key, message: "Unknown setting ignored" },
    });
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
        `${config.source}: policy_path: cannot read the policy file${
          e instanceof FileMissingError ? ": the file does not exist" : ""
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
  const trustedProxies = config.trustedProxies.map((s, i) => {
    try {
      return parseCidr(s);
    } catch {
      throw new KeypebbleError(
        "config_invalid",
        `${config.source}: trusted_proxies[${i}]: "${s}" is not an IP address or CIDR range`,
      );
    }
  });
  // The SPIFFE issuer first: its signer is the `svid` profile's key.
  const spiffe = config.spiffe === undefined
    ? undefined
    : await buildSpiffeAuthority(config.spiffe, { notices, source: config.source });
  const profiles = await buildProfiles(config, {
    entries: keyring.keys,
    ...(keyring.x5c === undefined ? {} : { x5c: keyring.x5c }),
    ...(spiffe === undefined
      ? {}
      : { svid: { signer: spiffe.signer, trustDomain: spiffe.trustDomain } }),
  });
  return Object.freeze({
    ...(spiffe === undefined ? {} : { spiffe }),
    generation: options.generation,
    config,
    keyring,
    ...(policy === undefined ? {} : { policy }),
    trustedProxies,
    profiles,
  });
}
