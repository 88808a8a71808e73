import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { openStore, type Store } from "../store/mod.ts";
import { sampleKey } from "../store/store_suite.ts";
import {
  PEPPER_FINGERPRINT_SETTING,
  pepperFingerprint,
  pepperMatches,
  verifyPepper,
} from "./pepper.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const A = enc("a".repeat(43));
const B = enc("b".repeat(43));
const open = () => openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });

async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
  const s = await open();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

Deno.test("pepperFingerprint() tells the right pepper from another, salted, without the pepper in it", async () => {
  const f = await pepperFingerprint(A);
  assert.match(f, /^pbkdf2-sha256\$100000\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.ok(!f.includes("aaaa"));
  assert.ok(await pepperMatches(A, f));
  assert.equal(await pepperMatches(B, f), false);
  assert.notEqual(await pepperFingerprint(A), f, "a new salt each time");
  assert.equal(await pepperMatches(A, "garbage"), false);
});

Deno.test("verifyPepper(): recorded once, then the same pepper matches and a different one is refused", async () => {
  await withStore(async (s) => {
    const opts = { path: "/etc/kp/kp.pepper", record: true };
    assert.equal(await verifyPepper(s, A, opts), "recorded");
    assert.ok((await s.users.setting(PEPPER_FINGERPRINT_SETTING))?.startsWith("pbkdf2-sha256$"));
    assert.equal(await verifyPepper(s, A, opts), "match");
    await assert.rejects(
      () => verifyPepper(s, B, opts),
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "config_invalid" &&
        /store\.pepper_path: "\/etc\/kp\/kp\.pepper" is a DIFFERENT pepper/.test(e.message),
    );
    await assert.rejects(
      () => verifyPepper(s, undefined, opts),
      (e: unknown) =>
        e instanceof KeypebbleError && e.code === "config_invalid" &&
        /"\/etc\/kp\/kp\.pepper" is MISSING, but store sqlite::memory: was initialised/.test(
          e.message,
        ),
    );
  });
});

Deno.test("verifyPepper(): a fresh store lets serve create the pepper; a store with keys and no fingerprint does not", async () => {
  await withStore(async (s) => {
    assert.equal(await verifyPepper(s, undefined, { path: "p", record: true }), "create");
    // check records nothing.
    assert.equal(await verifyPepper(s, A, { path: "p", record: false }), "unrecorded");
    assert.equal(await s.users.setting(PEPPER_FINGERPRINT_SETTING), undefined);
    await s.orgs.create({ id: "o", name: "acme", status: "active", createdAt: 1 });
    await s.apiKeys.insert(sampleKey({ id: "k", orgId: "o" }));
    await assert.rejects(
      () => verifyPepper(s, undefined, { path: "p", record: true }),
      (e: unknown) =>
        e instanceof KeypebbleError && /MISSING but store .* holds keys/.test(e.message),
    );
  });
});
