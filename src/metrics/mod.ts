/**
 * Metrics: fixed-label counters, gauges, info series and histograms, rendered as Prometheus
 * text 0.0.4 or OpenMetrics 1.0, plus Keypebble's own bundle of series.
 *
 * @module
 */

export {
  Counter,
  CounterChild,
  DEFAULT_BUCKETS,
  DEFAULT_MAX_CHILDREN,
  escapeLabelValue,
  formatBound,
  formatNumber,
  Gauge,
  GaugeChild,
  Histogram,
  HistogramChild,
  type HistogramOptions,
  Info,
  InfoChild,
  type LabelValuesOf,
  type MetricOptions,
  type MetricsFormat,
  MetricsRegistry,
  OVERFLOW_LABEL_VALUE,
} from "./registry.ts";
export {
  contentTypeFor,
  negotiateMetricsFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from "./negotiate.ts";
export {
  createKeypebbleMetrics,
  type KeypebbleMetrics,
  type LimitScope,
  type ReloadOutcome,
} from "./keypebble.ts";
export { type ProcessMetricsUpdate, registerProcessMetrics } from "./process.ts";
