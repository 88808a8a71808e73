import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { sampleEvent } from "../store/audit_suite.ts";
import { nextCursor, parseAuditQuery } from "./query.ts";

const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);
const q = (params: Record<string, string>, org?: string) =>
  parseAuditQuery((n) => params[n], { nowMs: NOW, ...(org === undefined ? {} : { org }) });

Deno.test("parseAuditQuery() reads times as RFC 3339, a date, epoch seconds or a span back from now", () => {
  assert.equal(q({ since: "2026-06-10T11:00:00Z" }).since, NOW - 3_600_000);
  assert.equal(q({ since: "2026-06-10T13:00:00+02:00" }).since, NOW - 3_600_000);
  assert.equal(q({ since: "2026-06-10T11:00:00.250Z" }).since, NOW - 3_599_750);
  assert.equal(q({ since: "2026-06-10" }).since, Date.UTC(2026, 5, 10));
  assert.equal(q({ until: String(NOW / 1000) }).until, NOW);
  assert.equal(q({ since: "30s" }).since, NOW - 30_000);
  assert.equal(q({ since: "15m" }).since, NOW - 900_000);
  assert.equal(q({ since: "24h" }).since, NOW - 86_400_000);
  assert.equal(q({ since: "7d" }).since, NOW - 7 * 86_400_000);
  for (const bad of ["yesterday", "2026-13-01", "2026-06-10T25:00:00Z", "1y", "-1h", "1e9"]) {
    assert.throws(
      () => q({ since: bad }),
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "invalid_request" && /"since"/.test(e.message),
      bad,
    );
  }
});

Deno.test("parseAuditQuery() takes text filters exactly, refuses control characters, and pins an org admin's org", () => {
  const s = q({ actor: "k-1", action: "key.*", target: "acme", jti: "j", outcome: "forbidden" });
  assert.deepEqual(
    [s.actor, s.action, s.target, s.jti, s.outcome, s.limit],
    ["k-1", "key.*", "acme", "j", "forbidden", 100],
  );
  assert.equal(q({ org: "globex" }, "acme").org, "acme");
  assert.equal(q({}, "acme").org, "acme");
  assert.equal(q({ org: "globex" }).org, "globex");
  assert.throws(() => q({ actor: "a\nb" }), /"actor" must be/);
  assert.throws(() => q({ target: "x".repeat(513) }), /"target" must be/);
});

Deno.test("parseAuditQuery() limits pages to 1–1000 and reads the cursor nextCursor() writes", () => {
  assert.equal(q({ limit: "1000" }).limit, 1000);
  for (const bad of ["0", "1001", "ten", "-5", "1.5"]) {
    assert.throws(() => q({ limit: bad }), /"limit" must be an integer from 1 to 1000/, bad);
  }
  const events = [1, 2, 3].map((i) =>
    sampleEvent({ id: `00000000-0000-4000-8000-00000000000${i}`, at: 1000 * i })
  );
  assert.equal(nextCursor(events, 4), null, "a short page is the last");
  const cursor = nextCursor(events, 3)!;
  assert.deepEqual(q({ cursor }).before, { at: 3000, id: events[2].id });
  assert.throws(() => q({ cursor: "3000" }), /"cursor" must be/);
  assert.throws(() => q({ cursor: "x_y" }), /"cursor" must be/);
});
