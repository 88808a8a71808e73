/**
 * The ClaimBuilder of the Python Keypebble, typed: a mapping from claim name to a value source.
 * Each value is classified in this fixed order:
 *
 * 1. a string starting with `$.query.` → that query parameter (first value), or absent;
 * 2. a string starting with `$.body.`  → that top-level field of the JSON body, or absent;
 *    the string `$.caller` → the authenticated caller's name, or absent for anonymous callers;
 * 3. any other non-function value      → a literal, copied as is;
 * 4. a function                        → called with the request context, its result used.
 *
 * Absent values (`undefined`) are left out of the result rather than signed as `null`.
 *
 * @example
 * ```ts
 * const claims = buildClaims(
 *   { sub: "$.query.account", service: "registry", n: (ctx) => ctx.query.getAll("scope").length },
 *   { query: new URLSearchParams("account=alice"), body: {} },
 * );
 * ```
 */

/** What a claim source can see of a request. */
export interface ClaimContext {
  readonly query: URLSearchParams;
  readonly body: Readonly<Record<string, unknown>>;
  /** The authenticated caller's name, when there is one. */
  readonly caller?: string;
}

/** One source of a claim value. */
export type ClaimSource = string | number | boolean | null | readonly unknown[] | {
  readonly [k: string]: unknown;
} | ((ctx: ClaimContext) => unknown);

/** A mapping of claim names to sources. */
export type ClaimMapping = Readonly<Record<string, ClaimSource>>;

const QUERY = "$.query.";
const BODY = "$.body.";
const CALLER = "$.caller";

/** Build claims from `mapping` against a request context. */
export function buildClaims(mapping: ClaimMapping, ctx: ClaimContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(mapping)) {
    const value = resolveSource(source, ctx);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Resolve one source (exported for tests and for profiles that map a single value). */
export function resolveSource(source: ClaimSource, ctx: ClaimContext): unknown {
  if (typeof source === "string") {
    if (source.startsWith(QUERY)) return ctx.query.get(source.slice(QUERY.length)) ?? undefined;
    if (source === CALLER) return ctx.caller;
    if (source.startsWith(BODY)) {
      const field = source.slice(BODY.length);
      return Object.hasOwn(ctx.body, field) ? ctx.body[field] : undefined;
    }
    return source;
  }
  if (typeof source === "function") return source(ctx);
  return source;
}

/**
 * Check a mapping from the config: every `$.`-source must be `$.query.NAME`, `$.body.NAME` or
 * `$.caller`. Returns the problem, or `undefined` when the mapping is usable.
 */
export function mappingProblem(mapping: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, source] of Object.entries(mapping)) {
    if (typeof source !== "string" || !source.startsWith("$.")) continue;
    const ok = source === CALLER ||
      (source.startsWith(QUERY) && source.length > QUERY.length) ||
      (source.startsWith(BODY) && source.length > BODY.length);
    if (!ok) {
      return `${name}: "${source.slice(0, 64)}" is not $.query.NAME, $.body.NAME or $.caller`;
    }
  }
  return undefined;
}
