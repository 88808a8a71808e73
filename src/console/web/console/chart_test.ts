import assert from "node:assert/strict";
import { chartGeometry, niceCeiling, quotaShare, timeLabel } from "./chart.ts";

Deno.test("niceCeiling rounds up to 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 1, 3, 7, 10, 11, 180, 501].map(niceCeiling), [
    1,
    1,
    5,
    10,
    10,
    20,
    200,
    1000,
  ]);
});

Deno.test("chartGeometry: one bar per bucket, heights on the scale, errors within requests", () => {
  const buckets = [
    { start: "2026-06-10T12:00:00.000Z", requests: 0, errors: 0 },
    { start: "2026-06-10T12:01:00.000Z", requests: 10, errors: 2 },
    { start: "2026-06-10T12:02:00.000Z", requests: 5, errors: 9 },
  ];
  const g = chartGeometry(buckets, 60, { width: 356, height: 136 });
  assert.equal(g.max, 10);
  assert.equal(g.bars.length, 3);
  assert.equal(g.bars[0].requests.height, 0);
  assert.equal(g.bars[1].requests.height, g.plot.height, "the tallest bar fills the plot");
  assert.equal(g.bars[1].errors.height, g.plot.height / 5);
  assert.equal(g.bars[2].errors.height, g.bars[2].requests.height, "errors never exceed requests");
  for (const b of g.bars) {
    assert.ok(
      b.requests.x >= g.plot.x && b.requests.x + b.requests.width <= g.plot.x + g.plot.width,
    );
    assert.equal(b.requests.y + b.requests.height, g.plot.y + g.plot.height);
  }
  assert.deepEqual(g.ticks.map((t) => t.label), ["0", "5", "10"]);
  assert.equal(g.bars[1].title, "12:01 UTC: 10 requests, 2 errors");
  assert.deepEqual(g.labels.map((l) => l.label), ["12:00", "12:01", "12:02"]);
});

Deno.test("chartGeometry: an empty range still draws a scale; labels are thinned", () => {
  const buckets = Array.from({ length: 60 }, (_, i) => ({
    start: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    requests: 0,
    errors: 0,
  }));
  const g = chartGeometry(buckets, 60);
  assert.equal(g.max, 1);
  assert.ok(g.labels.length <= 6);
  assert.equal(timeLabel("2026-03-04T00:00:00Z", 86_400), "2026-03-04");
});

Deno.test("quotaShare is the used share, capped at 1, 0 without a quota", () => {
  assert.equal(quotaShare(50, 200), 0.25);
  assert.equal(quotaShare(500, 200), 1);
  assert.equal(quotaShare(5, null), 0);
});
