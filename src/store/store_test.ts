import assert from "node:assert/strict";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { KeypebbleError } from "../errors.ts";
import { migrate } from "./migrate.ts";
import { sqliteDb } from "./sql.ts";
import { LATEST_VERSION, MIGRATIONS } from "./migrations.ts";
import { openStore, redactStoreUrl } from "./store.ts";
import { storeSuite } from "./store_suite.ts";
import { accountsSuite } from "./accounts_suite.ts";
import { oidcSuite } from "./oidc_suite.ts";

storeSuite("sqlite", () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 }));
accountsSuite("sqlite", () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 }));
oidcSuite("sqlite", () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 }));

Deno.test("store (sqlite): the file is created on first use with mode 0600, in WAL mode", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = await openStore(`sqlite:${dir}/kp.db`, { sqlite: openDenoSqlite, now: 1 });
    await store.orgs.create({ id: "o", name: "acme", status: "active", createdAt: 1 });
    await store.close();
    assert.equal((await Deno.stat(`${dir}/kp.db`)).mode! & 0o777, 0o600);
    const db = await openDenoSqlite(`${dir}/kp.db`);
    assert.equal(db.all("PRAGMA journal_mode", [])[0].journal_mode, "wal");
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store (sqlite): a schema newer than this binary is refused with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kp.db`;
    const store = await openStore(`sqlite:${path}`, { sqlite: openDenoSqlite, now: 1 });
    await store.close();
    const db = await openDenoSqlite(path);
    db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
      LATEST_VERSION + 100,
      "from_the_future",
      2,
    ]);
    db.close();
    await assert.rejects(
      () => openStore(`sqlite:${path}`, { sqlite: openDenoSqlite, now: 1 }),
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "store_error" &&
        /newer than this Keypebble knows/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("store (sqlite): schema 'check' mode refuses a store with pending migrations", async () => {
  await assert.rejects(
    () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1, schema: "check" }),
    (e: unknown) => e instanceof KeypebbleError && /store migrate/.test(e.message),
  );
});

Deno.test("store: migrations have unique, increasing versions and a later list appends", async () => {
  const versions = MIGRATIONS.map((m) => m.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  // What a later feature does: append its own block of versions.
  const extra = [...MIGRATIONS, {
    version: LATEST_VERSION + 10,
    name: "later_feature_demo",
    up: ["CREATE TABLE demo (id TEXT)"],
  }];
  const raw = await openDenoSqlite(":memory:");
  const sql = sqliteDb(raw, "mem");
  assert.deepEqual(await migrate(sql, { source: "mem", now: 1 }), versions);
  assert.deepEqual(await migrate(sql, { source: "mem", now: 2, migrations: extra }), [
    LATEST_VERSION + 10,
  ]);
  await sql.close();
});

Deno.test("store: an unreadable location gives a clear store error", async () => {
  await assert.rejects(
    () => openStore("sqlite:/nonexistent-dir/kp.db", { sqlite: openDenoSqlite, now: 1 }),
    (e: unknown) => e instanceof KeypebbleError && /Cannot open store/.test(e.message),
  );
});

Deno.test("redactStoreUrl() hides the password in every form a Postgres URL can carry it", () => {
  const cases: [string, string][] = [
    ["postgres://kp:s3cret@db:5432/kp", "postgres://***@db:5432/kp"],
    ["postgresql://kp:s3cret@db/kp", "postgresql://***@db/kp"],
    ["postgres://kp:p@ss:w/rd@db/kp", "postgres://***@db/kp"],
    ["postgres://kp:pa?ss@db/kp", "postgres://***@db/kp"],
    ["postgres://db/kp?password=s3cret", "postgres://db/kp?password=***"],
    [
      "postgres://db/kp?sslmode=require&password=s3cret",
      "postgres://db/kp?sslmode=require&password=***",
    ],
    ["postgres://db/kp?PassWord=s3cret&x=1", "postgres://db/kp?PassWord=***&x=1"],
    ["postgres://db/kp?%70assword=s3cret", "postgres://db/kp?%70assword=***"],
    ["postgres://db/kp?pass%77ord=s3cret&a=b", "postgres://db/kp?pass%77ord=***&a=b"],
    ["postgres://db/kp?sslpassword=s3cret", "postgres://db/kp?sslpassword=***"],
    ["postgres://db/kp?password=a%26s3cret", "postgres://db/kp?password=***"],
    ["postgres://db/kp?options=a@b", "postgres://db/kp?options=a@b"],
    ["sqlite:/var/lib/kp/kp.db", "sqlite:/var/lib/kp/kp.db"],
  ];
  for (const [url, want] of cases) {
    const got = redactStoreUrl(url);
    assert.equal(got, want, url);
    assert.ok(!got.includes("s3cret") && !got.includes("ss:w"), got);
  }
});
