/**
 * In-process benchmarks of the token formats (issue 25), each next to the plain JWS it wraps:
 * making a token as the mint path's last step does (sign; sign then encrypt; Fernet), and
 * reading one as `verify` and introspection do. The signing key is HS256 (the default key of a
 * fresh config, synchronous), so the rows show the cost of the format itself.
 *
 *   deno bench --allow-env bench/token_formats_bench.ts
 */

import {
  type FernetKeys,
  importFernetKey,
  newFernetKeyText,
  sealFernet,
  verifyFernet,
} from "../src/fernet/mod.ts";
import {
  b64uEncode,
  decryptJwe,
  generateJweKeyPem,
  importHmacSecret,
  importJweDecryptionJwk,
  importJweDecryptionKeyPem,
  importJweRecipientJwk,
  importJweRecipientPem,
  type JweAlg,
  JweEncrypter,
  JwsSigner,
  verifyJws,
  withKid,
} from "../src/jose/mod.ts";

const NOW = Math.floor(Date.now() / 1000);
const CLAIMS = {
  aud: "bench",
  sub: "edge-0042",
  scope: "controller:read controller:write",
  roles: ["controller"],
  iss: "https://keypebble.bench",
  iat: NOW,
  nbf: NOW,
  exp: NOW + 3600,
  jti: "0123456789abcdef0123456789abcdef",
};
const PAYLOAD = JSON.stringify(CLAIMS);

const signing = withKid(await importHmacSecret(crypto.getRandomValues(new Uint8Array(32))), "hs");
const signer = await JwsSigner.create(signing);
const jws = await signer.signBytes(PAYLOAD);

async function nested(alg: JweAlg, label: string) {
  let key;
  let to;
  if (alg === "dir") {
    const k = b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
    key = await importJweDecryptionJwk({ kty: "oct", k, kid: "dir" }, { alg, enc: "A256GCM" });
    to = await importJweRecipientJwk({ kty: "oct", k, kid: "dir" }, { alg, enc: "A256GCM" });
  } else {
    const pem = await generateJweKeyPem(alg === "RSA-OAEP-256" ? "RSA" : "P-256");
    key = await importJweDecryptionKeyPem(pem, { alg, enc: "A256GCM" });
    to = await importJweRecipientPem(pem, { alg, enc: "A256GCM" });
  }
  const encrypter = await JweEncrypter.create(to, { cty: "JWT" });
  const token = await encrypter.encrypt(jws);
  return { label, encrypter, token, keyring: { decryptionKeys: [key], keys: [signing] } };
}

const formats = [
  await nested("RSA-OAEP-256", "nested JWE RSA-OAEP-256/A256GCM"),
  await nested("ECDH-ES", "nested JWE ECDH-ES (P-256)/A256GCM"),
  await nested("dir", "nested JWE dir/A256GCM"),
];

const fernetKey = await importFernetKey(newFernetKeyText(), "1");
const fernet: FernetKeys = {
  repository: {
    dir: "(memory)",
    primary: fernetKey,
    keys: [fernetKey],
    layout: { primary: 1, secondary: [] },
    warnings: [],
  },
  ttlSeconds: 3600,
};
const fernetToken = await sealFernet(fernet, PAYLOAD, "JWT", NOW);

Deno.bench({
  name: "make: JWS HS256 (the mint path's sign step)",
  group: "make a token",
  baseline: true,
  async fn() {
    await signer.signBytes(PAYLOAD);
  },
});
for (const f of formats) {
  Deno.bench({
    name: `make: ${f.label} (sign, then encrypt)`,
    group: "make a token",
    async fn() {
      await f.encrypter.encrypt(await signer.signBytes(PAYLOAD));
    },
  });
}
Deno.bench({
  name: "make: Fernet (the claims, AES-128-CBC + HMAC-SHA256)",
  group: "make a token",
  async fn() {
    await sealFernet(fernet, PAYLOAD, "JWT", NOW);
  },
});

Deno.bench({
  name: "read: verifyJws HS256",
  group: "read a token",
  baseline: true,
  async fn() {
    await verifyJws(jws, [signing], { now: NOW, issuer: CLAIMS.iss });
  },
});
for (const f of formats) {
  Deno.bench({
    name: `read: decryptJwe ${f.label} (decrypt, then verify the JWS)`,
    group: "read a token",
    async fn() {
      await decryptJwe(f.token, f.keyring, { now: NOW, issuer: CLAIMS.iss });
    },
  });
}
Deno.bench({
  name: "read: verifyFernet",
  group: "read a token",
  async fn() {
    await verifyFernet(fernetToken, fernet, NOW);
  },
});
