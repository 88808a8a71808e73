import assert from "node:assert/strict";
import { HmacSha256, sha256 } from "./hmac_sha256.ts";

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}
function unhex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const enc = new TextEncoder();

Deno.test("sha256() matches the FIPS 180-4 examples", () => {
  assert.equal(
    hex(sha256(enc.encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(new Uint8Array())),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("HmacSha256 matches RFC 4231 test cases 1, 2, 6 and 7", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [
      unhex("0b".repeat(20)),
      enc.encode("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ],
    [
      enc.encode("Jefe"),
      enc.encode("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      unhex("aa".repeat(131)),
      enc.encode("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      unhex("aa".repeat(131)),
      enc.encode(
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];
  for (const [key, data, want] of cases) assert.equal(hex(new HmacSha256(key).sign(data)), want);
});

Deno.test("HmacSha256 agrees with Web Crypto for every message length up to 300", async () => {
  const key = crypto.getRandomValues(new Uint8Array(48));
  const mac = new HmacSha256(key);
  const ref = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  for (let n = 0; n <= 300; n++) {
    const msg = crypto.getRandomValues(new Uint8Array(n));
    const want = new Uint8Array(await crypto.subtle.sign("HMAC", ref, msg));
    assert.deepEqual(mac.sign(msg), want, `length ${n}`);
  }
});
