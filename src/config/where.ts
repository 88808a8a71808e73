/**
 * Naming a field in a message about a validated config: `kp.yaml: keys[0]`, or the environment
 * variable that set it (`KEYPEBBLE_HS256_SECRET`).
 */

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
