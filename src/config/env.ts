/**
 * Environment overrides for every setting: `KEYPEBBLE_<PATH>`, the path's keys upper-cased and
 * joined with `__` between levels (`KEYPEBBLE_ISSUER`, `KEYPEBBLE_SERVICE__PORT`,
 * `KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS`).
 *
 * Overrides are applied to the parsed YAML tree before validation, so every setting (including
 * sections added later) is validated the same way whether it came from the file or from the
 * environment. Values are read as YAML (`8080` is a number, `false` a boolean, `[a, b]` a list,
 * `'"0123"'` a string); the variable's name is remembered so an error names `KEYPEBBLE_PORT`
 * rather than the file's `service.port`.
 *
 * `KEYPEBBLE_HOST` and `KEYPEBBLE_PORT` are kept as the short names of `service.host` and
 * `service.port`.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { closest, CONFIG_SHAPE, shapePaths } from "./schema.ts";

/** The prefix of every override. */
export const ENV_PREFIX = "KEYPEBBLE_";

/** Short names kept from before the generic scheme. */
export const ENV_ALIASES: Readonly<Record<string, readonly string[]>> = {
  KEYPEBBLE_HOST: ["service", "host"],
  KEYPEBBLE_PORT: ["service", "port"],
};

/**
 * Variables that share the prefix but are not config settings (test and bootstrap knobs). They
 * are never applied to the config and never warned about.
 */
export const ENV_NOT_SETTINGS: ReadonlySet<string> = new Set([
  "KEYPEBBLE_BIN",
  "KEYPEBBLE_ADMIN_PASSWORD",
  "KEYPEBBLE_WORKERS", // serve --workers (src/cli/serve.ts), not part of the config
]);

/** One override that was applied. */
export interface EnvOverride {
  /** The variable, e.g. `KEYPEBBLE_RATE_LIMIT__PER_ADDRESS__REQUESTS`. */
  readonly name: string;
  /** The config field it set, e.g. `rate_limit.per_address.requests`. */
  readonly field: string;
}

/** The variable name for a config path: `["rate_limit", "per_address"]` → `KEYPEBBLE_RATE_LIMIT__PER_ADDRESS`. */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join("__");
}

/** Every variable name that sets a documented setting, in table order. */
export function documentedEnvNames(): string[] {
  return [..._documentedEnvNames()];
}

let _documented: readonly string[] | undefined;

/** {@link documentedEnvNames}, computed once: the shape is fixed, and every start reads it. */
function _documentedEnvNames(): readonly string[] {
  return _documented ??= shapePaths(CONFIG_SHAPE).map(envName);
}

/** Result of {@link applyEnvOverrides}. */
export interface AppliedEnv {
  /** Overrides applied, in the order applied. */
  readonly applied: readonly EnvOverride[];
  /** Field path → variable name, for error messages. */
  readonly sources: ReadonlyMap<string, string>;
  /** Variables with the prefix that name no known setting (ignored, with a suggestion). */
  readonly ignored: readonly { name: string; suggestion?: string }[];
}

/**
 * Apply overrides to `doc` in place. `read` returns a variable's value; `names` are the variables
 * to try beyond the documented ones (e.g. every `KEYPEBBLE_*` name the process can see, and those
 * made from the file's own paths, such as a `static_claims` entry).
 */
export function applyEnvOverrides(
  doc: Record<string, unknown>,
  read: (name: string) => string | undefined,
  options: { names?: Iterable<string>; topLevel: ReadonlySet<string> },
): AppliedEnv {
  const names = new Set<string>([
    ...Object.keys(ENV_ALIASES),
    ..._documentedEnvNames(),
    ..._treeNames(doc, []),
    ...(options.names ?? []),
  ]);
  const applied: EnvOverride[] = [];
  const sources = new Map<string, string>();
  const ignored: { name: string; suggestion?: string }[] = [];
  let known: string[] | undefined;
  // Only the variables that are set get ordered: the first localeCompare loads the collator,
  // which costs milliseconds at every start (most starts set none or one).
  const values = new Map<string, string>();
  for (const n of names) {
    if (!n.startsWith(ENV_PREFIX) || ENV_NOT_SETTINGS.has(n)) continue;
    const raw = read(n);
    if (raw !== undefined) values.set(n, raw);
  }
  // Shorter paths first, so KEYPEBBLE_SERVICE sets the section and KEYPEBBLE_SERVICE__PORT then
  // refines it; aliases before the generic names they stand for.
  const ordered = [...values.keys()].sort((a, b) => _rank(a) - _rank(b) || a.localeCompare(b));
  for (const name of ordered) {
    const raw = values.get(name)!;
    const path = ENV_ALIASES[name] ?? name.slice(ENV_PREFIX.length).toLowerCase().split("__");
    if (path.some((p) => p === "") || !options.topLevel.has(path[0])) {
      known ??= [...Object.keys(ENV_ALIASES), ..._documentedEnvNames()].map((n) =>
        n.slice(ENV_PREFIX.length)
      );
      const near = closest(name.slice(ENV_PREFIX.length), known);
      const suggestion = near === undefined ? undefined : ENV_PREFIX + near;
      ignored.push({ name, ...(suggestion === undefined ? {} : { suggestion }) });
      continue;
    }
    _set(doc, path, _parseValue(raw));
    const field = path.join(".");
    applied.push({ name, field });
    sources.set(field, name);
  }
  return { applied, sources, ignored };
}

function _rank(name: string): number {
  return ENV_ALIASES[name] !== undefined ? 0 : name.split("__").length;
}

function _parseValue(raw: string): unknown {
  // An empty value is a value, not "unset": KEYPEBBLE_HOST="" must be refused, not defaulted.
  if (raw.trim() === "") return raw;
  try {
    return parseYaml(raw, { maxAliasCount: 0 });
  } catch {
    return raw;
  }
}

function _set(doc: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = doc;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function _treeNames(v: unknown, path: string[]): string[] {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return [];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_]+$/.test(k) || k.includes("__")) continue;
    out.push(envName([...path, k]), ..._treeNames(x, [...path, k]));
  }
  return out;
}

/** The variable that set `field` (or a section containing it), if any. */
export function envSourceOf(
  sources: ReadonlyMap<string, string>,
  field: string,
): { name: string; exact: boolean } | undefined {
  let best: { name: string; exact: boolean; len: number } | undefined;
  for (const [f, name] of sources) {
    const exact = f === field;
    if (exact || field.startsWith(`${f}.`) || field.startsWith(`${f}[`)) {
      if (best === undefined || f.length > best.len) best = { name, exact, len: f.length };
    }
  }
  return best === undefined ? undefined : { name: best.name, exact: best.exact };
}
