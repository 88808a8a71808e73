import assert from "node:assert/strict";
import {
  b64Encode,
  b64uDecode,
  b64uDecodePadded,
  b64uEncode,
  b64uEncodePadded,
} from "./base64url.ts";
import { isAlg } from "./algorithms.ts";
import { throwsWith } from "./_testing.ts";

function referenceB64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

Deno.test("b64uEncode() and b64uDecode() round-trip every length and byte value", () => {
  for (let len = 0; len < 70; len++) {
    const bytes = crypto.getRandomValues(new Uint8Array(len));
    const enc = b64uEncode(bytes);
    assert.equal(
      enc,
      referenceB64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
    );
    assert.deepEqual(b64uDecode(enc), bytes);
  }
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(b64uDecode(b64uEncode(all)), all);
});

Deno.test("b64uEncode() encodes strings as UTF-8", () => {
  assert.equal(b64uEncode("hi"), "aGk");
  assert.equal(b64uEncode("é"), "w6k");
  assert.equal(b64uEncode(""), "");
});

Deno.test("b64Encode() is standard base64 with padding", () => {
  for (let len = 0; len < 10; len++) {
    const bytes = crypto.getRandomValues(new Uint8Array(len + 250));
    assert.equal(b64Encode(bytes), referenceB64(bytes));
  }
  assert.equal(b64Encode(new Uint8Array([0xfb, 0xff])), "+/8=");
});

Deno.test("b64uDecode() rejects padding, the standard alphabet and bad lengths", () => {
  for (const bad of ["aGk=", "aGk==", "a+8", "a/8", "abcde", "a", "ab c", "ab\n", "aé", "ab.c"]) {
    throwsWith(() => b64uDecode(bad), "invalid_token");
  }
});

Deno.test("b64uDecode() rejects non-canonical trailing bits", () => {
  assert.deepEqual(b64uDecode("QQ"), new Uint8Array([0x41]));
  throwsWith(() => b64uDecode("QR"), "invalid_token");
  assert.deepEqual(b64uDecode("QUE"), new Uint8Array([0x41, 0x41]));
  throwsWith(() => b64uDecode("QUF"), "invalid_token");
});

Deno.test("isAlg() accepts only the table's exact names", () => {
  for (const ok of ["HS256", "RS256", "ES256", "EdDSA"]) assert.equal(isAlg(ok), true);
  for (const bad of ["none", "None", "HS384", "hs256", "RS512", "PS256", "toString", "", null, 1]) {
    assert.equal(isAlg(bad), false, String(bad));
  }
});

Deno.test("b64uEncode() encodes non-ASCII and long strings as UTF-8", () => {
  const enc = new TextEncoder();
  for (const s of ["é", "日本語 ✓", "a".repeat(5000), "ü".repeat(3000) + "😀"]) {
    const bytes = enc.encode(s);
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    const want = btoa(bin).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    assert.equal(b64uEncode(s), want);
    assert.deepEqual(b64uDecode(b64uEncode(s)), bytes);
  }
});

Deno.test("b64uDecodePadded() takes the padded form only, strictly", () => {
  for (const n of [0, 1, 2, 3, 4, 31, 32, 33]) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    const s = b64uEncodePadded(bytes);
    assert.equal(s.length % 4, 0);
    assert.deepEqual(b64uDecodePadded(s), bytes);
  }
  for (const bad of ["aGk", "aGk==", "aG==a===", "a===", "aGk+", "aGl=", "====", "aG=k"]) {
    assert.throws(() => b64uDecodePadded(bad), bad);
  }
});
