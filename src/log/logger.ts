/**
 * JSON-lines logger: each call writes exactly one line
 * `{"time":"<ISO 8601>","level":"info","event":"request",...fields}`.
 *
 * Side effects come in as options (`write`, `now`), so tests capture lines and fix the clock, and
 * the server decides where lines go (stderr, a file).
 *
 * Redaction guard: any field whose key matches
 * `/authorization|password|secret|token|key|cookie/i`, at any depth in plain objects and arrays,
 * has its value replaced by `"[redacted]"`. The guard is by key name, so a caller must still
 * never put a secret under an innocent key. Keys in {@link SAFE_FIELD_KEYS} are exempt by exact
 * name: they name public identifiers, not secrets (`kid` is a public key id, `jti` a token id,
 * `token_kind` / `token_type` / `key_id` a kind or id, never token or key material).
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info", write: (l) => console.error(l), now: () => new Date() });
 * log.info("request", { method: "POST", route: "/auth", status: 200, duration_ms: 1.2 });
 * ```
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of one line. */
export type LogFields = Record<string, unknown>;

/** A JSON-lines logger. */
export interface Logger {
  /** The minimum level that is written. */
  readonly level: LogLevel;
  /** Writes a debug line. */
  debug(event: string, fields?: LogFields): void;
  /** Writes an info line. */
  info(event: string, fields?: LogFields): void;
  /** Writes a warning line. */
  warn(event: string, fields?: LogFields): void;
  /** Writes an error line. */
  error(event: string, fields?: LogFields): void;
  /**
   * Writes an audit line (`"level":"info","event":"audit"`) whatever the minimum level: the
   * audit trail (src/audit/) is a record, not chatter, and `log_level` never silences it.
   */
  audit(fields: LogFields): void;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Minimum level written; lower levels are dropped before any work is done. */
  level: LogLevel;
  /** Receives one JSON line per call, without a trailing newline. */
  write: (line: string) => void;
  /** The clock for the `time` field. */
  now: () => Date;
}

/** Field keys that look sensitive. */
export const REDACT_KEY_PATTERN = /authorization|password|secret|token|key|cookie/i;

/** Exact field keys exempt from redaction: public identifiers, never secret material. */
export const SAFE_FIELD_KEYS: ReadonlySet<string> = new Set([
  "kid",
  "key_id",
  "jti",
  "token_kind",
  "token_type",
]);

/** What a redacted value becomes. */
export const REDACTED = "[redacted]";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(["time", "level", "event"]);
// Deeper structures are cut off: log fields are meant to be flat.
const MAX_DEPTH = 6;

/** Keys already tested (field names are few and fixed: a test per line is wasted work). */
const _verdicts = new Map<string, boolean>();

/** True when a field with this key would be redacted. */
export function isRedactedKey(key: string): boolean {
  let v = _verdicts.get(key);
  if (v === undefined) {
    v = !SAFE_FIELD_KEYS.has(key) && REDACT_KEY_PATTERN.test(key);
    if (_verdicts.size >= 4096) _verdicts.clear(); // keys from data (a Map's) stay bounded
    _verdicts.set(key, v);
  }
  return v;
}

/**
 * Creates a logger. `time`, `level` and `event` always come first; a field with one of those
 * names is written as `field_<name>` instead of overwriting them. Errors become
 * `{name, message, code?}` (no stack), bigints become strings, cycles become `"[circular]"`.
 * A throwing `write` is swallowed: logging must never fail a request.
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = RANK[options.level];
  const { write, now } = options;
  function emit(
    level: LogLevel,
    event: string,
    fields: LogFields | undefined,
    always = false,
  ): void {
    if (!always && RANK[level] < min) return;
    const record: Record<string, unknown> = { time: _iso(now()), level, event };
    if (fields !== undefined) {
      let seen: WeakSet<object> | undefined;
      for (const k of Object.keys(fields)) {
        const v = fields[k];
        if (v === undefined) continue;
        const name = RESERVED.has(k) ? `field_${k}` : k;
        // Strings, booleans, finite numbers and null go as they are (most fields), and so do
        // arrays and plain objects made of them with no key to redact (an audit event's
        // audiences and registry access); the rest is cleaned into a copy (the set of objects
        // met is made only then).
        record[name] = isRedactedKey(k)
          ? REDACTED
          : _plainTree(v, 0)
          ? v
          : _clean(v, seen ??= new WeakSet<object>(), 0);
      }
    }
    let line: string;
    try {
      // JSON.stringify escapes control characters, so a value can never break the line.
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({
        time: record.time,
        level,
        event,
        log_error: "unserializable fields",
      });
    }
    try {
      write(line);
    } catch {
      // Deliberately ignored: see the function's JSDoc.
    }
  }
  return {
    level: options.level,
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    audit: (fields) => emit("info", "audit", fields, true),
  };
}

/** A value JSON writes as it is. */
function _plain(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === "string" || t === "boolean" ||
    (t === "number" && Number.isFinite(v as number));
}

/**
 * True when JSON writes `v` as {@link _clean} would clean it: arrays and plain objects (no class,
 * no Map or Set) of {@link _plain} values, no key to redact, within the depth limit. A cycle
 * reaches the depth limit, so this ends, and `_clean` then handles it.
 */
function _plainTree(v: unknown, depth: number): boolean {
  if (_plain(v)) return true;
  if (typeof v !== "object" || depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!_plainTree(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) {
    if (isRedactedKey(k) || !_plainTree((v as Record<string, unknown>)[k], depth + 1)) {
      return false;
    }
  }
  return true;
}

/** A date's ISO 8601 text, remembered for the millisecond (busy servers log many per one). */
let _isoMs = NaN;
let _isoText = "";
function _iso(d: Date): string {
  const ms = d.getTime();
  if (ms !== _isoMs) {
    _isoText = d.toISOString();
    _isoMs = ms;
  }
  return _isoText;
}

function _clean(v: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "function" || typeof v === "symbol") return String(v);
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (v === null || typeof v !== "object") return v;
  if (seen.has(v)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[truncated]";
  seen.add(v);
  try {
    if (v instanceof Error) {
      const out: Record<string, unknown> = { name: v.name, message: v.message };
      const code = (v as { code?: unknown }).code;
      if (typeof code === "string") out.code = code;
      return out;
    }
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
    if (Array.isArray(v)) return v.map((x) => _clean(x, seen, depth + 1));
    if (v instanceof Map) {
      return _cleanEntries([...v.entries()].map(([k, x]) => [String(k), x]), seen, depth);
    }
    if (v instanceof Set) return [...v].map((x) => _clean(x, seen, depth + 1));
    return _cleanEntries(Object.entries(v), seen, depth);
  } finally {
    seen.delete(v);
  }
}

function _cleanEntries(
  entries: [string, unknown][],
  seen: WeakSet<object>,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) {
    if (x === undefined) continue;
    out[k] = isRedactedKey(k) ? REDACTED : _clean(x, seen, depth + 1);
  }
  return out;
}
