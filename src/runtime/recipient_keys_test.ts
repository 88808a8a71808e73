/**
 * A JWKS URL recipient: fetched once and cached, re-fetched after the cache time, never more
 * often than the floor (failures included), the previous key kept when a refresh fails, and
 * `encryption_key_unavailable` when no key was ever fetched.
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import { generateJweKeyPem, importJweDecryptionKeyPem, openJwe } from "../jose/mod.ts";
import {
  RECIPIENT_CACHE_MS,
  RECIPIENT_REFETCH_FLOOR_MS,
  RemoteRecipient,
} from "./recipient_keys.ts";

async function encKey(kid: string) {
  const key = await importJweDecryptionKeyPem(await generateJweKeyPem("P-256"), { alg: "ECDH-ES" });
  return { key: { ...key, kid }, jwk: { ...key.publicJwk, kid, use: "enc", alg: "ECDH-ES" } };
}

function fakeFetch(answer: () => Response | Error): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: (_input, init) => {
      calls++;
      assert.equal(init?.redirect, "error");
      const a = answer();
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
}

Deno.test("RemoteRecipient caches the key, refreshes after the cache time, and picks up a rotation", async () => {
  let now = 1_000_000;
  const a = await encKey("a");
  const b = await encKey("b");
  let current = a;
  const f = fakeFetch(() => Response.json({ keys: [{ kty: "EC", use: "sig" }, current.jwk] }));
  const r = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    now: () => now,
    fetch: f.fetch,
  });
  const t1 = await (await r.encrypter()).encrypt("1");
  assert.equal((await openJwe(t1, [a.key])).header.kid, "a");
  for (let i = 0; i < 50; i++) await r.encrypter();
  assert.equal(f.calls(), 1);
  current = b;
  now += RECIPIENT_CACHE_MS - 1;
  await r.encrypter();
  assert.equal(f.calls(), 1);
  now += 1;
  const t2 = await (await r.encrypter()).encrypt("2");
  assert.equal(f.calls(), 2);
  assert.equal((await openJwe(t2, [b.key])).header.kid, "b");
});

Deno.test("RemoteRecipient: a failed refresh keeps the previous key and waits for the floor", async () => {
  let now = 5_000_000;
  const a = await encKey("a");
  let up = true;
  const f = fakeFetch(() =>
    up ? Response.json({ keys: [a.jwk] }) : new Response("no", { status: 500 })
  );
  const r = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    now: () => now,
    fetch: f.fetch,
  });
  await r.encrypter();
  up = false;
  now += RECIPIENT_CACHE_MS;
  const e = await r.encrypter();
  assert.equal(e.header.kid, "a");
  assert.equal(f.calls(), 2);
  assert.match(r.lastError!, /answered 500/);
  for (let i = 0; i < 20; i++) await r.encrypter();
  assert.equal(f.calls(), 2, "no fetch before the floor");
  now += RECIPIENT_REFETCH_FLOOR_MS;
  await r.encrypter();
  assert.equal(f.calls(), 3);
});

Deno.test("RemoteRecipient: never fetched is encryption_key_unavailable (503), with the floor between attempts", async () => {
  let now = 9_000_000;
  const f = fakeFetch(() => new TypeError("connection refused"));
  const r = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    now: () => now,
    fetch: f.fetch,
  });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      r.encrypter(),
      (e) => isKeypebbleError(e) && e.code === "encryption_key_unavailable" && e.status === 503,
    );
  }
  assert.equal(f.calls(), 1);
  now += RECIPIENT_REFETCH_FLOOR_MS;
  await assert.rejects(r.encrypter());
  assert.equal(f.calls(), 2);
  // A JWKS without an encryption key, or too large, is refused the same way
  const none = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    fetch: fakeFetch(() =>
      Response.json({ keys: [{ kty: "RSA", use: "sig", n: "x", e: "AQAB" }] })
    ).fetch,
  });
  await assert.rejects(
    none.encrypter(),
    (e) => isKeypebbleError(e) && /no encryption key/.test(e.message),
  );
  const big = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    fetch: fakeFetch(() => new Response("x".repeat(300_000))).fetch,
  });
  await assert.rejects(big.encrypter(), (e) => isKeypebbleError(e) && /too large/.test(e.message));
});

Deno.test("RemoteRecipient: concurrent first requests share one fetch", async () => {
  const a = await encKey("a");
  const f = fakeFetch(() => Response.json({ keys: [a.jwk] }));
  const r = new RemoteRecipient({
    url: "https://rp/jwks",
    enc: "A256GCM",
    where: "x",
    fetch: f.fetch,
  });
  await Promise.all(Array.from({ length: 10 }, () => r.encrypter()));
  assert.equal(f.calls(), 1);
});
