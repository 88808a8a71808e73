import assert from "node:assert/strict";
import {
  contentTypeFor,
  negotiateMetricsFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from "./negotiate.ts";

Deno.test("negotiateMetricsFormat() picks OpenMetrics for Prometheus' scrape Accept header", () => {
  const accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" +
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  assert.equal(negotiateMetricsFormat(accept), "openmetrics");
  assert.equal(negotiateMetricsFormat("application/openmetrics-text"), "openmetrics");
});

Deno.test("negotiateMetricsFormat() falls back to Prometheus text", () => {
  assert.equal(negotiateMetricsFormat(null), "prometheus");
  assert.equal(negotiateMetricsFormat(""), "prometheus");
  assert.equal(negotiateMetricsFormat("*/*"), "prometheus");
  assert.equal(negotiateMetricsFormat("text/plain;version=0.0.4"), "prometheus");
  assert.equal(negotiateMetricsFormat("application/openmetrics-text;q=0"), "prometheus");
  assert.equal(negotiateMetricsFormat("application/openmetrics-text;version=2.0.0"), "prometheus");
  assert.equal(
    negotiateMetricsFormat("text/plain, application/openmetrics-text;q=0.5"),
    "prometheus",
  );
  assert.equal(negotiateMetricsFormat(";;,garbage;q=abc"), "prometheus");
});

Deno.test("contentTypeFor() returns the exported content types", () => {
  assert.equal(contentTypeFor("prometheus"), PROMETHEUS_CONTENT_TYPE);
  assert.equal(contentTypeFor("openmetrics"), OPENMETRICS_CONTENT_TYPE);
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(
    OPENMETRICS_CONTENT_TYPE,
    "application/openmetrics-text; version=1.0.0; charset=utf-8",
  );
});
