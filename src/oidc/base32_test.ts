import assert from "node:assert/strict";
import { base32Decode, base32Encode } from "./base32.ts";

const enc = new TextEncoder();

// RFC 4648 §10, without the padding.
const VECTORS: [string, string][] = [
  ["", ""],
  ["f", "MY"],
  ["fo", "MZXQ"],
  ["foo", "MZXW6"],
  ["foob", "MZXW6YQ"],
  ["fooba", "MZXW6YTB"],
  ["foobar", "MZXW6YTBOI"],
];

Deno.test("base32Encode() matches RFC 4648 §10 without padding", () => {
  for (const [plain, b32] of VECTORS) assert.equal(base32Encode(enc.encode(plain)), b32);
});

Deno.test("base32Decode() reverses it, in either case, with or without padding", () => {
  for (const [plain, b32] of VECTORS) {
    assert.equal(new TextDecoder().decode(base32Decode(b32)), plain);
    assert.equal(new TextDecoder().decode(base32Decode(b32.toLowerCase())), plain);
  }
  assert.equal(new TextDecoder().decode(base32Decode("MZXW6YQ=")), "foob");
  assert.equal(new TextDecoder().decode(base32Decode("MZXW 6YTB-OI")), "foobar");
});

Deno.test("base32Decode() refuses characters outside the alphabet and impossible lengths", () => {
  assert.throws(() => base32Decode("MZXW1"), TypeError);
  assert.throws(() => base32Decode("MZX"), TypeError);
  assert.throws(() => base32Decode("M"), TypeError);
});

Deno.test("base32 round-trips random bytes of every length up to 41", () => {
  for (let n = 0; n <= 41; n++) {
    const b = crypto.getRandomValues(new Uint8Array(n));
    assert.deepEqual(base32Decode(base32Encode(b)), b);
  }
});
