/**
 * A `Runtime` is everything a request needs that comes from the operator's files: the validated
 * config, the imported keys and the compiled policy. It is built whole and never mutated; reload
 * builds a new one and swaps a single reference, so a request in flight keeps the one it started
 * with.
 */

import { type Config, fieldWhere } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { type Cidr, parseCidr } from "../identity/mod.ts";
import { parsePolicy, type Policy } from "../policy/mod.ts";
import type { BuildNotice, RuntimeIo } from "./io.ts";
import { buildKeyring, type Keyring, readProblem } from "./keyring.ts";
import { pythonPatternWarnings } from "./python_compat.ts";
import { buildSpiffeAuthority, type SpiffeAuthority } from "../spiffe/authority.ts";

/** The policy read when none is named, as the Python Keypebble does. */
export const FALLBACK_POLICY_PATH = "/etc/keypebble/policy.yaml";

/** An immutable snapshot of config, keys and policy. */
export interface Runtime {
  /** 1 for the first build, +1 for each successful reload. */
  readonly generation: number;
  readonly config: Config;
  readonly keyring: Keyring;
  /** The policy, when a policy file is configured. Without one, /v2/token grants nothing. */
  readonly policy?: Policy;
  readonly trustedProxies: readonly Cidr[];
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
  for (const w of config.warnings) {
    notices.push({ level: "warn", event: "config_warning", fields: { ...w } });
  }
  const keyring = await buildKeyring(config, io, { notices });
  let policy: Policy | undefined;
  let text: string | undefined;
  let policyPath = config.policyPath;
  if (policyPath !== undefined) {
    try {
      text = await io.readTextFile(policyPath);
    } catch (e) {
      throw new KeypebbleError(
        "policy_invalid",
        `${fieldWhere(config, "policy_path")}: cannot read "${policyPath}": ${
          readProblem(e).message
        }`,
      );
    }
  } else {
    // As the Python Keypebble: with no policy named, the conventional file is used if present.
    try {
      text = await io.readTextFile(FALLBACK_POLICY_PATH);
      policyPath = FALLBACK_POLICY_PATH;
      notices.push({
        level: "info",
        event: "config_compat",
        fields: {
          field: "policy_path",
          message:
            `No policy_path is set; using ${FALLBACK_POLICY_PATH} as the Python Keypebble does`,
        },
      });
    } catch {
      // absent or unreadable: no policy, exactly as before the fallback existed
    }
  }
  if (text !== undefined && policyPath !== undefined) {
    policy = parsePolicy(text, policyPath);
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
  const spiffe = config.spiffe === undefined
    ? undefined
    : await buildSpiffeAuthority(config.spiffe, { notices, source: config.source });
  return Object.freeze({
    ...(spiffe === undefined ? {} : { spiffe }),
    generation: options.generation,
    config,
    keyring,
    ...(policy === undefined ? {} : { policy }),
    trustedProxies,
  });
}
