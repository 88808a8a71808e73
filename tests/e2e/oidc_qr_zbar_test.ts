/**
 * Our QR encoder read back by an independent decoder: Debian's `zbarimg` (zbar-tools) decodes
 * the SVG we render (rasterised to PNG by tests/helpers/png.ts, which reads the SVG's own path)
 * for otpauth URIs of every length up to version 10, for each forced mask, and for the
 * enrolment URI itself; and from a screenshot of the enrolment page as Debian's Chromium draws it
 * under the page's strict Content-Security-Policy.
 */

import assert from "node:assert/strict";
import { byteCapacity, encodeQr, QR_MAX_VERSION, qrSvg } from "../../src/oidc/qr.ts";
import { newTotpSecret, otpauthUri } from "../../src/oidc/totp.ts";
import { contentSecurityPolicy, pageHeaders } from "../../src/oidc/csp.ts";
import { LOGIN_CSS, LOGIN_CSS_PATH } from "../../src/oidc/login_css.ts";
import { totpEnrolPage } from "../../src/oidc/pages.ts";
import { qrSvgToPng } from "../helpers/png.ts";
import { freePort } from "../helpers/process.ts";

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

Deno.test({
  name: "Chromium renders the enrolment page under its strict CSP and zbarimg reads the QR code",
  // Chromium leaves helper processes and the server's listener is closed at the end.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const uri = otpauthUri({
      issuer: "Keypebble",
      account: "alice@example.com",
      secret: newTotpSecret(),
    });
    const page = totpEnrolPage({
      action: "/enrol",
      csrf: "x",
      qrSvg: qrSvg(encodeQr(uri), { label: "QR code" }),
      secret: "JBSWY3DPEHPK3PXP",
      recoveryCodes: ["aaaa-bbbb-cccc-dddd"],
    });
    const port = freePort();
    const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === LOGIN_CSS_PATH) {
        return new Response(LOGIN_CSS, { headers: { "content-type": "text/css" } });
      }
      return new Response(page, { headers: pageHeaders(contentSecurityPolicy()) });
    });
    const dir = await Deno.makeTempDir();
    try {
      const shot = `${dir}/page.png`;
      const out = await new Deno.Command("chromium", {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          `--user-data-dir=${dir}/profile`,
          "--window-size=600,1100",
          `--screenshot=${shot}`,
          `http://127.0.0.1:${port}/enrol`,
        ],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.equal(out.code, 0, "chromium screenshot");
      assert.deepEqual(await zbar([shot]), [uri]);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
