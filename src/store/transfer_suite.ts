/**
 * Export and import written once, run on SQLite (`transfer_test.ts`) and PostgreSQL
 * (`tests/e2e/store_transfer_postgres_test.ts`): a store with one of everything goes out and
 * comes back identical; a truncated or foreign file changes nothing.
 */

import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { sampleUser } from "./accounts_suite.ts";
import type { Store } from "./store.ts";
import { sampleKey } from "./store_suite.ts";
import type { ExportHeader, ExportLine } from "./transfer.ts";

/** Put one row in every data table (and two where it helps). */
export async function fillStore(s: Store): Promise<void> {
  await s.orgs.create({ id: "o1", name: "acme", status: "active", createdAt: 10 });
  await s.orgs.create({ id: "o2", name: "beta", status: "suspended", createdAt: 11 });
  await s.apiKeys.insert(sampleKey({ id: "k1", orgId: "o1", expiresAt: 9_000_000_000 }));
  await s.apiKeys.insert(
    sampleKey({ id: "k2", orgId: "o2", status: "revoked", revokedAt: 50, claims: { a: [1, "ü"] } }),
  );
  await s.usage.add([{ keyId: "k1", minute: 60, requests: 7, errors: 2, lastUsedAt: 70 }]);
  await s.blocks.put({
    kind: "address",
    value: "10.0.0.9",
    until: 9_000_000_000,
    reason: "abuse",
    createdAt: 3,
  });
  await s.users.insert(
    sampleUser({ id: "u1", email: "a@x.test", username: "ann", role: "superadmin" }),
  );
  await s.users.insert(sampleUser({ id: "u2", email: "b@x.test", status: "suspended" }));
  await s.refreshTokens.insert({
    hash: "rh1",
    familyId: "f1",
    userId: "u1",
    clientId: "ci",
    scope: "read",
    createdAt: 100,
    expiresAt: 9_000_000_000,
    usedAt: null,
    revokedAt: null,
  });
  await s.refreshTokens.setSuccessor("rh1", "rh2", "v1.sealed");
  await s.revocations.revoke("jti-1", 9_000_000_000, 5);
  await s.groups.insert({
    id: "g1",
    name: "devs",
    description: "all of them",
    orgId: "default",
    createdAt: 1,
    updatedAt: 2,
  });
  await s.groups.addMember("g1", "u1", 4);
  await s.users.setSetting("registration", "open");
}

/** The rows of an export, sorted, without the header's time and engine. */
export function comparable(lines: readonly ExportLine[]): string[] {
  return lines.filter((l) => "table" in l).map((l) => JSON.stringify(l)).sort();
}

/** Collect a store's export. */
export async function exportOf(s: Store): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  await s.transfer.exportTo((l) => {
    lines.push(l);
  });
  return lines;
}

/** Register the suite; `open` gives a fresh, migrated, empty store. */
export function transferSuite(
  engine: string,
  open: () => Promise<Store>,
  options: { sanitizeResources?: boolean; sanitizeOps?: boolean } = {},
): void {
  const t = (name: string, fn: (a: Store, b: Store) => Promise<void>) =>
    Deno.test({
      name: `store transfer (${engine}): ${name}`,
      ...options,
      fn: async () => {
        const [a, b] = [await open(), await open()];
        try {
          await fn(a, b);
        } finally {
          await a.close();
          await b.close();
        }
      },
    });

  t("an export imports into an empty store and exports the same rows again", async (a, b) => {
    await fillStore(a);
    const out = await exportOf(a);
    const header = out[0] as ExportHeader;
    assert.equal(header.keypebble_export, 1);
    assert.equal(header.engine, a.kind);
    const counts = await b.transfer.importFrom(async (sink) => {
      for (const l of out) await sink(l);
    }, { mode: "import" });
    assert.equal(counts.orgs, 2);
    assert.equal(counts.account_group_members, 1);
    assert.deepEqual(comparable(await exportOf(b)), comparable(out));
    // The rows are the store's, read back through its own queries.
    assert.equal((await b.apiKeys.byHash("hash-k1"))?.orgName, "acme");
    assert.deepEqual((await b.apiKeys.byId("k2"))?.claims, { a: [1, "ü"] });
    assert.equal(await b.usage.forKey("k1", 0), 7);
    assert.equal((await b.refreshTokens.byHash("rh1"))?.successorSealed, "v1.sealed");
    assert.ok(await b.revocations.isRevoked("jti-1"));
    assert.deepEqual(await b.groups.idsForUser("u1"), ["g1"]);
    assert.equal(await b.users.setting("registration"), "open");
  });

  t("import refuses a store that holds data; restore replaces it", async (a, b) => {
    await fillStore(a);
    const out = await exportOf(a);
    await b.orgs.create({ id: "x", name: "stale", status: "active", createdAt: 1 });
    const feed = async (sink: (l: ExportLine) => Promise<void> | void) => {
      for (const l of out) await sink(l);
    };
    await assert.rejects(
      () => b.transfer.importFrom(feed, { mode: "import" }),
      (e: unknown) => e instanceof KeypebbleError && e.code === "conflict",
    );
    await b.transfer.importFrom(feed, { mode: "restore" });
    assert.equal(await b.orgs.byName("stale"), undefined);
    assert.deepEqual(comparable(await exportOf(b)), comparable(out));
  });

  t("a truncated, foreign or newer export is refused and changes nothing", async (a, b) => {
    await fillStore(a);
    const out = await exportOf(a);
    const feed = (lines: unknown[]) => async (sink: (l: ExportLine) => Promise<void> | void) => {
      for (const l of lines) await sink(l as ExportLine);
    };
    const refused = async (lines: unknown[], re: RegExp) =>
      await assert.rejects(
        () => b.transfer.importFrom(feed(lines), { mode: "import" }),
        (e: unknown) =>
          e instanceof KeypebbleError && e.code === "invalid_request" && re.test(e.message),
      );
    await refused(out.slice(0, -1), /truncated/);
    await refused(out.slice(0, -3).concat(out.slice(-1)), /counts \d+ rows, \d+ were read/);
    await refused([{ hello: 1 }], /not a Keypebble store export/);
    await refused([{ ...out[0], schema_version: 10_000 }], /newer than this Keypebble knows/);
    await refused([{ ...out[0], keypebble_export: 2 }], /format 2/);
    await refused([out[0], { table: "orgs", row: { id: "o", nope: 1 } }], /no column "nope"/);
    await refused([{ ...out[0], tables: ["passwords"] }], /unknown to this Keypebble/);
    assert.deepEqual(comparable(await exportOf(b)), []);
  });
}
