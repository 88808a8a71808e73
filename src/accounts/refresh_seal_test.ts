import assert from "node:assert/strict";
import { openSuccessor, sealKeyBytes, sealSuccessor } from "./refresh_seal.ts";

const used = `kprt_${"a".repeat(64)}`;
const next = `kprt_${"b".repeat(64)}`;

Deno.test("a sealed successor opens with the used token only", async () => {
  const sealed = await sealSuccessor(used, next);
  assert.ok(!sealed.includes(next) && !sealed.includes("bbbb"));
  assert.equal(await openSuccessor(used, sealed), next);
  assert.equal(await openSuccessor(`kprt_${"c".repeat(64)}`, sealed), undefined);
  assert.equal(await openSuccessor(used, sealed.slice(0, -2) + "AA"), undefined, "tampered");
  assert.equal(await openSuccessor(used, "garbage"), undefined);
  assert.notEqual(await sealSuccessor(used, next), sealed, "a fresh IV each time");
});

Deno.test("the seal key is Web Crypto's HKDF-SHA-256 of the used token (RFC 5869, no salt)", async () => {
  const info = new TextEncoder().encode("keypebble refresh successor v1");
  for (const token of [used, next, "x", `kprt_${"é".repeat(40)}`]) {
    const ikm = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(token),
      "HKDF",
      false,
      ["deriveBits"],
    );
    const want = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info },
        ikm,
        256,
      ),
    );
    assert.deepEqual(sealKeyBytes(token), want, token);
  }
});

Deno.test("a successor sealed with Web Crypto's own HKDF (before this file derived it) opens", async () => {
  const ikm = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(used),
    "HKDF",
    false,
    ["deriveKey"],
  );
  const key = await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: new TextEncoder().encode("keypebble refresh successor v1"),
    },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt"],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode("kprt-successor") },
      key,
      new TextEncoder().encode(next),
    ),
  );
  const b64u = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  assert.equal(await openSuccessor(used, `v1.${b64u(iv)}.${b64u(ct)}`), next);
});

Deno.test("what Web Crypto seals opens here, and what is sealed here opens with Web Crypto", async () => {
  const key = await crypto.subtle.importKey(
    "raw",
    sealKeyBytes(used) as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    [
      "encrypt",
      "decrypt",
    ],
  );
  const aad = new TextEncoder().encode("kprt-successor");
  const sealed = await sealSuccessor(used, next);
  const [, iv, ct] = sealed.split(".");
  const dec = (s: string) =>
    Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: dec(iv), additionalData: aad },
    key,
    dec(ct),
  );
  assert.equal(new TextDecoder().decode(pt), next);
});
