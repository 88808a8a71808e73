import assert from "node:assert/strict";
import { uuid7 } from "./uuid7.ts";

Deno.test("uuid7: RFC 9562 layout (version 7, variant 10), the time in the first 48 bits", () => {
  const ms = Date.UTC(2026, 11, 6, 1, 2, 3, 456);
  const id = uuid7(ms);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), ms);
  assert.notEqual(uuid7(ms), id); // 74 random bits
});

Deno.test("uuid7: ids of later milliseconds sort after earlier ones", () => {
  const ids = [0, 1, 255, 256, 65_536, Date.UTC(2026, 0, 1), Date.UTC(2100, 0, 1)].map(uuid7);
  assert.deepEqual([...ids].sort(), ids);
});

Deno.test("uuid7: ids drawn across refills of the random pool are all different", () => {
  const ms = Date.UTC(2026, 11, 6);
  const ids = new Set(Array.from({ length: 5000 }, () => uuid7(ms)));
  assert.equal(ids.size, 5000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
});
