/**
 * Reading the trail: the filters of `GET /admin/audit` and `keypebble audit`, parsed once for
 * both, and the paging cursor.
 *
 * - `since`, `until`: an RFC 3339 time (`2026-06-10T12:00:00Z`), a date (`2026-06-10`, UTC
 *   midnight), seconds since the epoch, or a span back from now (`30s`, `15m`, `24h`, `7d`);
 * - `actor`, `target`, `jti`, `outcome`, `org`: exact matches; `action`: exact, or a prefix
 *   ending in `*` (`key.*`);
 * - `limit`: 1 to 1000 (default 100); `cursor`: the `next_cursor` of the page before.
 */

import { KeypebbleError } from "../errors.ts";
import type { AuditRecord, AuditSelection } from "../store/mod.ts";

/** Default and largest page. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The filters, by their names in the query string and on the command line. */
export const AUDIT_FILTERS = [
  "since",
  "until",
  "actor",
  "action",
  "target",
  "jti",
  "outcome",
  "org",
  "limit",
  "cursor",
] as const;

const SPAN = /^(\d{1,6})([smhd])$/;
const SPAN_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const RFC3339 =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;
const CURSOR = /^(\d{1,16})_([0-9a-f-]{36})$/;

function _bad(message: string): never {
  throw KeypebbleError.answer("invalid_request", message);
}

/** A time filter in milliseconds since the epoch. */
function _time(name: string, v: string, nowMs: number): number {
  const span = SPAN.exec(v);
  if (span !== null) return nowMs - Number(span[1]) * SPAN_MS[span[2]];
  if (/^\d{1,12}$/.test(v)) return Number(v) * 1000;
  if (RFC3339.test(v)) {
    const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isFinite(t)) return t;
  }
  return _bad(
    `"${name}" must be an RFC 3339 time (2026-06-10T12:00:00Z), a date, seconds since the ` +
      "epoch, or a span such as 24h or 7d",
  );
}

function _text(name: string, v: string): string {
  // deno-lint-ignore no-control-regex
  if (v.length > 512 || /[\x00-\x1f\x7f]/.test(v)) {
    _bad(`"${name}" must be at most 512 characters, without control characters`);
  }
  return v;
}

/**
 * Parse the filters given by `get` (a query string's, or the command line's). `org`, when the
 * reader is limited to one organisation, replaces any `org` asked for (the caller checks that
 * one first). Throws `invalid_request` naming the bad filter.
 */
export function parseAuditQuery(
  get: (name: string) => string | undefined,
  options: { nowMs: number; org?: string },
): AuditSelection {
  const s: {
    -readonly [K in keyof AuditSelection]: AuditSelection[K];
  } = { limit: DEFAULT_LIMIT };
  const since = get("since");
  if (since !== undefined && since !== "") s.since = _time("since", since, options.nowMs);
  const until = get("until");
  if (until !== undefined && until !== "") s.until = _time("until", until, options.nowMs);
  for (const name of ["actor", "action", "target", "jti", "outcome", "org"] as const) {
    const v = get(name);
    if (v !== undefined && v !== "") s[name] = _text(name, v);
  }
  if (options.org !== undefined) s.org = options.org;
  const limit = get("limit");
  if (limit !== undefined && limit !== "") {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
      _bad(`"limit" must be an integer from 1 to ${MAX_LIMIT}`);
    }
    s.limit = Number(limit);
  }
  const cursor = get("cursor");
  if (cursor !== undefined && cursor !== "") {
    const m = CURSOR.exec(cursor);
    if (m === null) _bad('"cursor" must be the "next_cursor" of a previous page');
    s.before = { at: Number(m![1]), id: m![2] };
  }
  return s;
}

/** The cursor of the page after `events` (a full page), or null when it was the last. */
export function nextCursor(events: readonly AuditRecord[], limit: number): string | null {
  if (events.length < limit || events.length === 0) return null;
  const last = events[events.length - 1];
  return `${last.at}_${last.id}`;
}
