/**
 * Content types of the two exposition formats and the `Accept` negotiation between them.
 */

import type { MetricsFormat } from "./registry.ts";

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Content type of the OpenMetrics 1.0 text format. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** The content type for a format. */
export function contentTypeFor(format: MetricsFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

/**
 * Picks the exposition format from an `Accept` header (RFC 9110 §12.5.1). OpenMetrics is chosen
 * only when `application/openmetrics-text` is acceptable (q > 0, version absent, `1.0.0` or
 * `0.0.1`) with a weight at least that of any acceptable text/plain or wildcard; everything
 * else, including a missing or malformed header, gets Prometheus 0.0.4, which every scraper
 * understands.
 *
 * @example
 * ```ts
 * negotiateMetricsFormat("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
 * // "openmetrics"
 * ```
 */
export function negotiateMetricsFormat(accept: string | null): MetricsFormat {
  if (accept === null) return "prometheus";
  let om = 0;
  let text = 0;
  for (const range of accept.split(",")) {
    const [rawType, ...rawParams] = range.split(";");
    const type = rawType!.trim().toLowerCase();
    let q = 1;
    let version: string | undefined;
    for (const p of rawParams) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
      if (k === "q") {
        const n = Number(v);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      } else if (k === "version") {
        version = v;
      }
    }
    if (q <= 0) continue;
    if (type === "application/openmetrics-text") {
      // 0.0.1 is the pre-1.0 name Prometheus still offers; the text is the same.
      if (version === undefined || version === "1.0.0" || version === "0.0.1") om = Math.max(om, q);
    } else if (type === "text/plain" || type === "text/*" || type === "*/*") {
      text = Math.max(text, q);
    }
  }
  return om > 0 && om >= text ? "openmetrics" : "prometheus";
}
