import assert from "node:assert/strict";
import { epochSeconds } from "./times.ts";

Deno.test("epochSeconds() reads SQLAlchemy's SQLite form as UTC", () => {
  assert.equal(epochSeconds("2026-01-31 12:00:00"), Date.UTC(2026, 0, 31, 12) / 1000);
  assert.equal(epochSeconds("2026-01-31 12:00:00.999999"), Date.UTC(2026, 0, 31, 12) / 1000);
});

Deno.test("epochSeconds() reads ISO 8601 with Z or an offset (pico-auth's isoformat)", () => {
  const noon = Date.UTC(2026, 0, 31, 12) / 1000;
  assert.equal(epochSeconds("2026-01-31T12:00:00Z"), noon);
  assert.equal(epochSeconds("2026-01-31T12:00:00.123456+00:00"), noon);
  assert.equal(epochSeconds("2026-01-31T14:00:00+02:00"), noon);
  assert.equal(epochSeconds("2026-01-31T07:30:00-0430"), noon);
});

Deno.test("epochSeconds() takes Dates and numbers, and refuses what is not a time", () => {
  assert.equal(epochSeconds(new Date(1_700_000_000_500)), 1_700_000_000);
  assert.equal(epochSeconds(1_700_000_000), 1_700_000_000);
  for (const v of [null, undefined, "", "yesterday", "2026-13", {}, new Date(NaN), true]) {
    assert.equal(epochSeconds(v), null);
  }
});
