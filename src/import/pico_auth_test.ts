import assert from "node:assert/strict";
import { AccountService, tokenHash } from "../accounts/service.ts";
import { ApiKeyService } from "../apikeys/service.ts";
import { KeypebbleError } from "../errors.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { openStore, type Store } from "../store/mod.ts";
import { openSourceDb } from "../store/sources/open.ts";
import { readPicoAuth } from "../store/sources/pico_auth.ts";
import { importPicoAuth } from "./pico_auth.ts";
import { NEW_BCRYPT, PicoAuthDb } from "./sample_dbs.ts";

const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);
const LATER = "2026-06-17T12:00:00.000000+00:00";
const EARLIER = "2026-06-09T12:00:00.000000+00:00";

async function _import(path: string, store: Store, dryRun = false) {
  const { db, source } = await openSourceDb(`sqlite+aiosqlite:///${path}`, {
    sqlite: openDenoSqlite,
  });
  try {
    return await importPicoAuth({
      store,
      data: await readPicoAuth(db),
      from: source,
      dryRun,
      now: NOW / 1000,
    });
  } finally {
    await db.close();
  }
}

function _accounts(store: Store): AccountService {
  return new AccountService({
    store,
    config: {
      registration: "off",
      passwordMinLength: 8,
      adminEmail: "admin@example.test",
      defaultOrg: "default",
      accessTtlSeconds: 900,
      refreshTtlSeconds: 86_400,
    },
    now: () => NOW,
    hashIterations: 1000,
  });
}

function _keys(store: Store): ApiKeyService {
  return new ApiKeyService({
    store,
    pepper: new TextEncoder().encode("p".repeat(40)),
    config: {
      url: "sqlite::memory:",
      pepperPath: "/x",
      cacheSeconds: 5,
      keyPrefix: "kp_live_",
      acceptedPrefixes: ["kp_live_"],
      tokenTtlSeconds: 900,
    },
    now: () => NOW,
  });
}

async function _fixture(dir: string) {
  const pa = new PicoAuthDb(`${dir}/auth.db`);
  const admin = pa.user("Admin@Pico.Local", { role: "superadmin" });
  const alice = pa.user("alice@example.com");
  const bob = pa.user("bob@example.com", { role: "operator", org: "acme", status: "suspended" });
  const weird = pa.user("weird@example.com", { role: "owner" });
  const plain = pa.user("plain@example.com", { hash: "plain-text-password" });
  const devs = pa.group("devs");
  const ops = pa.group("ops", "acme");
  pa.member(devs, alice);
  pa.member(devs, admin);
  pa.member(ops, bob);
  pa.member(devs, weird);
  const aliceRefresh = await pa.refresh(alice, LATER);
  const expired = await pa.refresh(alice, EARLIER);
  const weirdRefresh = await pa.refresh(weird, LATER);
  const svc = await pa.serviceToken("ci-bot", { role: "operator" });
  const gone = await pa.serviceToken("old-bot", { revokedAt: "2026-06-02T00:00:00+00:00" });
  const acmeSvc = await pa.serviceToken("acme-bot", { org: "acme", role: "viewer" });
  return {
    pa,
    admin,
    alice,
    bob,
    weird,
    plain,
    devs,
    ops,
    aliceRefresh,
    expired,
    weirdRefresh,
    svc,
    gone,
    acmeSvc,
  };
}

Deno.test("import pico-auth: accounts, roles, organisations, groups, members and tokens arrive; refusals say why", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    const s = await _import(`${dir}/auth.db`, store);
    assert.deepEqual(s.counts.users, { created: 3, updated: 0, unchanged: 0, refused: 2 });
    assert.deepEqual(s.counts.organizations, { created: 2, updated: 0, unchanged: 0, refused: 0 });
    assert.equal(s.counts.groups.created, 2);
    assert.equal(s.counts.members.created, 3);
    assert.equal(s.counts.members.refused, 1);
    assert.equal(s.counts.service_tokens.created, 3);
    assert.equal(s.counts.refresh_tokens.created, 1);
    assert.equal(s.counts.refresh_tokens.skipped, 1);
    assert.equal(s.counts.refresh_tokens.refused, 1);
    const why = Object.fromEntries(s.refused.map((r) => [r.id, r.reason]));
    assert.match(why[f.weird], /role "owner"/);
    assert.match(why[f.plain], /not bcrypt/);
    assert.ok(s.notes.some((n) => /e-mail credential/.test(n)) === false);

    const admin = await store.users.byId(f.admin);
    assert.equal(admin?.email, "admin@pico.local");
    assert.equal(admin?.role, "superadmin");
    const bob = await store.users.byId(f.bob);
    assert.equal(bob?.status, "suspended");
    assert.equal(bob?.orgId, "acme");
    assert.deepEqual(await store.groups.idsForUser(f.alice), [f.devs]);
    assert.equal((await store.groups.byId(f.ops))?.orgId, "acme");
    assert.deepEqual((await store.orgs.list()).map((o) => o.name).sort(), ["acme", "default"]);
    const bot = await store.apiKeys.byId(f.svc.id);
    assert.equal(bot?.label, "ci-bot");
    assert.deepEqual(bot?.scopes, ["service"]);
    assert.deepEqual(bot?.claims, { service_role: "operator" });
    assert.equal(bot?.orgName, "default");
    assert.equal((await store.apiKeys.byId(f.gone.id))?.status, "revoked");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import pico-auth: old passwords log in (and move to PBKDF2), old refresh tokens rotate into ours", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/auth.db`, store);
    const accounts = _accounts(store);
    assert.equal(await accounts.checkPassword({ email: "alice@example.com" }, "wrong"), null);
    const alice = await accounts.checkPassword({ email: "alice@example.com" }, "alice-password-1");
    assert.equal(alice?.id, f.alice);
    assert.match((await store.users.byId(f.alice))!.passwordHash, /^\$pbkdf2-sha256\$/);

    const r = await accounts.rotate(f.aliceRefresh.raw);
    assert.equal(r.user.id, f.alice);
    assert.match(r.refreshToken, /^kprt_[0-9a-f]{64}$/);
    assert.equal(r.record.familyId, `pico-auth:${f.aliceRefresh.id}`);
    // Single use, as ours: a retry within accounts.refresh_reuse_seconds gets the same
    // successor; once that is used, presenting the old one again revokes the family, our newest
    // token included.
    assert.equal((await accounts.rotate(f.aliceRefresh.raw)).refreshToken, r.refreshToken);
    const r2 = await accounts.rotate(r.refreshToken);
    await assert.rejects(() => accounts.rotate(f.aliceRefresh.raw), /already used/);
    await assert.rejects(() => accounts.rotate(r2.refreshToken), /revoked/);
    // Expired there: not imported. Junk in the same form: refused.
    await assert.rejects(
      () => accounts.rotate(f.expired.raw),
      (e: unknown) => e instanceof KeypebbleError && e.code === "invalid_grant",
    );
    await assert.rejects(() => accounts.rotate("0".repeat(32)), /not valid/);
    await assert.rejects(() => accounts.rotate(f.aliceRefresh.raw.toUpperCase()), /not valid/);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import pico-auth: pico-auth's form is accepted only on imported refresh tokens", async () => {
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const accounts = _accounts(store);
    const user = await accounts.create({ email: "a@example.com", password: "password-123" });
    const raw = "ab".repeat(16);
    // A row of ours whose hash is that of a 32-hex string: not reachable in that form.
    await store.refreshTokens.insert({
      hash: await tokenHash(raw),
      familyId: "f",
      userId: user.id,
      clientId: null,
      scope: null,
      createdAt: 1,
      expiresAt: NOW / 1000 + 3600,
      usedAt: null,
      revokedAt: null,
    });
    await assert.rejects(() => accounts.rotate(raw), /not valid/);
    assert.equal(await accounts.peekRefresh(raw), undefined);
  } finally {
    await store.close();
  }
});

Deno.test("import pico-auth: service tokens keep validating and move to our hash", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/auth.db`, store);
    const keys = _keys(store);
    const c = await keys.check(f.svc.raw);
    assert.equal(c.ok, true);
    const row = await store.apiKeys.byId(f.svc.id);
    assert.equal(row?.hashScheme, "hmac");
    assert.equal(row?.displayPrefix, f.svc.raw.slice(0, 13));
    assert.equal((await keys.check(f.svc.raw)).ok, true);
    assert.deepEqual(await keys.check(f.gone.raw), { ok: false, reason: "revoked" });
    const junk = "pico_svc_" + "0".repeat(64);
    assert.deepEqual(await keys.check(junk), { ok: false, reason: "wrong_prefix" });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import pico-auth: a second run updates without duplicating and follows pico-auth's changes", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    await _import(`${dir}/auth.db`, store);
    const accounts = _accounts(store);
    // Alice logs in here once (her hash moves to PBKDF2): a re-run must not put bcrypt back.
    await accounts.checkPassword({ email: "alice@example.com" }, "alice-password-1");
    const moved = (await store.users.byId(f.alice))!.passwordHash;
    const again = await _import(`${dir}/auth.db`, store);
    assert.deepEqual(again.counts.users, { created: 0, updated: 0, unchanged: 3, refused: 2 });
    assert.equal(again.counts.members.unchanged, 3);
    assert.equal(again.counts.refresh_tokens.unchanged, 1);
    assert.equal((await store.users.byId(f.alice))!.passwordHash, moved);
    assert.equal((await store.users.list()).length, 3);

    // In pico-auth since: the admin changes password (its refresh tokens deleted there), Alice
    // leaves devs, the refresh token is rotated there, ci-bot is deleted.
    f.pa.db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(NEW_BCRYPT, f.admin);
    f.pa.db.prepare("DELETE FROM group_members WHERE user_id = ?").run(f.alice);
    f.pa.db.prepare("DELETE FROM refresh_tokens WHERE id = ?").run(f.aliceRefresh.id);
    f.pa.db.prepare("DELETE FROM service_tokens WHERE id = ?").run(f.svc.id);
    const third = await _import(`${dir}/auth.db`, store);
    assert.equal(third.counts.users.updated, 1);
    assert.equal(third.counts.members.removed, 1);
    assert.equal(third.counts.refresh_tokens.removed, 1);
    assert.equal(third.counts.service_tokens.removed, 1);
    assert.ok(await accounts.checkPassword({ email: "admin@pico.local" }, "new-password-22"));
    assert.deepEqual(await store.groups.idsForUser(f.alice), []);
    await assert.rejects(() => accounts.rotate(f.aliceRefresh.raw), /revoked/);
    assert.deepEqual(await _keys(store).check(f.svc.raw), { ok: false, reason: "revoked" });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import pico-auth: an e-mail taken here by another account is refused; dry runs write nothing", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  try {
    const f = await _fixture(dir);
    const dry = await _import(`${dir}/auth.db`, store, true);
    assert.equal(dry.counts.users.created, 3);
    assert.equal((await store.users.list()).length, 0);
    await _accounts(store).create({ email: "alice@example.com", password: "mine-12345" });
    const s = await _import(`${dir}/auth.db`, store);
    assert.ok(s.refused.some((r) => r.id === f.alice && /taken here/.test(r.reason)));
    // Her refresh token and memberships follow her refusal.
    assert.equal(s.counts.refresh_tokens.created, 0);
    assert.equal(s.counts.members.refused, 2);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
