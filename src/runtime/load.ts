/**
 * From a config path to a runtime: read the file, parse it with the environment's overrides,
 * apply the command line's overrides, and build the runtime. Used at start, on every reload, and
 * by the CLI commands that sign or verify.
 */

import { type Config, type ConfigEnv, parseConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { BuildNotice, RuntimeIo } from "./io.ts";
import { buildRuntime, type Runtime } from "./runtime.ts";

/** Command-line overrides; they win over the file and the environment. */
export interface ConfigOverrides {
  readonly host?: string;
  readonly port?: number;
  readonly policyPath?: string;
}

/** What loading needs from the platform. */
export interface LoadIo extends RuntimeIo {
  env(name: string): string | undefined;
}

/** Read and validate a config file, with environment and CLI overrides applied. */
export async function loadConfig(
  io: LoadIo,
  path: string,
  overrides: ConfigOverrides = {},
): Promise<Config> {
  let text: string;
  try {
    text = await io.readTextFile(path);
  } catch (e) {
    throw new KeypebbleError(
      "config_invalid",
      `${path}: cannot read the config file: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const env: Record<string, string> = {};
  for (
    const name of [
      "KEYPEBBLE_HOST",
      "KEYPEBBLE_PORT",
      "KEYPEBBLE_LOG_LEVEL",
      "KEYPEBBLE_POLICY_PATH",
      "CREDENTIALS_DIRECTORY",
    ]
  ) {
    const v = io.env(name);
    if (v !== undefined) env[name] = v;
  }
  // The CLI's --policy wins over the environment, and is known while parsing: whether a policy
  // is set decides who owns an implicit `audience` (see src/config/profiles.ts).
  if (overrides.policyPath) env.KEYPEBBLE_POLICY_PATH = overrides.policyPath;
  if (overrides.host !== undefined && overrides.host.trim() === "") {
    // An empty host means every interface to Bun; Deno refuses it. Never by accident.
    throw new KeypebbleError("config_invalid", `${path}: --host: must not be empty`);
  }
  const slash = path.lastIndexOf("/");
  const baseDir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const config = parseConfig(text, path, { env: env as ConfigEnv, baseDir });
  if (overrides.host === undefined && overrides.port === undefined && !overrides.policyPath) {
    return config;
  }
  return Object.freeze({
    ...config,
    ...(overrides.host === undefined ? {} : { host: overrides.host }),
    ...(overrides.port === undefined ? {} : { port: overrides.port }),
    ...(overrides.policyPath ? { policyPath: overrides.policyPath } : {}),
  });
}

/** Load a config and build a whole runtime from it. */
export async function loadRuntime(
  io: LoadIo,
  path: string,
  options: { overrides?: ConfigOverrides; generation: number; notices?: BuildNotice[] },
): Promise<Runtime> {
  const config = await loadConfig(io, path, options.overrides);
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
  if (rt.config.policyPath !== undefined) files.push(rt.config.policyPath);
  return files;
}
