import assert from "node:assert/strict";
import { CredentialCache } from "./credential_cache.ts";

Deno.test("CredentialCache remembers a success until the TTL passes", async () => {
  const c = new CredentialCache({ ttlSeconds: 60 });
  assert.equal(await c.get("u", "pw", "h", 0), false);
  await c.remember("u", "pw", "h", 1000);
  assert.equal(await c.get("u", "pw", "h", 1000), true);
  assert.equal(await c.get("u", "pw", "h", 60_999), true);
  assert.equal(await c.get("u", "pw", "h", 61_000), false);
  assert.equal(c.size, 0);
});

Deno.test("CredentialCache keys on user, password and hash together", async () => {
  const c = new CredentialCache();
  await c.remember("u", "pw", "h", 0);
  assert.equal(await c.get("u", "pw2", "h", 0), false);
  assert.equal(await c.get("v", "pw", "h", 0), false);
  assert.equal(await c.get("u", "pw", "h2", 0), false);
  // The separator keeps ("u\0p", "w") apart from ("u", "p\0w")... and from ("u", "pw").
  assert.equal(await c.get("u\0p", "w", "h", 0), false);
});

Deno.test("CredentialCache evicts the least recently used entry", async () => {
  const c = new CredentialCache({ maxEntries: 2 });
  await c.remember("a", "1", "h", 0);
  await c.remember("b", "1", "h", 0);
  assert.equal(await c.get("a", "1", "h", 0), true); // a is now most recent
  await c.remember("c", "1", "h", 0);
  assert.equal(c.size, 2);
  assert.equal(await c.get("b", "1", "h", 0), false);
  assert.equal(await c.get("a", "1", "h", 0), true);
  assert.equal(await c.get("c", "1", "h", 0), true);
});

Deno.test("CredentialCache never stores the password", async () => {
  // Private fields do not show in Deno.inspect, so watch what goes into any Map instead.
  const stored: unknown[] = [];
  const realSet = Map.prototype.set;
  Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
    stored.push(k, v);
    return realSet.call(this, k, v);
  };
  try {
    const c = new CredentialCache();
    await c.remember("user", "hunter2-secret", "h", 0);
    assert.equal(await c.get("user", "hunter2-secret", "h", 0), true);
  } finally {
    Map.prototype.set = realSet;
  }
  assert.ok(stored.length > 0, "the cache stored something");
  for (const x of stored) assert.ok(!String(x).includes("hunter2"), String(x));
});

Deno.test("CredentialCache with zero entries stores nothing", async () => {
  const c = new CredentialCache({ maxEntries: 0 });
  await c.remember("u", "p", "h", 0);
  assert.equal(await c.get("u", "p", "h", 0), false);
});

Deno.test("CredentialCache remembers a Basic header's user while the policy keeps its hash", () => {
  const c = new CredentialCache({ ttlSeconds: 60, maxEntries: 2 });
  const phc: Record<string, string> = { alice: "h1" };
  const of = (u: string) => phc[u];
  const header = "Basic YWxpY2U6cHc=";
  assert.equal(c.basicUser(header, of, 0), undefined);
  c.rememberBasic(header, "alice", "h1", 0);
  assert.equal(c.basicUser(header, of, 59_999), "alice");
  assert.equal(c.basicUser("Basic YWxpY2U6cHd4", of, 0), undefined, "another password");
  phc.alice = "h2"; // the policy changed her hash: a reload, a new password
  assert.equal(c.basicUser(header, of, 1), undefined);
  phc.alice = "h1";
  assert.equal(c.basicUser(header, of, 1), undefined, "a miss forgets the entry");
  c.rememberBasic(header, "alice", "h1", 0);
  assert.equal(c.basicUser(header, of, 60_000), undefined, "past the TTL");
  c.rememberBasic("a", "alice", "h1", 0);
  c.rememberBasic("b", "alice", "h1", 0);
  c.rememberBasic("c", "alice", "h1", 0);
  assert.equal(c.basicUser("a", of, 0), undefined, "bounded: the oldest went");
  c.clear();
  assert.equal(c.basicUser("c", of, 0), undefined);
});
