/**
 * Naming a field in a message about a validated config: `kp.yaml: keys[0]`, or the environment
 * variable that set it (`KEYPEBBLE_HS256_SECRET`).
 */

import { KeypebbleError } from "../errors.ts";
import type { Config } from "./types.ts";

/** `file: field`, or the `KEYPEBBLE_*` variable that set the field (or its section). */
export function fieldWhere(config: Config, field: string): string {
  let best: { name: string; field: string } | undefined;
  for (const o of config.envOverrides) {
    if (o.field === field || field.startsWith(`${o.field}.`) || field.startsWith(`${o.field}[`)) {
      if (best === undefined || o.field.length > best.field.length) best = o;
    }
  }
  if (best === undefined) return `${config.source}: ${field}`;
  return best.field === field ? best.name : `${best.name}: ${field}`;
}

/**
 * What a section of the config is read with (the one reader of `parse_config.ts`): where a field
 * came from (the file, or the `KEYPEBBLE_*` variable that set it), and how a path is read
 * (`${CREDENTIALS_DIRECTORY}` substituted, relative paths against the config's directory).
 */
export interface SectionReader {
  where(field: string): string;
  path(v: unknown, field: string): string | undefined;
}

/**
 * A reader for a section read on its own (tests, tools): fields named against `source`, paths
 * resolved against `baseDir`, `${CREDENTIALS_DIRECTORY}` left to the caller.
 */
export function plainReader(source: string, baseDir?: string): SectionReader {
  return {
    where: (field) => field === "" ? source : `${source}: ${field}`,
    path: (v, field) => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "string" || v.trim() === "") {
        throw new KeypebbleError(
          "config_invalid",
          `${source}: ${field}: must be a non-empty string`,
        );
      }
      return baseDir !== undefined && !v.startsWith("/") ? `${baseDir.replace(/\/$/, "")}/${v}` : v;
    },
  };
}
