import assert from "node:assert/strict";
// An independent encoder, to compare symbols module by module with the same mask forced.
import QRCode from "qrcode";
import {
  byteCapacity,
  dataCodewords,
  dataModules,
  encodeQr,
  formatBits,
  maskBit,
  penalty,
  QR_MAX_VERSION,
  qrSvg,
  reedSolomon,
  versionBits,
} from "./qr.ts";

Deno.test("reedSolomon() gives the check codewords of the standard's worked examples", () => {
  // ISO/IEC 18004 Annex I: "01234567" as 1-M.
  const data1 = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec];
  const full1 = new Uint8Array([...data1, 0x11, 0xec, 0x11]);
  assert.deepEqual(
    [...reedSolomon(full1, 10)],
    [0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55],
  );
  // "HELLO WORLD" as 1-M.
  const full2 = new Uint8Array([
    0x20,
    0x5b,
    0x0b,
    0x78,
    0xd1,
    0x72,
    0xdc,
    0x4d,
    0x43,
    0x40,
    0xec,
    0x11,
    0xec,
    0x11,
    0xec,
    0x11,
  ]);
  assert.deepEqual(
    [...reedSolomon(full2, 10)],
    [0xc4, 0x23, 0x27, 0x77, 0xeb, 0xd7, 0xe7, 0xe2, 0x5d, 0x17],
  );
});

Deno.test("formatBits() and versionBits() match the standard's tables", () => {
  // Annex C, Table C.1: level M with masks 0, 1, 4 and 7.
  assert.equal(formatBits(0).toString(2).padStart(15, "0"), "101010000010010");
  assert.equal(formatBits(1).toString(2).padStart(15, "0"), "101000100100101");
  assert.equal(formatBits(4).toString(2).padStart(15, "0"), "100010111111001");
  assert.equal(formatBits(7).toString(2).padStart(15, "0"), "100101010100000");
  // Annex D, Table D.1.
  assert.equal(versionBits(7), 0x07c94);
  assert.equal(versionBits(8), 0x085bc);
  assert.equal(versionBits(9), 0x09a99);
  assert.equal(versionBits(10), 0x0a4d3);
});

Deno.test("every version's free modules hold exactly its codewords plus 0 or 7 remainder bits", () => {
  const totals = [0, 26, 44, 70, 100, 134, 172, 196, 242, 292, 346];
  const remainder = [0, 0, 7, 7, 7, 7, 7, 0, 0, 0, 0];
  for (let v = 1; v <= QR_MAX_VERSION; v++) {
    assert.equal(dataModules(v), totals[v] * 8 + remainder[v], `version ${v}`);
  }
  assert.deepEqual(
    Array.from({ length: 10 }, (_, i) => byteCapacity(i + 1)),
    [14, 26, 42, 62, 84, 106, 122, 152, 180, 213],
  );
  assert.equal(dataCodewords(10), 216);
});

Deno.test("encodeQr() is module-for-module the same as npm qrcode for versions 1-10, masks 0-7", () => {
  for (let v = 1; v <= QR_MAX_VERSION; v++) {
    const bytes = new Uint8Array(byteCapacity(v)).map((_, i) => (i * 37 + v) & 0xff);
    for (let mask = 0; mask < 8; mask++) {
      const ours = encodeQr(bytes, { mask });
      const theirs = QRCode.create([{ data: bytes, mode: "byte" }], {
        errorCorrectionLevel: "M",
        maskPattern: mask as 0,
      });
      assert.equal(ours.version, v);
      assert.equal(theirs.version, v);
      assert.equal(ours.size, theirs.modules.size);
      const differ = ours.dark.findIndex((d, i) => d !== (theirs.modules.data[i] === 1));
      assert.equal(differ, -1, `version ${v} mask ${mask}: first difference at ${differ}`);
    }
  }
});

Deno.test("encodeQr() picks the smallest version and the mask of lowest penalty", () => {
  assert.equal(encodeQr("x".repeat(14)).version, 1);
  assert.equal(encodeQr("x".repeat(15)).version, 2);
  assert.equal(encodeQr("x".repeat(213)).version, 10);
  assert.throws(() => encodeQr("x".repeat(214)), RangeError);
  assert.throws(() => encodeQr("x", { mask: 8 }), RangeError);
  const uri =
    "otpauth://totp/Keypebble:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Keypebble";
  const best = encodeQr(uri);
  for (let mask = 0; mask < 8; mask++) {
    const other = encodeQr(uri, { mask });
    assert.ok(penalty(best.dark, best.size) <= penalty(other.dark, other.size), `mask ${mask}`);
  }
});

Deno.test("the symbol has its finders, timing, dark module and both format copies", () => {
  const qr = encodeQr("hello, world");
  const n = qr.size;
  const at = (r: number, c: number) => qr.dark[r * n + c];
  for (const [r0, c0] of [[0, 0], [0, n - 7], [n - 7, 0]]) {
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 7; c++) {
        const d = Math.max(Math.abs(r - 3), Math.abs(c - 3));
        assert.equal(at(r0 + r, c0 + c), d !== 2, `finder at ${r0},${c0}`);
      }
    }
  }
  for (let i = 8; i < n - 8; i++) {
    assert.equal(at(6, i), i % 2 === 0);
    assert.equal(at(i, 6), i % 2 === 0);
  }
  assert.equal(at(n - 8, 8), true);
  let first = 0, second = 0;
  const cells1: [number, number][] = [
    [0, 8],
    [1, 8],
    [2, 8],
    [3, 8],
    [4, 8],
    [5, 8],
    [7, 8],
    [8, 8],
    [8, 7],
    [8, 5],
    [8, 4],
    [8, 3],
    [8, 2],
    [8, 1],
    [8, 0],
  ];
  cells1.forEach(([r, c], i) => first |= (at(r, c) ? 1 : 0) << i);
  for (let i = 0; i < 8; i++) second |= (at(8, n - 1 - i) ? 1 : 0) << i;
  for (let i = 8; i < 15; i++) second |= (at(n - 15 + i, 8) ? 1 : 0) << i;
  assert.equal(first, formatBits(qr.mask));
  assert.equal(second, formatBits(qr.mask));
});

Deno.test("maskBit() follows Table 10", () => {
  assert.equal(maskBit(0, 1, 1), true);
  assert.equal(maskBit(1, 1, 0), false);
  assert.equal(maskBit(2, 5, 3), true);
  assert.equal(maskBit(4, 2, 3), true);
  assert.equal(maskBit(5, 0, 7), true);
  assert.equal(maskBit(6, 1, 1), true);
  assert.equal(maskBit(6, 1, 5), false);
  assert.equal(maskBit(7, 1, 1), false);
});

Deno.test("qrSvg() is attributes only: no script, no style, label escaped, quiet zone kept", () => {
  const qr = encodeQr("hi");
  const svg = qrSvg(qr, { label: `<script>"x"</script>` });
  assert.ok(!/<script|style|on[a-z]+=|href/i.test(svg.replace(/aria-label="[^"]*"/, "")));
  assert.match(svg, /aria-label="&lt;script&gt;&quot;x&quot;&lt;\/script&gt;"/);
  assert.match(svg, new RegExp(`viewBox="0 0 ${qr.size + 8} ${qr.size + 8}"`));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
  // Every dark module is covered by exactly one run of the path.
  const covered = new Set<number>();
  for (const m of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let k = 0; k < Number(m[3]); k++) {
      const key = (Number(m[2]) - 4) * qr.size + Number(m[1]) - 4 + k;
      assert.ok(!covered.has(key));
      covered.add(key);
    }
  }
  assert.equal(covered.size, qr.dark.filter((d) => d).length);
  for (const key of covered) assert.ok(qr.dark[key]);
});
