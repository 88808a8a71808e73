import assert from "node:assert/strict";
import { ApiKeyService } from "../apikeys/service.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { openStore, type Store } from "../store/mod.ts";
import { readKeyguard } from "../store/sources/keyguard.ts";
import { openSourceDb } from "../store/sources/open.ts";
import { importKeyguard } from "./keyguard.ts";
import { KeyguardDb, keyguardRawKey } from "./sample_dbs.ts";

const SECRET = "my-secret";
const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);

async function _import(path: string, store: Store, options: { dryRun?: boolean } = {}) {
  const { db, source } = await openSourceDb(path, { sqlite: openDenoSqlite });
  try {
    return await importKeyguard({
      store,
      data: await readKeyguard(db),
      from: source,
      dryRun: options.dryRun ?? false,
      now: NOW / 1000,
      acceptedPrefixes: ["kp_live_"],
    });
  } finally {
    await db.close();
  }
}

function _service(store: Store, secret: string | undefined, accepted = ["kp_live_"]) {
  return new ApiKeyService({
    store,
    pepper: new TextEncoder().encode("p".repeat(40)),
    config: {
      url: "sqlite::memory:",
      pepperPath: "/x",
      cacheSeconds: 5,
      keyPrefix: "kp_live_",
      acceptedPrefixes: accepted,
      tokenTtlSeconds: 900,
    },
    now: () => NOW,
    ...(secret === undefined ? {} : { keyguardSecret: new TextEncoder().encode(secret) }),
  });
}

async function _fixture(dir: string) {
  const kg = new KeyguardDb(`${dir}/keyguard.db`, SECRET);
  const acme = kg.org("Acme Corp");
  const asleep = kg.org("Sleepy Ltd", "suspended");
  const badOrg = kg.org("Caf\u00e9 \u2603");
  const live = await kg.key(acme, { label: "live", scopes: ["read", "write"], rateLimit: 100 });
  const test = await kg.key(acme, { label: "test", prefix: "kg_test_", monthlyLimit: 5000 });
  const custom = await kg.key(acme, { label: "custom", prefix: "acme-prod." });
  const revoked = await kg.key(acme, { label: "revoked", active: false });
  const sleepy = await kg.key(asleep, { label: "sleepy" });
  const orphan = await kg.key(badOrg, { label: "orphan" });
  const badScopes = await kg.key(acme, { label: "bad scopes", scopes: ["has space"] });
  const badPrefix = await kg.key(acme, { label: "bad prefix", raw: keyguardRawKey("my app:") });
  kg.use(live.id, "2026-06-10 11:00:05");
  kg.use(live.id, "2026-06-10 11:00:40", 500);
  kg.use(live.id, "2026-06-10 11:01:00", 404);
  kg.use(test.id, "2026-06-09 08:00:00");
  kg.use(orphan.id, "2026-06-09 08:00:00");
  return {
    kg,
    acme,
    asleep,
    badOrg,
    live,
    test,
    custom,
    revoked,
    sleepy,
    orphan,
    badScopes,
    badPrefix,
  };
}

Deno.test("import keyguard: organisations, keys, limits, scopes, state and usage arrive; refusals say why", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    const s = await _import(`${dir}/keyguard.db`, store);
    assert.deepEqual(s.counts.organizations, { created: 2, updated: 0, unchanged: 0, refused: 1 });
    assert.deepEqual(s.counts.keys, {
      created: 5,
      updated: 0,
      unchanged: 0,
      refused: 3,
      removed: 0,
    });
    // 11:00 (2 requests, 1 error), 11:01 (1, 1), and the test key's minute; the orphan's is out.
    assert.equal(s.counts.usage_minutes.created, 3);
    const why = Object.fromEntries(s.refused.map((r) => [r.id, r.reason]));
    assert.match(why[f.badOrg], /printable ASCII/);
    assert.match(why[f.orphan.id], /organisation .* was not imported/);
    assert.match(why[f.badScopes.id], /scope "has space"/);
    assert.match(why[f.badPrefix.id], /only letters, digits/);
    assert.ok(s.notes.some((n) => /monthly_limit/.test(n)));

    const live = await store.apiKeys.byId(f.live.id);
    assert.equal(live?.orgName, "Acme Corp");
    assert.deepEqual(live?.scopes, ["read", "write"]);
    assert.equal(live?.rateLimitPerMinute, 100);
    assert.equal(live?.hashScheme, "keyguard");
    assert.equal(live?.origin, "keyguard");
    assert.equal(live?.displayPrefix, f.live.raw.slice(0, 12));
    assert.equal(live?.prefix, "kg_live_");
    assert.equal((await store.apiKeys.byId(f.test.id))?.monthlyQuota, 5000);
    assert.equal((await store.apiKeys.byId(f.revoked.id))?.status, "revoked");
    assert.equal((await store.apiKeys.byId(f.sleepy.id))?.orgStatus, "suspended");
    assert.deepEqual(await store.usage.totals(0), { requests: 4, errors: 2 });
    assert.equal(await store.usage.forKey(f.live.id, 0), 3);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: an imported key passes on its first request and then lives on our hash", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/keyguard.db`, store);
    const svc = _service(store, SECRET);
    const first = await svc.check(f.live.raw);
    assert.equal(first.ok, true);
    const moved = await store.apiKeys.byId(f.live.id);
    assert.equal(moved?.hashScheme, "hmac");
    assert.notEqual(moved?.hash, (await store.apiKeys.byId(f.test.id))?.hash);
    // A service without keyguard's secret (a restart without it) still finds the moved key.
    const later = _service(store, undefined);
    assert.equal((await later.check(f.live.raw)).ok, true);
    // Not yet presented: found only with the secret.
    assert.deepEqual(await later.check(f.test.raw), { ok: false, reason: "wrong_prefix" });
    assert.equal((await svc.check(f.test.raw)).ok, true);
    // A prefix keyguard allowed and the config does not list.
    const c = await svc.check(f.custom.raw);
    assert.equal(c.ok, true);
    assert.equal((await store.apiKeys.byId(f.custom.id))?.prefix, "acme-prod.");
    // Revoked and suspended keep refusing, with their reason.
    assert.deepEqual(await svc.check(f.revoked.raw), { ok: false, reason: "revoked" });
    assert.deepEqual(await svc.check(f.sleepy.raw), { ok: false, reason: "suspended" });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: guesses, other secrets and look-alike keys are refused", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/keyguard.db`, store);
    const wrong = _service(store, "another-secret");
    assert.deepEqual(await wrong.check(f.live.raw), { ok: false, reason: "wrong_prefix" });
    const svc = _service(store, SECRET);
    const tweaked = f.live.raw.slice(0, -1) + (f.live.raw.endsWith("A") ? "B" : "A");
    assert.equal((await svc.check(tweaked)).ok, false);
    assert.equal((await svc.check(f.live.raw + "x")).ok, false);
    assert.equal((await svc.check(` ${f.live.raw}`)).ok, false);
    // The stored hash itself is not a key.
    const row = await store.apiKeys.byId(f.test.id);
    assert.equal((await svc.check(row!.hash)).ok, false);
    // A key made here with a prefix not in accepted_prefixes (any of the safe shape, as keyguard
    // lets a key have any) is found by its whole hash, as an imported one (issue 22); a look-alike
    // with that prefix is not.
    await store.orgs.create({ id: "o1", name: "own", status: "active", createdAt: 1 });
    const own = _service(store, SECRET, ["kp_live_", "kg_live_"]);
    const made = await own.createKey({ orgName: "own", label: "mine", prefix: "acme-" });
    assert.equal((await own.check(made.raw)).ok, true);
    assert.equal((await svc.check(made.raw)).ok, true);
    const lookalike = made.raw.slice(0, -1) + (made.raw.endsWith("A") ? "B" : "A");
    assert.equal((await svc.check(lookalike)).ok, false);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: a second run updates, adds only new usage and never undoes a move or a revocation", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/keyguard.db`, store);
    const svc = _service(store, SECRET);
    assert.equal((await svc.check(f.live.raw)).ok, true);
    const movedHash = (await store.apiKeys.byId(f.live.id))?.hash;
    await svc.revoke(f.test.id);

    const again = await _import(`${dir}/keyguard.db`, store);
    assert.deepEqual(again.counts.keys, {
      created: 0,
      updated: 0,
      unchanged: 5,
      refused: 3,
      removed: 0,
    });
    assert.equal(again.counts.usage_minutes.unchanged, 3);
    assert.equal((await store.apiKeys.byId(f.live.id))?.hash, movedHash);
    assert.equal((await store.apiKeys.byId(f.test.id))?.status, "revoked");
    assert.deepEqual(await store.usage.totals(0), { requests: 4, errors: 2 });
    assert.equal((await store.orgs.list()).length, 2);

    // keyguard goes on: more requests, a revocation, a new scope, a deleted key.
    f.kg.use(f.live.id, "2026-06-10 11:01:30");
    f.kg.use(f.live.id, "2026-06-10 11:05:00");
    f.kg.db.prepare("UPDATE api_keys SET is_active = 0 WHERE id = ?").run(f.custom.id);
    f.kg.db.prepare(`UPDATE api_keys SET scopes = '["read","admin"]' WHERE id = ?`).run(
      f.live.id,
    );
    f.kg.db.prepare("DELETE FROM api_keys WHERE id = ?").run(f.sleepy.id);
    const third = await _import(`${dir}/keyguard.db`, store);
    assert.equal(third.counts.keys.updated, 2);
    assert.equal(third.counts.keys.removed, 1);
    assert.deepEqual(third.counts.usage_minutes, {
      created: 1,
      updated: 1,
      unchanged: 2,
      refused: 0,
    });
    assert.deepEqual(await store.usage.totals(0), { requests: 6, errors: 2 });
    const live = await store.apiKeys.byId(f.live.id);
    assert.deepEqual(live?.scopes, ["read", "admin"]);
    assert.equal(live?.hash, movedHash);
    assert.equal((await store.apiKeys.byId(f.custom.id))?.status, "revoked");
    assert.equal((await store.apiKeys.byId(f.sleepy.id))?.status, "revoked");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: --dry-run counts the same and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    await _fixture(dir);
    const dry = await _import(`${dir}/keyguard.db`, store, { dryRun: true });
    assert.equal(dry.dry_run, true);
    assert.equal(dry.counts.keys.created, 5);
    assert.deepEqual(await store.apiKeys.list(), []);
    assert.deepEqual(await store.orgs.list(), []);
    assert.deepEqual(await store.imports.records("keyguard", "key"), []);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: a name or id taken here by something not imported is refused", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const kg = new KeyguardDb(`${dir}/keyguard.db`, SECRET);
    const org = kg.org("acme");
    await kg.key(org);
    kg.org("acme"); // keyguard's table allows a twin (its API refuses one)
    await store.orgs.create({ id: "mine", name: "acme", status: "active", createdAt: 1 });
    const s = await _import(`${dir}/keyguard.db`, store);
    assert.equal(s.counts.organizations.refused, 2);
    assert.equal(s.counts.keys.refused, 1);
    assert.ok(s.refused.some((r) => /taken here/.test(r.reason)));
    assert.equal((await store.orgs.list()).length, 1);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import keyguard: a database that is not keyguard's is refused with a store error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const other = await openStore(`sqlite:${dir}/kp.db`, { sqlite: openDenoSqlite, now: 1 });
    await other.close();
    const { db } = await openSourceDb(`${dir}/kp.db`, { sqlite: openDenoSqlite });
    await assert.rejects(() => readKeyguard(db), /not a keyguard database/);
    await db.close();
    await assert.rejects(
      () => openSourceDb(`${dir}/missing.db`, { sqlite: openDenoSqlite }),
      /Cannot read the source/,
    );
    await assert.rejects(() => openSourceDb("mysql://x/y", {}), /SQLite file or a postgres/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
