import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { timingSafeEqual } from "../jose/constant_time.ts";
import {
  DUMMY_HASH,
  dummyHashFor,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
} from "./password.ts";

// Generated independently with Python: hashlib.pbkdf2_hmac("sha256", b"correct horse",
// b"salt-0000\xfb\xef\xbe", 1000, 32), salt and hash then encoded in passlib's adapted base64
// ("." for "+", no padding).
const PASSLIB_VECTOR =
  "$pbkdf2-sha256$1000$c2FsdC0wMDAw....$5xkZ.B8Obn0KLNGEUAfLHYein.fQqPS6kWXLxmeqAEM";

Deno.test("timingSafeEqual() compares bytes", () => {
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2])), false);
  assert.equal(timingSafeEqual(new Uint8Array(), new Uint8Array()), true);
});

Deno.test("hashPassword() round-trips through verifyPassword()", async () => {
  const phc = await hashPassword("s3cret pass", { iterations: 1000 });
  assert.match(phc, /^\$pbkdf2-sha256\$i=1000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword("s3cret pass", phc), true);
  assert.equal(await verifyPassword("s3cret pasS", phc), false);
  assert.equal(await verifyPassword("", phc), false);
});

Deno.test("hashPassword() uses a fresh salt each time", async () => {
  const a = await hashPassword("x", { iterations: 1000 });
  const b = await hashPassword("x", { iterations: 1000 });
  assert.notEqual(a, b);
});

Deno.test("hashPassword() defaults to 600000 iterations", async () => {
  const phc = await hashPassword("x");
  assert.equal(parsePasswordHash(phc).iterations, 600_000);
});

Deno.test("hashPassword() refuses out-of-range iterations and short salts", async () => {
  await assert.rejects(() => hashPassword("x", { iterations: 999 }), KeypebbleError);
  await assert.rejects(() => hashPassword("x", { salt: new Uint8Array(4) }), KeypebbleError);
});

Deno.test("verifyPassword() accepts a passlib pbkdf2_sha256 hash", async () => {
  const parsed = parsePasswordHash(PASSLIB_VECTOR);
  assert.equal(parsed.format, "passlib");
  assert.equal(parsed.iterations, 1000);
  assert.equal(await verifyPassword("correct horse", PASSLIB_VECTOR), true);
  assert.equal(await verifyPassword("correct horsE", PASSLIB_VECTOR), false);
});

Deno.test("verifyPassword() agrees between our format and passlib's for the same key", async () => {
  const salt = parsePasswordHash(PASSLIB_VECTOR).salt;
  const ours = await hashPassword("correct horse", { iterations: 1000, salt });
  assert.deepEqual(parsePasswordHash(ours).hash, parsePasswordHash(PASSLIB_VECTOR).hash);
});

Deno.test("verifyPassword() fails for a tampered hash", async () => {
  const phc = await hashPassword("pw", { iterations: 1000 });
  const parts = phc.split("$");
  const hash = parts[4];
  const flipped = (hash[0] === "A" ? "B" : "A") + hash.slice(1);
  assert.equal(await verifyPassword("pw", [...parts.slice(0, 4), flipped].join("$")), false);
  // Different iteration count, same bytes: a different key.
  assert.equal(await verifyPassword("pw", phc.replace("i=1000", "i=1001")), false);
  assert.equal(await verifyPassword("pw", "garbage"), false);
});

Deno.test("parsePasswordHash() rejects malformed hashes without echoing them", () => {
  const good =
    "$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZvv/$MihJhey80o4onDgsaDctAMwk6zGCj6sBabAwno03/uM";
  parsePasswordHash(good);
  for (
    const bad of [
      "",
      "$pbkdf2-sha512$i=1000$MDEyMzQ1Njc4OWFiY2RlZvv/$MihJhey80o4onDgsaDctAMwk6zGCj6sBabAwno03/uM",
      good.replace("i=1000", "i=999"),
      good.replace("i=1000", "i=10000001"),
      good.replace("i=1000", "i=01000"),
      good.replace("i=1000", "i=abc"),
      good.replace("MDEyMzQ1Njc4OWFiY2RlZvv/", "MDEy"),
      good.replace("MDEyMzQ1Njc4OWFiY2RlZvv/", "MDEy!zQ1Njc4OWFiY2RlZvv/"),
      good.slice(0, -4),
      good + "$extra",
      good + "=",
      good.replace(/uM$/, "uN"), // non-canonical trailing bits
    ]
  ) {
    assert.throws(() => parsePasswordHash(bad), (e) => {
      assert.ok(e instanceof KeypebbleError);
      assert.equal(e.code, "policy_invalid");
      assert.ok(!e.message.includes("MihJ"));
      return true;
    }, bad);
  }
});

Deno.test("DUMMY_HASH is well-formed and matches nothing obvious", async () => {
  assert.equal(parsePasswordHash(DUMMY_HASH).iterations, 600_000);
  assert.equal(parsePasswordHash(dummyHashFor(1000)).iterations, 1000);
  assert.equal(parsePasswordHash(dummyHashFor(1)).iterations, 1000);
  assert.equal(await verifyPassword("", dummyHashFor(1000)), false);
  assert.equal(await verifyPassword("password", dummyHashFor(1000)), false);
});
