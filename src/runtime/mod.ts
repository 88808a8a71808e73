/**
 * Runtime: config + keys + policy, built once and swapped whole on reload.
 *
 * @module
 */
export { buildRuntime } from "./runtime.ts";
export type { BuildRuntimeOptions, Runtime } from "./runtime.ts";
export { buildKeyring } from "./keyring.ts";
export { REFRESH_TYP } from "../profiles/table.ts";
export type { Keyring } from "./keyring.ts";
export { FileExistsError, FileMissingError } from "./io.ts";
export type { BuildNotice, RuntimeIo } from "./io.ts";
export { loadConfig, loadRuntime, watchedFiles } from "./load.ts";
export type { ConfigOverrides, LoadIo, LoadOptions } from "./load.ts";
export { FALLBACK_POLICY_PATH } from "./runtime.ts";
export { pythonPatternWarnings } from "./python_compat.ts";
