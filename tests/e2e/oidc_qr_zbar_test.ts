/**
 * Our QR encoder read back by an independent decoder: Debian's `zbarimg` (zbar-tools) decodes
 * the SVG we render (rasterised to PNG by tests/helpers/png.ts, which reads the SVG's own path)
 * for otpauth URIs of every length up to version 10, for each forced mask, and for the
 * enrolment URI itself.
 */

import assert from "node:assert/strict";
import { byteCapacity, encodeQr, QR_MAX_VERSION, qrSvg } from "../../src/oidc/qr.ts";
import { newTotpSecret, otpauthUri } from "../../src/oidc/totp.ts";
import { qrSvgToPng } from "../helpers/png.ts";

/** Decode every PNG with one zbarimg run; one decoded text per file, in order. */
async function zbar(files: string[]): Promise<string[]> {
  const out = await new Deno.Command("zbarimg", {
    args: ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", ...files],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `zbarimg failed (${out.code}): ${err}`);
  // With -Sbinary each symbol's bytes are printed as they are, followed by a newline.
  return new TextDecoder().decode(out.stdout).replace(/\n$/, "").split("\n");
}

async function decodeAll(texts: string[], mask?: number): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    const files: string[] = [];
    for (let i = 0; i < texts.length; i++) {
      const svg = qrSvg(encodeQr(texts[i], mask === undefined ? {} : { mask }));
      const path = `${dir}/qr${i}.png`;
      await Deno.writeFile(path, await qrSvgToPng(svg, 4));
      files.push(path);
    }
    const decoded: string[] = [];
    // One file at a time keeps the output unambiguous (texts never hold newlines here).
    for (const f of files) decoded.push(...await zbar([f]));
    return decoded;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("zbarimg decodes an enrolment otpauth URI from our SVG", async () => {
  const uri = otpauthUri({
    issuer: "Keypebble",
    account: "alice@example.com",
    secret: newTotpSecret(),
  });
  assert.deepEqual(await decodeAll([uri]), [uri]);
});

Deno.test("zbarimg decodes the largest payload of every version 1-10", async () => {
  const texts: string[] = [];
  for (let v = 1; v <= QR_MAX_VERSION; v++) {
    const n = byteCapacity(v);
    const t = ("otpauth://totp/kp:" + "abcdefghijklmnopqrstuvwxyz0123456789".repeat(8)).slice(0, n);
    assert.equal(encodeQr(t).version, v);
    texts.push(t);
  }
  assert.deepEqual(await decodeAll(texts), texts);
});

Deno.test("zbarimg decodes each of the eight masks", async () => {
  const t = "otpauth://totp/Keypebble:bob?secret=JBSWY3DPEHPK3PXP&issuer=Keypebble";
  for (let mask = 0; mask < 8; mask++) {
    assert.deepEqual(await decodeAll([t], mask), [t], `mask ${mask}`);
  }
});
