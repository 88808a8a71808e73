/**
 * On Bun, HMAC-SHA-256 runs through `Bun.CryptoHasher` (src/platform/hmac_bun.ts, installed by
 * the Bun adapter): it must give exactly the bytes of the JavaScript HMAC and of RFC 4231, for
 * short and long keys and messages of every length around the block size. Needs bun.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("Bun's native HMAC-SHA-256 gives the JavaScript HMAC's bytes and RFC 4231's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-hmac-bun-" });
  try {
    const script = `${dir}/check.ts`;
    await Deno.writeTextFile(
      script,
      `import { HmacSha256, installNativeHmacSha256 } from "${ROOT}src/jose/hmac_sha256.ts";
import { bunHmacSha256 } from "${ROOT}src/platform/hmac_bun.ts";
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const factory = bunHmacSha256();
if (factory === undefined) throw new Error("no native HMAC on Bun");
const out: string[] = [];
// RFC 4231 §4.3 test case 2, and §4.7 test case 6 (a key longer than the block).
const cases: [Uint8Array, Uint8Array][] = [
  [new TextEncoder().encode("Jefe"), new TextEncoder().encode("what do ya want for nothing?")],
  [new Uint8Array(131).fill(0xaa),
    new TextEncoder().encode("Test Using Larger Than Block-Size Key - Hash Key First")],
];
for (let i = 0; i < 200; i++) {
  cases.push([crypto.getRandomValues(new Uint8Array(1 + (i * 7) % 150)),
    crypto.getRandomValues(new Uint8Array((i * 13) % 300))]);
}
for (const [key, msg] of cases) {
  installNativeHmacSha256(undefined);
  const js = hex(new HmacSha256(key).sign(msg));
  installNativeHmacSha256(factory);
  const mac = new HmacSha256(key);
  key.fill(0); // the native MAC keeps its own copy
  const native = mac.sign(msg);
  if (native.constructor !== Uint8Array) throw new Error("not a plain Uint8Array");
  out.push(js === hex(native) ? js : "MISMATCH");
}
// signHex: the native hex of a text's UTF-8 equals the JavaScript one (ASCII, non-ASCII, long).
for (const text of ["kp_live_" + "A".repeat(43), "basic\\0Basic YWxpY2U6cHc=", "é".repeat(70), "x".repeat(300)]) {
  const key = new TextEncoder().encode("p".repeat(40));
  installNativeHmacSha256(undefined);
  const js = new HmacSha256(key).signHex(text);
  installNativeHmacSha256(factory);
  const native = new HmacSha256(key).signHex(text);
  if (js !== native || !/^[0-9a-f]{64}$/.test(native)) throw new Error("signHex mismatch " + text);
}
console.log(out.join("\\n"));
`,
    );
    const res = await new Deno.Command("bun", { args: ["run", script], stdout: "piped" })
      .output();
    assert.equal(res.code, 0);
    const lines = new TextDecoder().decode(res.stdout).trim().split("\n");
    assert.equal(lines.length, 202);
    assert.ok(!lines.includes("MISMATCH"));
    assert.equal(lines[0], "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert.equal(lines[1], "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
