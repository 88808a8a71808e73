import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { storeTables } from "./migrate.ts";
import { DATA_TABLES, MIGRATIONS } from "./migrations.ts";
import { sqliteDb } from "./sql.ts";
import { openStore } from "./store.ts";
import { exportRows, undeclaredTables } from "./transfer.ts";
import { transferSuite } from "./transfer_suite.ts";
import { migrate } from "./migrate.ts";

transferSuite("sqlite", () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 }));

Deno.test("store: every table a migration creates is declared in its `tables` (so export moves it)", async () => {
  const raw = await openDenoSqlite(":memory:");
  const db = sqliteDb(raw, "mem");
  await migrate(db, { source: "mem", now: 1 });
  const made = (await storeTables(db)).filter((t) => t !== "schema_migrations");
  assert.deepEqual(
    made.filter((t) => !DATA_TABLES.includes(t)),
    [],
    "add these tables to the `tables` of the migration that creates them",
  );
  assert.deepEqual([...DATA_TABLES].sort(), made);
  assert.equal(new Set(DATA_TABLES).size, DATA_TABLES.length);
  await db.close();
});

Deno.test("store export refuses a store with a table no migration declares", async () => {
  const raw = await openDenoSqlite(":memory:");
  const db = sqliteDb(raw, "mem");
  await migrate(db, {
    source: "mem",
    now: 1,
    migrations: [...MIGRATIONS, {
      version: 999,
      name: "stray",
      up: ["CREATE TABLE stray (x TEXT)"],
    }],
  });
  assert.deepEqual(await undeclaredTables(db), ["stray"]);
  await assert.rejects(
    () => exportRows(db, () => {}),
    (e: unknown) => e instanceof KeypebbleError && /"stray" that no migration/.test(e.message),
  );
  await db.close();
});
