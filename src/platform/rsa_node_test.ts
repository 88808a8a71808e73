import assert from "node:assert/strict";
import { importPrivateKeyPem, JwsSigner, verifyJws } from "../jose/mod.ts";
import { installRsaSha256 } from "./rsa_native.ts";
import { nodeRsaSha256 } from "./rsa_node.ts";

async function _pem(): Promise<string> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const b64 = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

Deno.test("the runtime's native RS256 signer makes byte-identical tokens to Web Crypto", async () => {
  const pem = await _pem();
  const web = await importPrivateKeyPem(pem);
  assert.equal(web.rsaSha256, undefined);
  installRsaSha256(nodeRsaSha256);
  let native;
  try {
    native = await importPrivateKeyPem(pem);
  } finally {
    installRsaSha256(undefined);
  }
  assert.equal(typeof native.rsaSha256, "function");
  const claims = { iss: "https://kp.example", sub: "alice", exp: 1_900_000_000, n: "é€" };
  const a = await (await JwsSigner.create(web)).sign(claims);
  const b = await (await JwsSigner.create(native)).sign(claims);
  assert.equal(b, a);
  const { payload } = await verifyJws(b, [web], { now: 1_800_000_000 });
  assert.equal(payload.sub, "alice");
});

Deno.test("the native RS256 signer is used only for RS256 keys", async () => {
  installRsaSha256(nodeRsaSha256);
  try {
    const pair = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["sign", "verify"],
    ) as CryptoKeyPair;
    const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n` +
      "-----END PRIVATE KEY-----\n";
    const ec = await importPrivateKeyPem(pem);
    assert.equal(ec.alg, "ES256");
    assert.equal(ec.rsaSha256, undefined);
  } finally {
    installRsaSha256(undefined);
  }
});
