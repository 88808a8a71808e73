/**
 * Hand-written metrics: counters, gauges, info series and fixed-bucket histograms with label sets
 * fixed at registration, rendered as Prometheus text 0.0.4 or OpenMetrics 1.0.
 *
 * The hot path does no string building: `labels(...)` walks nested Maps to a cached child once
 * per call (or the caller keeps the child), and `inc()` / `observe()` only touch numbers.
 *
 * Cardinality is bounded: each metric keeps at most `maxChildren` (default 1000) label
 * combinations; any further combination is folded into one overflow child whose label values are
 * all `"other"`, so a caller that passes an unbounded value can never blow up memory or a scrape.
 *
 * @example
 * ```ts
 * const registry = new MetricsRegistry();
 * const requests = registry.counter("keypebble_http_requests", "HTTP requests", ["route", "method", "code"]);
 * requests.labels("/auth", "POST", "200").inc();
 * const text = registry.renderOpenMetrics();
 * ```
 */

import { KeypebbleError } from "../errors.ts";

/** The label value every label of the overflow child carries. */
export const OVERFLOW_LABEL_VALUE = "other";

/** Default cap on distinct label combinations per metric (the overflow child comes on top). */
export const DEFAULT_MAX_CHILDREN = 1000;

/** Default histogram buckets, in seconds: 0.5 ms to 5 s, suited to request latency. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
]);

/** One string per declared label name, in declaration order. */
export type LabelValuesOf<N extends readonly string[]> = { [K in keyof N]: string };

/** Options shared by every metric kind at registration. */
export interface MetricOptions {
  /** Distinct label combinations kept before folding into the overflow child. Default 1000. */
  maxChildren?: number;
  /**
   * OpenMetrics unit (e.g. `"seconds"`); the metric name must end with `_<unit>`.
   * Rendered as `# UNIT` in OpenMetrics only.
   */
  unit?: string;
}

/** Options for a histogram. */
export interface HistogramOptions extends MetricOptions {
  /** Finite, strictly increasing upper bounds; `+Inf` is always added. Default DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

/** The two text formats this module renders. */
export type MetricsFormat = "prometheus" | "openmetrics";

/** A single counter series. */
export class CounterChild {
  #value = 0;

  /** Adds `n` (default 1); `n` must be finite and non-negative, a counter never goes down. */
  inc(n = 1): void {
    if (!(n >= 0) || n === Infinity) {
      throw new KeypebbleError(
        "internal_error",
        `Counter increment "${n}" is not a finite non-negative number`,
      );
    }
    this.#value += n;
  }

  /** The current total. */
  get value(): number {
    return this.#value;
  }
}

/** A single gauge series. */
export class GaugeChild {
  #value = 0;

  /** Sets the value. */
  set(v: number): void {
    this.#value = v;
  }

  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.#value += n;
  }

  /** Subtracts `n` (default 1). */
  dec(n = 1): void {
    this.#value -= n;
  }

  /** The current value. */
  get value(): number {
    return this.#value;
  }
}

/** A single info series: its labels are the information, its value is always 1. */
export class InfoChild {
  /** Always 1 (OpenMetrics §info). */
  get value(): 1 {
    return 1;
  }
}

/** A single histogram series with fixed buckets. */
export class HistogramChild {
  readonly #bounds: readonly number[];
  /** Non-cumulative counts; the last slot is the `+Inf` bucket. Cumulated at render time. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation (e.g. seconds). NaN is ignored: it has no bucket. */
  observe(v: number): void {
    if (v !== v) return;
    const bounds = this.#bounds;
    let i = 0;
    // `le` is inclusive: an observation equal to a bound falls into that bucket.
    while (i < bounds.length && v > bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += v;
    this.#count++;
  }

  /** Total number of observations. */
  get count(): number {
    return this.#count;
  }

  /** Sum of all observations. */
  get sum(): number {
    return this.#sum;
  }

  /** Cumulative bucket counts, one per bound plus the final `+Inf` (equal to `count`). */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (const c of this.#counts) {
      acc += c;
      out.push(acc);
    }
    return out;
  }
}

type MetricKind = "counter" | "gauge" | "histogram" | "info";

interface Series<C> {
  readonly values: readonly string[];
  readonly child: C;
}

// Names: Prometheus data model; label names must not start with "__" (reserved).
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Shared machinery: fixed label names, nested-Map child cache, overflow child, render data.
 * Not exported; use the concrete classes.
 */
abstract class _Metric<C, V extends readonly string[]> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly unit: string | undefined;
  readonly maxChildren: number;
  abstract readonly kind: MetricKind;

  // Nested Maps, one level per label: no key strings are built on lookup.
  readonly #root = new Map<string, unknown>();
  readonly #series: Series<C>[] = [];
  #overflow: C | undefined;

  constructor(name: string, help: string, labelNames: readonly string[], options: MetricOptions) {
    if (!METRIC_NAME.test(name)) {
      throw new KeypebbleError("internal_error", `Metric name "${name}" is not valid`);
    }
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__") || l === "le" || seen.has(l)) {
        throw new KeypebbleError("internal_error", `Label name "${l}" is not valid for "${name}"`);
      }
      seen.add(l);
    }
    if (options.unit !== undefined && !name.endsWith(`_${options.unit}`)) {
      // OpenMetrics 1.0 §Unit: the unit must be a suffix of the family name.
      throw new KeypebbleError(
        "internal_error",
        `Metric name "${name}" must end with unit "_${options.unit}"`,
      );
    }
    const max = options.maxChildren ?? DEFAULT_MAX_CHILDREN;
    if (!Number.isInteger(max) || max < 1) {
      throw new KeypebbleError(
        "internal_error",
        `Metric "${name}" maxChildren "${max}" must be a positive integer`,
      );
    }
    this.name = name;
    this.help = help;
    this.labelNames = Object.freeze([...labelNames]);
    this.unit = options.unit;
    this.maxChildren = max;
  }

  protected abstract newChild(): C;

  /**
   * The child for these label values, in the order the label names were declared. Cached: keep
   * the returned handle on hot paths. Past `maxChildren` distinct combinations, new ones share
   * the overflow child (every label `"other"`).
   */
  labels(...values: V): C {
    const n = this.labelNames.length;
    if (values.length !== n) {
      throw new KeypebbleError(
        "internal_error",
        `Metric "${this.name}" takes "${n}" label values, got "${values.length}"`,
      );
    }
    let node: Map<string, unknown> = this.#root;
    // Walk the first n-1 levels; the last level maps to the child itself.
    for (let i = 0; i < n - 1; i++) {
      const next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) return this.#create(values);
      node = next;
    }
    const key = n === 0 ? "" : values[n - 1]!;
    const hit = node.get(key) as C | undefined;
    return hit === undefined ? this.#create(values) : hit;
  }

  #create(values: readonly string[]): C {
    if (this.#series.length >= this.maxChildren) {
      if (this.#overflow === undefined) this.#overflow = this.newChild();
      return this.#overflow;
    }
    const child = this.newChild();
    const n = this.labelNames.length;
    let node = this.#root;
    for (let i = 0; i < n - 1; i++) {
      let next = node.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i]!, next);
      }
      node = next;
    }
    node.set(n === 0 ? "" : values[n - 1]!, child);
    this.#series.push({ values: Object.freeze([...values]), child });
    return child;
  }

  /** Every series in creation order, the overflow child last. For rendering and tests. */
  series(): Series<C>[] {
    // A metric without labels has exactly one series, rendered (as 0) even before first use.
    if (this.labelNames.length === 0 && this.#series.length === 0) {
      this.labels(...([] as unknown as V));
    }
    const out = [...this.#series];
    if (this.#overflow !== undefined) {
      out.push({
        values: this.labelNames.map(() => OVERFLOW_LABEL_VALUE),
        child: this.#overflow,
      });
    }
    return out;
  }

  /** Number of distinct series, overflow child included. */
  get size(): number {
    return this.#series.length + (this.#overflow === undefined ? 0 : 1);
  }
}

/** A monotonically increasing counter with a fixed label set. */
export class Counter<V extends readonly string[] = readonly string[]>
  extends _Metric<CounterChild, V> {
  readonly kind = "counter";
  protected newChild(): CounterChild {
    return new CounterChild();
  }
}

/** A gauge (a value that goes up and down) with a fixed label set. */
export class Gauge<V extends readonly string[] = readonly string[]> extends _Metric<GaugeChild, V> {
  readonly kind = "gauge";
  protected newChild(): GaugeChild {
    return new GaugeChild();
  }
}

/**
 * An info series (OpenMetrics `info`; a gauge `<name>_info` with value 1 in Prometheus 0.0.4).
 * Calling `labels(...)` creates the series.
 */
export class Info<V extends readonly string[] = readonly string[]> extends _Metric<InfoChild, V> {
  readonly kind = "info";
  protected newChild(): InfoChild {
    return new InfoChild();
  }
}

/** A histogram with fixed buckets and a fixed label set. */
export class Histogram<V extends readonly string[] = readonly string[]>
  extends _Metric<HistogramChild, V> {
  readonly kind = "histogram";
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    options: HistogramOptions,
  ) {
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    // Le bounds must be finite and strictly increasing; +Inf is implicit.
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (!Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
        throw new KeypebbleError(
          "internal_error",
          `Histogram "${name}" buckets must be finite and strictly increasing`,
        );
      }
    }
    super(name, help, labelNames, options);
    this.buckets = Object.freeze([...buckets]);
  }

  protected newChild(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
}

/** Any metric this registry holds. */
export type AnyMetric = Counter | Gauge | Histogram | Info;

/** A set of metrics rendered together, in registration order. */
export class MetricsRegistry {
  readonly #metrics: AnyMetric[] = [];
  readonly #names = new Set<string>();

  #add<M extends AnyMetric>(m: M): M {
    // Reserve every sample name the family renders, so two families never collide.
    const names = _sampleNames(m);
    for (const n of names) {
      if (this.#names.has(n)) {
        throw new KeypebbleError("internal_error", `Metric name "${n}" is already registered`);
      }
    }
    for (const n of names) this.#names.add(n);
    this.#metrics.push(m);
    return m;
  }

  /**
   * Registers a counter. `name` is the family name without `_total` (a trailing `_total` is
   * stripped); samples render as `<name>_total`.
   */
  counter<const N extends readonly string[]>(
    name: string,
    help: string,
    labelNames: N,
    options: MetricOptions = {},
  ): Counter<LabelValuesOf<N>> {
    const family = name.endsWith("_total") ? name.slice(0, -"_total".length) : name;
    return this.#add(
      new Counter<LabelValuesOf<N>>(family, help, labelNames, options) as Counter,
    ) as unknown as Counter<LabelValuesOf<N>>;
  }

  /** Registers a gauge. */
  gauge<const N extends readonly string[]>(
    name: string,
    help: string,
    labelNames: N,
    options: MetricOptions = {},
  ): Gauge<LabelValuesOf<N>> {
    return this.#add(
      new Gauge<LabelValuesOf<N>>(name, help, labelNames, options) as Gauge,
    ) as unknown as Gauge<LabelValuesOf<N>>;
  }

  /** Registers an info family; `name` excludes `_info` (a trailing `_info` is stripped). */
  info<const N extends readonly string[]>(
    name: string,
    help: string,
    labelNames: N,
    options: MetricOptions = {},
  ): Info<LabelValuesOf<N>> {
    const family = name.endsWith("_info") ? name.slice(0, -"_info".length) : name;
    return this.#add(
      new Info<LabelValuesOf<N>>(family, help, labelNames, options) as Info,
    ) as unknown as Info<LabelValuesOf<N>>;
  }

  /** Registers a histogram with fixed buckets (default DEFAULT_BUCKETS, in seconds). */
  histogram<const N extends readonly string[]>(
    name: string,
    help: string,
    labelNames: N,
    options: HistogramOptions = {},
  ): Histogram<LabelValuesOf<N>> {
    return this.#add(
      new Histogram<LabelValuesOf<N>>(name, help, labelNames, options) as Histogram,
    ) as unknown as Histogram<LabelValuesOf<N>>;
  }

  /** The registered metrics, in registration order. */
  metrics(): readonly AnyMetric[] {
    return this.#metrics;
  }

  /** Renders in the given format. */
  render(format: MetricsFormat): string {
    return format === "openmetrics" ? this.renderOpenMetrics() : this.renderPrometheus();
  }

  /**
   * Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` name the sample name
   * (counters with `_total`), info families become gauges named `<name>_info`, histograms render
   * cumulative `_bucket{le}` lines ending at `+Inf`, then `_sum` and `_count`.
   */
  renderPrometheus(): string {
    const out: string[] = [];
    for (const m of this.#metrics) {
      const typeName = m.kind === "counter"
        ? `${m.name}_total`
        : m.kind === "info"
        ? `${m.name}_info`
        : m.name;
      const type = m.kind === "info" ? "gauge" : m.kind;
      out.push(`# HELP ${typeName} ${_escapeHelp(m.help, false)}\n`);
      out.push(`# TYPE ${typeName} ${type}\n`);
      _renderSamples(m, out);
    }
    return out.join("");
  }

  /**
   * OpenMetrics 1.0 text format: `# TYPE` names the family (no `_total` / `_info`), optional
   * `# UNIT`, counter samples `<name>_total`, info samples `<name>_info ... 1`, histogram
   * `_bucket{le}` with `+Inf`, `_count`, `_sum`; the exposition ends with `# EOF\n`.
   */
  renderOpenMetrics(): string {
    const out: string[] = [];
    for (const m of this.#metrics) {
      out.push(`# TYPE ${m.name} ${m.kind}\n`);
      if (m.unit !== undefined) out.push(`# UNIT ${m.name} ${m.unit}\n`);
      out.push(`# HELP ${m.name} ${_escapeHelp(m.help, true)}\n`);
      _renderSamples(m, out);
    }
    out.push("# EOF\n");
    return out.join("");
  }
}

function _sampleNames(m: AnyMetric): string[] {
  switch (m.kind) {
    case "counter":
      // `_created` is reserved too (OpenMetrics counter samples), though not rendered.
      return [m.name, `${m.name}_total`, `${m.name}_created`];
    case "info":
      return [m.name, `${m.name}_info`];
    case "histogram":
      return [m.name, `${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`, `${m.name}_created`];
    case "gauge":
      return [m.name];
  }
}

function _renderSamples(m: AnyMetric, out: string[]): void {
  switch (m.kind) {
    case "counter":
      for (const s of m.series()) {
        out.push(
          `${m.name}_total${_labels(m.labelNames, s.values)} ${formatNumber(s.child.value)}\n`,
        );
      }
      return;
    case "gauge":
      for (const s of m.series()) {
        out.push(`${m.name}${_labels(m.labelNames, s.values)} ${formatNumber(s.child.value)}\n`);
      }
      return;
    case "info":
      for (const s of m.series()) {
        out.push(`${m.name}_info${_labels(m.labelNames, s.values)} 1\n`);
      }
      return;
    case "histogram": {
      const les = [...m.buckets.map(formatBound), "+Inf"];
      for (const s of m.series()) {
        const cum = s.child.cumulative();
        for (let i = 0; i < les.length; i++) {
          const labels = _labels(m.labelNames, s.values, les[i]);
          out.push(`${m.name}_bucket${labels} ${formatNumber(cum[i]!)}\n`);
        }
        const labels = _labels(m.labelNames, s.values);
        out.push(`${m.name}_sum${labels} ${formatNumber(s.child.sum)}\n`);
        out.push(`${m.name}_count${labels} ${formatNumber(s.child.count)}\n`);
      }
      return;
    }
  }
}

function _labels(names: readonly string[], values: readonly string[], le?: string): string {
  if (names.length === 0 && le === undefined) return "";
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    parts.push(`${names[i]}="${escapeLabelValue(values[i]!)}"`);
  }
  if (le !== undefined) parts.push(`le="${le}"`);
  return `{${parts.join(",")}}`;
}

/** Escapes a label value for both formats: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

// 0.0.4 escapes only `\` and newline in HELP; OpenMetrics also escapes `"`.
function _escapeHelp(v: string, openMetrics: boolean): string {
  return v.replace(
    openMetrics ? /[\\"\n]/g : /[\\\n]/g,
    (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"),
  );
}

/** Formats a sample value: `+Inf`, `-Inf`, `NaN`, otherwise the shortest JS form. */
export function formatNumber(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v !== v) return "NaN";
  return String(v);
}

/**
 * Formats a bucket bound as the `le` value. Integral bounds get a `.0` (`1.0`, not `1`), the
 * canonical float form OpenMetrics asks for and what other clients emit, so the same series
 * keeps the same `le` across formats and clients.
 */
export function formatBound(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : formatNumber(v);
}
