/**
 * From a config path to a runtime: read the file, parse it with the environment's overrides,
 * apply the command line's overrides, and build the runtime. Used at start, on every reload, and
 * by the CLI commands that sign or verify.
 */

import { type Config, parseConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { readProblem } from "./keyring.ts";
import type { BuildNotice, RuntimeIo } from "./io.ts";
import { buildRuntime, FALLBACK_POLICY_PATH, type Runtime } from "./runtime.ts";

/** Command-line overrides; they win over the file and the environment. */
export interface ConfigOverrides {
  readonly host?: string;
  readonly port?: number;
  readonly policyPath?: string;
}

/** What loading needs from the platform. */
export interface LoadIo extends RuntimeIo {
  env(name: string): string | undefined;
  /** Names of the `KEYPEBBLE_*` variables set, when the runtime may list them. */
  envNames?(): string[];
}

/** Options of {@link loadConfig} beyond the CLI overrides. */
export interface LoadOptions {
  /** Used for `${CREDENTIALS_DIRECTORY}` when that variable is unset (`--credentials-dir`). */
  readonly credentialsDir?: string;
}

/** Read and validate a config file, with environment and CLI overrides applied. */
export async function loadConfig(
  io: LoadIo,
  path: string,
  overrides: ConfigOverrides = {},
  options: LoadOptions = {},
): Promise<Config> {
  let text: string;
  try {
    text = await io.readTextFile(path);
  } catch (e) {
    throw new KeypebbleError(
      "config_invalid",
      `${path}: cannot read the config file: ${readProblem(e).message}`,
    );
  }
  if (overrides.host !== undefined && overrides.host.trim() === "") {
    // An empty host means every interface to Bun; Deno refuses it. Never by accident.
    throw new KeypebbleError("config_invalid", `${path}: --host: must not be empty`);
  }
  const slash = path.lastIndexOf("/");
  const baseDir = slash === -1 ? "." : path.slice(0, slash) || "/";
  let envNames: string[] = [];
  try {
    envNames = io.envNames?.() ?? [];
  } catch {
    envNames = [];
  }
  const config = parseConfig(text, path, {
    readEnv: (name) => io.env(name),
    envNames,
    baseDir,
    ...(options.credentialsDir === undefined ? {} : { credentialsDir: options.credentialsDir }),
    // The CLI's --policy wins, and is known while parsing: whether a policy is set decides who
    // owns an implicit `audience` (see src/config/profiles.ts).
    ...(overrides.policyPath ? { policyPath: overrides.policyPath } : {}),
    ...(await _exists(io, FALLBACK_POLICY_PATH)
      ? { fallbackPolicyPath: FALLBACK_POLICY_PATH }
      : {}),
  });
  if (overrides.host === undefined && overrides.port === undefined && !overrides.policyPath) {
    return config;
  }
  return Object.freeze({
    ...config,
    ...(overrides.host === undefined ? {} : { host: overrides.host }),
    ...(overrides.port === undefined ? {} : { port: overrides.port }),
    ...(overrides.policyPath ? { policyPath: overrides.policyPath } : {}),
    ...(await _exists(io, FALLBACK_POLICY_PATH)
      ? { fallbackPolicyPath: FALLBACK_POLICY_PATH }
      : {}),
  });
}

/** Load a config and build a whole runtime from it. */
export async function loadRuntime(
  io: LoadIo,
  path: string,
  options: {
    overrides?: ConfigOverrides;
    generation: number;
    notices?: BuildNotice[];
    credentialsDir?: string;
  },
): Promise<Runtime> {
  const config = await loadConfig(
    io,
    path,
    options.overrides,
    options.credentialsDir === undefined ? {} : { credentialsDir: options.credentialsDir },
  );
  return await buildRuntime(config, io, {
    generation: options.generation,
    ...(options.notices === undefined ? {} : { notices: options.notices }),
  });
}

/** The files a runtime depends on, for the file watcher. */
export function watchedFiles(configPath: string, rt: Runtime): string[] {
  const files = [configPath];
  for (const k of rt.config.keys) {
    if (k.kind === "pem") {
      files.push(k.path);
      if (k.x5cChainPath !== undefined) files.push(k.x5cChainPath);
    } else if (k.secretPath !== undefined) files.push(k.secretPath);
  }
  for (const k of rt.config.encryptionKeys) files.push(k.path);
  files.push(...(rt.formatFiles ?? []));
  const policy = rt.policy?.source ?? rt.config.policyPath;
  if (policy !== undefined) files.push(policy);
  const tls = rt.config.tls;
  if (tls !== undefined) {
    files.push(tls.certPath, tls.keyPath);
    if (tls.clientCaPath !== undefined) files.push(tls.clientCaPath);
  }
  return files;
}

/** Whether a file can be read (absent, unreadable or not permitted all count as no). */
async function _exists(io: RuntimeIo, path: string): Promise<boolean> {
  try {
    await io.readTextFile(path);
    return true;
  } catch {
    return false;
  }
}
