/**
 * The usage chart's geometry, without the page: bars for requests and errors per bucket on a
 * "nice" vertical scale, ticks, and a few time labels. The page draws it as SVG with attributes
 * only (no style attribute: the CSP forbids inline style; colours come from the stylesheet).
 *
 * @module
 */

/** One bucket of `GET /admin/usage`. */
export interface Bucket {
  readonly start: string;
  readonly requests: number;
  readonly errors: number;
}

/** A rectangle in chart coordinates. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Everything the page needs to draw the chart. */
export interface ChartGeometry {
  readonly width: number;
  readonly height: number;
  /** The plotting area (left of it: the axis labels; below it: the time labels). */
  readonly plot: Rect;
  readonly max: number;
  readonly bars: readonly { requests: Rect; errors: Rect; title: string }[];
  readonly ticks: readonly { y: number; label: string }[];
  readonly labels: readonly { x: number; label: string }[];
}

/** The smallest of 1, 2, 5 × 10^n at or above `v` (at least 1). */
export function niceCeiling(v: number): number {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A bucket's start as a short label for its range. */
export function timeLabel(iso: string, bucketSeconds: number): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  if (bucketSeconds >= 86_400) {
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
  }
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** Lay out `buckets` in a `width` × `height` box. */
export function chartGeometry(
  buckets: readonly Bucket[],
  bucketSeconds: number,
  size: { width: number; height: number } = { width: 720, height: 220 },
): ChartGeometry {
  const { width, height } = size;
  const plot: Rect = { x: 48, y: 8, width: width - 56, height: height - 36 };
  const max = niceCeiling(Math.max(0, ...buckets.map((b) => b.requests)));
  const n = Math.max(1, buckets.length);
  const slot = plot.width / n;
  const barWidth = Math.max(1, slot * 0.8);
  const yOf = (v: number) => plot.y + plot.height - (v / max) * plot.height;
  const bars = buckets.map((b, i) => {
    const x = plot.x + i * slot + (slot - barWidth) / 2;
    const r = (v: number): Rect => ({
      x: round(x),
      y: round(yOf(v)),
      width: round(barWidth),
      height: round(plot.y + plot.height - yOf(v)),
    });
    return {
      requests: r(b.requests),
      errors: r(Math.min(b.errors, b.requests)),
      title: `${timeLabel(b.start, bucketSeconds)} UTC: ${b.requests} requests, ${b.errors} errors`,
    };
  });
  const ticks = [0, 0.5, 1].map((f) => ({
    y: round(yOf(max * f)),
    label: String(Math.round(max * f)),
  }));
  const every = Math.max(1, Math.ceil(n / 6));
  const labels = buckets.flatMap((b, i) =>
    i % every === 0
      ? [{ x: round(plot.x + i * slot + slot / 2), label: timeLabel(b.start, bucketSeconds) }]
      : []
  );
  return { width, height, plot, max, bars, ticks, labels };
}

/** The share of a quota used, 0 to 1 (0 when there is no quota). */
export function quotaShare(used: number, quota: number | null): number {
  if (quota === null || quota <= 0) return 0;
  return Math.min(1, used / quota);
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
