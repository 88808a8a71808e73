import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { openStore, type Store } from "../store/mod.ts";
import { sampleEvent } from "../store/audit_suite.ts";
import { AuditLostError, AuditWriter } from "./writer.ts";

const DAY = 86_400_000;

function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

async function store(): Promise<Store> {
  return await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
}

/** `s` with an audit table that fails while `down.on`. */
function flaky(s: Store, down: { on: boolean; calls: number }): Store {
  return {
    ...s,
    audit: {
      ...s.audit,
      add: (batch) => {
        down.calls++;
        return down.on
          ? Promise.reject(new KeypebbleError("store_unavailable", "disk full"))
          : s.audit.add(batch);
      },
    },
  };
}

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(await cond(), "the condition never held");
}

Deno.test("AuditWriter writes queued events in batches (no store round trip per event)", async () => {
  const s = await store();
  const down = { on: false, calls: 0 };
  const w = new AuditWriter({ store: flaky(s, down) });
  for (let i = 0; i < 4500; i++) w.add(sampleEvent({ id: id(i), at: i }));
  assert.equal(w.pending(), 4500);
  assert.equal(down.calls, 0, "add() never touches the store");
  await w.flush();
  assert.equal(down.calls, 3, "2000 + 2000 + 500");
  assert.equal(w.pending(), 0);
  assert.equal((await s.audit.list({ limit: 1000, since: 4000 })).length, 500);
  await w.close();
  await s.close();
});

Deno.test("AuditWriter keeps what a failing store did not take, in order, and writes it once it is back", async () => {
  const s = await store();
  const down = { on: true, calls: 0 };
  const w = new AuditWriter({ store: flaky(s, down) });
  w.add(sampleEvent({ id: id(1), at: 1 }));
  w.add(sampleEvent({ id: id(2), at: 2 }));
  await assert.rejects(() => w.flush(), /disk full/);
  w.add(sampleEvent({ id: id(3), at: 3 }));
  assert.equal(w.pending(), 3);
  down.on = false;
  await w.flush();
  assert.deepEqual((await s.audit.list({ limit: 10 })).map((e) => e.at), [3, 2, 1]);
  await w.close();
  await s.close();
});

Deno.test("AuditWriter bounds its queue: beyond maxPending events are dropped, counted, and a close says how many", async () => {
  const s = await store();
  const w = new AuditWriter({ store: s, maxPending: 2 });
  for (let i = 0; i < 5; i++) w.add(sampleEvent({ id: id(i), at: i }));
  assert.equal(w.pending(), 2);
  await assert.rejects(
    () => w.close(),
    (e: unknown) => e instanceof AuditLostError && e.lost === 3 && /3 audit event/.test(e.message),
  );
  assert.equal((await s.audit.list({ limit: 10 })).length, 2, "what fitted was written");
  await s.close();
});

Deno.test("AuditWriter.close() tries again, and throws AuditLostError naming the events lost when the store stays down", async () => {
  const s = await store();
  const down = { on: true, calls: 0 };
  const errors: unknown[] = [];
  const w = new AuditWriter({ store: flaky(s, down), onError: (e) => errors.push(e) });
  w.add(sampleEvent({ id: id(1), at: 1 }));
  await assert.rejects(
    () => w.close({ attempts: 2 }),
    (e: unknown) =>
      e instanceof AuditLostError && e.lost === 1 && e.code === "store_unavailable" &&
      /1 audit event\(s\) could not be written .* \(2 attempts; the log stream has them\)/.test(
        e.message,
      ),
  );
  assert.equal(down.calls, 2);
  assert.equal(errors.length, 2, "each failed attempt is reported");
  // A store that comes back during the retries loses nothing.
  const w2 = new AuditWriter({ store: flaky(s, down) });
  w2.add(sampleEvent({ id: id(2), at: 2 }));
  setTimeout(() => (down.on = false), 0);
  await w2.close({ attempts: 5 });
  assert.equal((await s.audit.list({ limit: 10 })).length, 1);
  await s.close();
});

Deno.test("AuditWriter.purge() deletes events older than the retention; 0 keeps them for ever", async () => {
  const s = await store();
  const now = 400 * DAY;
  await s.audit.add([
    sampleEvent({ id: id(1), at: now - 91 * DAY }),
    sampleEvent({ id: id(2), at: now - 89 * DAY }),
    sampleEvent({ id: id(3), at: now - 1000 }),
  ]);
  const keep = new AuditWriter({ store: s, retentionDays: 0, now: () => now });
  assert.equal(await keep.purge(), 0);
  assert.equal((await s.audit.list({ limit: 10 })).length, 3);
  const w = new AuditWriter({ store: s, retentionDays: 90, now: () => now });
  assert.equal(await w.purge(), 1);
  assert.deepEqual((await s.audit.list({ limit: 10 })).map((e) => e.id), [id(3), id(2)]);
  const week = new AuditWriter({ store: s, retentionDays: 7, now: () => now });
  assert.equal(await week.purge(), 1);
  await s.close();
});

Deno.test("AuditWriter.start() writes in the background and purges by retention, until close()", async () => {
  const s = await store();
  const now = 400 * DAY;
  await s.audit.add([sampleEvent({ id: id(1), at: now - 100 * DAY })]);
  const w = new AuditWriter({ store: s, retentionDays: 90, now: () => now, flushMs: 10 });
  w.start();
  w.add(sampleEvent({ id: id(2), at: now }));
  await until(async () => {
    const ids = (await s.audit.list({ limit: 10 })).map((e) => e.id);
    return ids.length === 1 && ids[0] === id(2);
  });
  await w.close();
  await s.close();
});
