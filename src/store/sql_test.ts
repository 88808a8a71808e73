import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { KeypebbleError } from "../errors.ts";
import type { SqliteDatabase, SqliteOpener } from "../platform/sqlite.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { type StoreFault, UNAVAILABLE_MESSAGE } from "./sql.ts";
import { openStore, type Store } from "./store.ts";

async function withFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/kp.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const org = (name: string) => ({ id: name, name, status: "active" as const, createdAt: 1 });

Deno.test("sqlite: a write waiting for another process's lock never blocks the event loop", async () => {
  await withFile(async (path) => {
    let own: SqliteDatabase | undefined;
    const store = await openStore(`sqlite:${path}`, {
      sqlite: async (p, o) => own = await openDenoSqlite(p, o),
      now: 1,
    });
    // SQLite's own wait is synchronous (it would hold every request of the process): off.
    assert.equal(Number(own!.all("PRAGMA busy_timeout", [])[0].timeout), 0);
    const other = new DatabaseSync(path);
    other.exec("PRAGMA busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE"); // another process holds the write lock
    let ticked = false;
    const write = store.orgs.create(org("acme"));
    // A timer (any other request) runs while the write waits, and lets the lock go.
    setTimeout(() => {
      ticked = true;
      other.exec("COMMIT");
    }, 20);
    await write;
    assert.ok(ticked);
    assert.equal((await store.orgs.byName("acme"))?.name, "acme");
    other.close();
    await store.close();
  });
});

Deno.test("sqlite: a lock held past store.busy_timeout_ms is a 503 store_unavailable, logged", async () => {
  await withFile(async (path) => {
    const faults: StoreFault[] = [];
    const store = await openStore(`sqlite:${path}`, {
      sqlite: openDenoSqlite,
      now: 1,
      busyTimeoutMs: 30,
      onFault: (f) => faults.push(f),
    });
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      await assert.rejects(
        () => store.orgs.create(org("acme")),
        (e: unknown) =>
          e instanceof KeypebbleError && e.code === "store_unavailable" && e.status === 503 &&
          e.message === UNAVAILABLE_MESSAGE,
      );
      await assert.rejects(
        () => store.transaction((tx) => tx.orgs.create(org("beta"))),
        (e: unknown) => e instanceof KeypebbleError && e.code === "store_unavailable",
      );
      assert.ok(faults.length >= 2);
      assert.equal(faults[0].source, `sqlite:${path}`);
      assert.match(faults[0].reason, /locked/);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    // The lock gone, the same store works again.
    await store.orgs.create(org("acme"));
    await store.close();
  });
});

Deno.test("sqlite: a transaction waiting on a timer keeps other callers' statements out", async () => {
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const failing = store.transaction(async (tx) => {
    await tx.orgs.create(org("rolled-back"));
    await gate;
    throw new Error("boom");
  });
  // Started while the first one is open: neither may land inside it.
  const other = store.transaction((tx) => tx.orgs.create(org("kept-tx")));
  const plain = store.orgs.create(org("kept-plain"));
  release();
  await assert.rejects(failing, /boom/);
  await other;
  await plain;
  assert.deepEqual((await store.orgs.list()).map((o) => o.name).sort(), [
    "kept-plain",
    "kept-tx",
  ]);
  await store.close();
});

Deno.test("sqlite: a full disk and a read-only store answer 503 store_unavailable, not 500", async () => {
  await withFile(async (path) => {
    const store = await openStore(`sqlite:${path}`, { sqlite: openDenoSqlite, now: 1 });
    await store.orgs.create(org("acme"));
    await store.close();
    // SQLITE_FULL, as a full disk gives it: the file may not grow past its current pages.
    const raw = await openDenoSqlite(path);
    const pages = Number(raw.all("PRAGMA page_count", [])[0].page_count);
    raw.close();
    const capped: SqliteOpener = async (p, o) => {
      const d = await openDenoSqlite(p, o);
      d.exec(`PRAGMA max_page_count = ${pages}`);
      return d;
    };
    const s = await openStore(`sqlite:${path}`, { sqlite: capped, now: 1 });
    const big = "x".repeat(64 * 1024);
    await assert.rejects(
      async () => {
        for (let i = 0; i < 50; i++) await s.orgs.create(org(`o${i}-${big}`));
      },
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "store_unavailable" &&
        /disk is full/.test(String((e.cause as Error)?.message)),
    );
    await s.close();
    const ro: Store = await openStore(`sqlite:${path}`, {
      sqlite: openDenoSqlite,
      now: 1,
      readOnly: true,
    });
    assert.equal((await ro.orgs.byName("acme"))?.name, "acme");
    await assert.rejects(
      () => ro.orgs.create(org("beta")),
      (e: unknown) => e instanceof KeypebbleError && e.code === "store_unavailable",
    );
    await ro.close();
  });
});

Deno.test("sqlite: a NUL character in a text parameter is a 400 invalid_request", async () => {
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  for (
    const call of [
      () => store.users.byEmail("a\u0000@example.com"),
      () => store.orgs.create(org("a\u0000b")),
      () => store.transaction((tx) => tx.orgs.byName("\u0000")),
    ]
  ) {
    await assert.rejects(
      call,
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "invalid_request" && e.status === 400,
    );
  }
  await store.close();
});

Deno.test("store: a store that cannot be opened is named (redacted) in the message", async () => {
  await assert.rejects(
    () =>
      openStore("postgres://kp:s3cret@127.0.0.1:1/kp?password=s3cret", {
        now: 1,
      }),
    (e: unknown) =>
      e instanceof KeypebbleError && e.code === "store_unavailable" &&
      e.message.includes("postgres://***@127.0.0.1:1/kp?password=***") &&
      !e.message.includes("s3cret"),
  );
});
