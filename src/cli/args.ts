/**
 * A small, strict argument parser: `--name value`, `--name=value`, boolean flags, positionals.
 * Unknown flags are errors, so a typo never silently changes behaviour.
 */

/** What each flag of a command takes. */
export type FlagSpec = Readonly<Record<string, "string" | "boolean" | "list">>;

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
const SHORT: Readonly<Record<string, string>> = { "-c": "config", "-p": "port" };

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
    if (!a.startsWith("--")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`Unknown option "--${name}"`);
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
