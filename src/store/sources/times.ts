/**
 * Times as other programs store them, to seconds since the epoch: SQLAlchemy's SQLite form
 * (`2026-01-31 12:00:00[.ffffff]`, UTC when no offset is given), ISO 8601 with `T`, `Z` or an
 * offset (pico-auth's `datetime.isoformat()`), PostgreSQL timestamps (a `Date` from the driver),
 * or a number of seconds.
 */

const STAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Seconds since the epoch (floored), or null when `v` is empty or not a time. */
export function epochSeconds(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (v instanceof Date) {
    const ms = v.getTime();
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
  }
  if (typeof v === "number" || typeof v === "bigint") {
    const n = Number(v);
    return Number.isFinite(n) ? Math.floor(n) : null;
  }
  if (typeof v !== "string") return null;
  const m = STAMP.exec(v.trim());
  if (m === null) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", , zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
    ms -= sign * offset * 60_000;
  }
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
