/**
 * A small, strict argument parser: `--name value`, `--name=value`, boolean flags, positionals.
 * Unknown flags (long or short) are errors with a suggestion, and so are arguments a command
 * does not take ({@link checkPositionals}), so a typo never silently changes behaviour.
 */

import { closest } from "../config/mod.ts";

/** What each flag of a command takes. */
export type FlagSpec = Readonly<Record<string, "string" | "boolean" | "list">>;

/**
 * What a command takes besides its flags: named arguments, or subcommands each with their own.
 * The same declaration checks the command line and generates shell completion.
 */
export interface ArgsSpec {
  /** Positional arguments in order, e.g. `["TOKEN"]`; none when absent. */
  readonly args?: readonly string[];
  /** Subcommand → its positional arguments (`key revoke ID`). */
  readonly subcommands?: Readonly<Record<string, readonly string[]>>;
}

/** Parsed arguments. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | string[]>>;
  readonly positionals: readonly string[];
}

/** Thrown for bad usage; the CLI prints it with the command's help and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One-letter spellings, accepted when the command has the long flag. */
export const SHORT: Readonly<Record<string, string>> = { "-c": "config", "-p": "port" };

/**
 * Parse `argv` against `spec`. `--help`/`-h` is always accepted as a boolean; `-c` is `--config`
 * and `-p` is `--port` where the command has them.
 */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const flags: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-h" || a === "--help") {
      flags.help = true;
      continue;
    }
    if (SHORT[a] !== undefined && spec[SHORT[a]] === "string") {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`Option "${a}" needs a value`);
      flags[SHORT[a]] = value;
      i++;
      continue;
    }
    if (a.startsWith("-") && !a.startsWith("--") && a !== "-") {
      // "-" alone is an argument (a TOKEN read from stdin); any other dash word is an option.
      throw new UsageError(`Unknown option "${a.slice(0, 40)}"${_suggestShort(a, spec)}`);
    }
    if (!a.startsWith("--")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) {
      const near = closest(name, Object.keys(spec));
      throw new UsageError(
        `Unknown option "--${name.slice(0, 40)}"${
          near === undefined ? "" : `; did you mean "--${near}"?`
        }`,
      );
    }
    if (kind === "boolean") {
      if (eq !== -1) throw new UsageError(`Option "--${name}" takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = a.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new UsageError(`Option "--${name}" needs a value`);
    if (kind === "list") {
      const prev = flags[name];
      flags[name] = Array.isArray(prev) ? [...prev, value] : [value];
      continue;
    }
    flags[name] = value;
  }
  return { flags, positionals };
}

/** `-t` → `; did you mean "--ttl"?` (or the options it could be, or none). */
function _suggestShort(a: string, spec: FlagSpec): string {
  const letter = a.replace(/^-+/, "")[0]?.toLowerCase() ?? "";
  const long = Object.keys(spec).filter((n) => n.startsWith(letter));
  if (long.length === 1) return `; did you mean "--${long[0]}"?`;
  if (long.length > 1) return `; did you mean one of ${long.map((n) => `"--${n}"`).join(", ")}?`;
  return "; only -c (--config), -p (--port) and -h (--help) have one-letter forms";
}

/**
 * Check positionals against what the command takes: a known subcommand first (when it has
 * any), then at most its arguments. Throws a {@link UsageError} naming the stray argument.
 */
export function checkPositionals(spec: ArgsSpec, args: ParsedArgs): void {
  let rest = args.positionals;
  let allowed = spec.args ?? [];
  if (spec.subcommands !== undefined) {
    const names = Object.keys(spec.subcommands);
    const sub = rest[0];
    if (sub === undefined) {
      throw new UsageError(`A subcommand is required: ${names.join(", ")}`);
    }
    if (spec.subcommands[sub] === undefined) {
      const near = closest(sub, names);
      throw new UsageError(
        `Unknown subcommand "${sub.slice(0, 40)}"${
          near === undefined ? ` (known: ${names.join(", ")})` : `; did you mean "${near}"?`
        }`,
      );
    }
    allowed = spec.subcommands[sub];
    rest = rest.slice(1);
  }
  if (rest.length > allowed.length) {
    const stray = rest[allowed.length];
    throw new UsageError(
      `Unexpected argument "${stray.slice(0, 40)}"${
        allowed.length === 0
          ? " (this command takes options only)"
          : ` (expected ${allowed.join(" ")})`
      }${
        stray.startsWith("-") ? "" : /^\d+$/.test(stray) ? "; is it the value of an option?" : ""
      }`,
    );
  }
}

/** A string flag that must be present. */
export function requireFlag(args: ParsedArgs, name: string): string {
  const v = args.flags[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`Option "--${name}" is required`);
  return v;
}

/** An optional string flag. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** An optional integer flag within bounds. */
export function intFlag(
  args: ParsedArgs,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const { min, max } = range;
  const v = stringFlag(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new UsageError(`Option "--${name}" must be an integer from ${min} to ${max}`);
  }
  return Number(v);
}

/** Every value of a repeatable flag (`--scope a --scope b`). */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
