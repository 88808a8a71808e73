/**
 * In-process JOSE benchmarks: Keypebble's sign and verify per algorithm against the raw Web
 * Crypto call for the same operation (the baseline of each group). The difference is our own
 * cost: header/payload encoding, base64url, claim checks.
 *
 *   deno bench bench/jose_bench.ts
 */

import {
  type Alg,
  algSpec,
  generateKeyPem,
  importHmacSecret,
  importPrivateKeyPem,
  JwsSigner,
  type KeyEntry,
  verifyJws,
  withKid,
} from "../src/jose/mod.ts";

const NOW = Math.floor(Date.now() / 1000);
const CLAIMS = {
  iss: "https://keypebble.bench",
  aud: "bench",
  sub: "edge-0042",
  scope: "controller:read controller:write",
  roles: ["controller"],
  iat: NOW,
  nbf: NOW,
  exp: NOW + 3600,
  jti: "0123456789abcdef0123456789abcdef",
};

async function keyFor(alg: Alg): Promise<KeyEntry> {
  if (alg === "HS256") {
    return withKid(await importHmacSecret(crypto.getRandomValues(new Uint8Array(32))), "hs");
  }
  const pem = await generateKeyPem(alg as "RS256" | "ES256" | "EdDSA");
  return withKid(await importPrivateKeyPem(pem, { alg }), alg.toLowerCase());
}

for (const alg of ["HS256", "RS256", "ES256", "EdDSA"] as const) {
  const key = await keyFor(alg);
  const signer = await JwsSigner.create(key);
  const token = await signer.sign(CLAIMS);
  const [h, p, s] = token.split(".");
  const input = new TextEncoder().encode(`${h}.${p}`);
  const sig = Uint8Array.from(
    atob(s.replaceAll("-", "+").replaceAll("_", "/") + "==".slice(0, (4 - s.length % 4) % 4)),
    (c) => c.charCodeAt(0),
  );
  const params = algSpec(alg).signParams;

  Deno.bench({
    name: `sign ${alg}: raw crypto.subtle.sign`,
    group: `sign ${alg}`,
    baseline: true,
    async fn() {
      await crypto.subtle.sign(params, key.privateKey!, input);
    },
  });
  Deno.bench({
    name: `sign ${alg}: JwsSigner.sign (claims → compact JWS)`,
    group: `sign ${alg}`,
    async fn() {
      await signer.sign(CLAIMS);
    },
  });
  Deno.bench({
    name: `verify ${alg}: raw crypto.subtle.verify`,
    group: `verify ${alg}`,
    baseline: true,
    async fn() {
      await crypto.subtle.verify(params, key.verifyKey, sig, input);
    },
  });
  Deno.bench({
    name: `verify ${alg}: verifyJws (decode + signature + claims)`,
    group: `verify ${alg}`,
    async fn() {
      await verifyJws(token, [key], { now: NOW, issuer: CLAIMS.iss, audience: "bench" });
    },
  });
}
