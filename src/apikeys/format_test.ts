import assert from "node:assert/strict";
import { checkKeyShape, displayPrefix, generateRawKey, KeyHasher, presentedKey } from "./format.ts";

Deno.test("generateRawKey() makes prefix + 43 base64url characters (32 bytes), never twice the same", () => {
  const a = generateRawKey("kp_live_");
  const b = generateRawKey("kp_live_");
  assert.match(a, /^kp_live_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(displayPrefix(a, "kp_live_"), a.slice(0, 12));
});

Deno.test("checkKeyShape() accepts configured prefixes only and refuses whitespace and junk", () => {
  const key = generateRawKey("kg_live_");
  assert.deepEqual(checkKeyShape(key, ["kp_live_", "kg_live_"]), { prefix: "kg_live_" });
  assert.deepEqual(checkKeyShape(key, ["kp_live_"]), { problem: "wrong_prefix" });
  assert.deepEqual(checkKeyShape(key + " ", ["kg_live_"]), { problem: "malformed" });
  assert.deepEqual(checkKeyShape(" " + key, ["kg_live_"]), { problem: "malformed" });
  assert.deepEqual(checkKeyShape("kg_live_abc", ["kg_live_"]), { problem: "malformed" });
  assert.deepEqual(checkKeyShape("kg_live_" + "a".repeat(200), ["kg_live_"]), {
    problem: "malformed",
  });
  assert.deepEqual(checkKeyShape("\u0000", ["kg_live_"]), { problem: "malformed" });
});

Deno.test("KeyHasher is a keyed HMAC: same pepper same hash, other pepper other hash", () => {
  const enc = new TextEncoder();
  const h1 = new KeyHasher(enc.encode("a".repeat(32)));
  const h2 = new KeyHasher(enc.encode("b".repeat(32)));
  const key = generateRawKey("kp_live_");
  assert.equal(h1.hash(key), h1.hash(key));
  assert.notEqual(h1.hash(key), h2.hash(key));
  assert.match(h1.hash(key), /^[0-9a-f]{64}$/);
  assert.ok(!h1.hash(key).includes(key.slice(8, 20)));
});

Deno.test("presentedKey() reads X-API-Key, or a Bearer value only when it has a key prefix", () => {
  const p = ["kp_live_"];
  assert.equal(presentedKey(new Headers({ "x-api-key": "kp_live_x" }), p), "kp_live_x");
  assert.equal(presentedKey(new Headers({ authorization: "Bearer kp_live_y" }), p), "kp_live_y");
  assert.equal(presentedKey(new Headers({ authorization: "Bearer eyJ.a.b" }), p), undefined);
  assert.equal(
    presentedKey(new Headers({ authorization: "Bearer eyJ.a.b" }), p, { anyBearer: true }),
    "eyJ.a.b",
  );
  assert.equal(presentedKey(new Headers({ authorization: "Basic abc" }), p), undefined);
});

Deno.test("KeyHasher hashes ASCII, non-ASCII and long keys as HMAC-SHA-256 of their UTF-8", async () => {
  const pepper = new TextEncoder().encode("p".repeat(40));
  const h = new KeyHasher(pepper);
  const key = await crypto.subtle.importKey(
    "raw",
    pepper,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  for (
    const raw of ["kp_live_" + "A".repeat(43), "kp_live_é" + "x".repeat(40), "k".repeat(300), ""]
  ) {
    const want = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(raw)),
    );
    assert.equal(h.hash(raw), Array.from(want, (b) => b.toString(16).padStart(2, "0")).join(""));
  }
});
