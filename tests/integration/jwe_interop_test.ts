/**
 * Our JWEs against an independent implementation (npm `jose`, a test-only import), for every
 * offered alg/enc pair and curve, in both directions: jose decrypts what we encrypt, we decrypt
 * what jose encrypts; nested tokens (a JWS inside, `cty: "JWT"`) verify in jose after its own
 * decryption; tokens jose makes with a pair the key is not bound to, with `zip`, or with a
 * tampered header, ciphertext, tag, IV or `epk` are refused by us. The Python jwcrypto checks of
 * the same are in tests/e2e/jwe_jwcrypto_test.ts.
 */

import assert from "node:assert/strict";
// A test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import * as jose from "npm:jose@5.9.6";
import { isKeypebbleError } from "../../src/errors.ts";
import {
  b64uDecode,
  b64uEncode,
  generateJweKeyPem,
  generateKeyPem,
  importJweDecryptionJwk,
  importJweDecryptionKeyPem,
  importJweRecipientJwk,
  importJweRecipientPem,
  importPrivateKeyPem,
  type JweAlg,
  type JweDecryptionKey,
  type JweEnc,
  JweEncrypter,
  type JweKeyType,
  JwsSigner,
  openJwe,
  withKid,
} from "../../src/jose/mod.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

interface Case {
  readonly alg: JweAlg;
  readonly enc: JweEnc;
  readonly type: JweKeyType | "oct";
}

const CASES: Case[] = [];
for (const e of ["A256GCM", "A128CBC-HS256"] as const) {
  CASES.push({ alg: "RSA-OAEP-256", enc: e, type: "RSA" });
  for (const type of ["P-256", "X25519"] as const) {
    CASES.push({ alg: "ECDH-ES", enc: e, type }, { alg: "ECDH-ES+A256KW", enc: e, type });
  }
  CASES.push({ alg: "dir", enc: e, type: "oct" });
}

interface Material {
  /** Ours: the key we decrypt with, bound to the case's pair. */
  readonly ours: JweDecryptionKey;
  /** jose's private key (to decrypt ours) and public key (to encrypt to us). */
  readonly josePrivate: jose.KeyLike | Uint8Array;
  readonly josePublic: jose.KeyLike | Uint8Array;
  /** The recipient we encrypt to. */
  readonly recipient: Awaited<ReturnType<typeof importJweRecipientPem>>;
}

async function material(c: Case): Promise<Material> {
  if (c.type === "oct") {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const jwk = { kty: "oct", k: b64uEncode(secret) };
    const recipient = await importJweRecipientJwk(jwk, c);
    return {
      ours: await importJweDecryptionJwk(jwk, c),
      josePrivate: secret,
      josePublic: secret,
      recipient,
    };
  }
  const pem = await generateJweKeyPem(c.type);
  const ours = await importJweDecryptionKeyPem(pem, c);
  const recipient = await importJweRecipientPem(pem, c);
  // jose reads the same PKCS#8 file and the public JWK we would publish.
  const josePrivate = await jose.importPKCS8(pem, c.alg, { extractable: false });
  const josePublic = await jose.importJWK({ ...ours.publicJwk, alg: c.alg } as jose.JWK, c.alg);
  return { ours, josePrivate, josePublic, recipient };
}

function label(c: Case): string {
  return `${c.alg}/${c.enc}${c.type === "RSA" || c.type === "oct" ? "" : ` (${c.type})`}`;
}

const SIGNING = withKid(await importPrivateKeyPem(await generateKeyPem("ES256")), "sig-1");
const SIGNER = await JwsSigner.create(SIGNING);
const SIGNING_JWKS = jose.createLocalJWKSet({
  keys: [{ ...SIGNING.publicJwk, kid: "sig-1", alg: "ES256", use: "sig" } as jose.JWK],
});

for (const c of CASES) {
  Deno.test(`npm jose decrypts our nested ${label(c)} token and verifies the JWS inside`, async () => {
    const m = await material(c);
    const now = Math.floor(Date.now() / 1000);
    const jws = await SIGNER.sign({
      iss: "https://kp.example",
      sub: "edge-1",
      iat: now,
      exp: now + 60,
    });
    const jwe = await (await JweEncrypter.create(m.recipient, { cty: "JWT" })).encrypt(jws);
    const out = await jose.compactDecrypt(jwe, m.josePrivate, {
      keyManagementAlgorithms: [c.alg],
      contentEncryptionAlgorithms: [c.enc],
    });
    assert.equal(out.protectedHeader.cty, "JWT");
    assert.equal(out.protectedHeader.alg, c.alg);
    assert.equal(out.protectedHeader.enc, c.enc);
    const inner = dec.decode(out.plaintext);
    assert.equal(inner, jws);
    const { payload } = await jose.jwtVerify(inner, SIGNING_JWKS, { issuer: "https://kp.example" });
    assert.equal(payload.sub, "edge-1");
  });

  Deno.test(`we decrypt npm jose's ${label(c)} token; tampering and other pairs are refused`, async () => {
    const m = await material(c);
    const text = "from jose, with love: ✓";
    const token = await new jose.CompactEncrypt(enc.encode(text))
      .setProtectedHeader({ alg: c.alg, enc: c.enc, kid: m.ours.kid })
      .encrypt(m.josePublic);
    const { plaintext, header } = await openJwe(token, [m.ours]);
    assert.equal(dec.decode(plaintext), text);
    assert.equal(header.kid, m.ours.kid);

    const segs = token.split(".");
    const flipped = (i: number) => {
      const b = b64uDecode(segs[i]);
      b[0] ^= 0x20;
      return segs.map((s, j) => (j === i ? b64uEncode(b) : s)).join(".");
    };
    for (const i of [2, 3, 4, ...(segs[1] === "" ? [] : [1])]) {
      await assert.rejects(openJwe(flipped(i), [m.ours]), (e) => {
        assert.ok(isKeypebbleError(e), String(e));
        assert.equal(e.code, "invalid_token", `segment ${i}`);
        return true;
      });
    }
    // A header member added by an attacker changes the AAD: the tag fails.
    const h = JSON.parse(dec.decode(b64uDecode(segs[0])));
    const reheader = (o: unknown) => [b64uEncode(JSON.stringify(o)), ...segs.slice(1)].join(".");
    await assert.rejects(
      openJwe(reheader({ ...h, cty: "JWT" }), [m.ours]),
      (e) => isKeypebbleError(e) && e.code === "invalid_token",
    );
    if (h.epk !== undefined) {
      const x = b64uDecode(h.epk.x);
      x[5] ^= 1;
      await assert.rejects(
        openJwe(reheader({ ...h, epk: { ...h.epk, x: b64uEncode(x) } }), [m.ours]),
        (e) => isKeypebbleError(e) && e.code === "invalid_token",
      );
    }
    // The same key material with the other content encryption: not this key's pair.
    const otherEnc: JweEnc = c.enc === "A256GCM" ? "A128CBC-HS256" : "A256GCM";
    const other = await new jose.CompactEncrypt(enc.encode(text))
      .setProtectedHeader({ alg: c.alg, enc: otherEnc, kid: m.ours.kid })
      .encrypt(m.josePublic);
    await assert.rejects(
      openJwe(other, [m.ours]),
      (e) => isKeypebbleError(e) && e.code === "unknown_key",
    );
  });
}

Deno.test("a compressed (zip: DEF) token from npm jose is refused", async () => {
  const m = await material({ alg: "RSA-OAEP-256", enc: "A256GCM", type: "RSA" });
  // jose 5 refuses to make zip tokens itself; the header is what an attacker would send.
  const token = await new jose.CompactEncrypt(enc.encode("x"))
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: m.ours.kid })
    .encrypt(m.josePublic);
  const [h, ...rest] = token.split(".");
  const zipped = [
    b64uEncode(JSON.stringify({ ...JSON.parse(dec.decode(b64uDecode(h))), zip: "DEF" })),
    ...rest,
  ]
    .join(".");
  await assert.rejects(
    openJwe(zipped, [m.ours]),
    (e) => isKeypebbleError(e) && e.code === "invalid_token" && /zip/.test(e.message),
  );
});

Deno.test("npm jose's RSA-OAEP (SHA-1) and A128GCM tokens are refused as unsupported", async () => {
  const m = await material({ alg: "RSA-OAEP-256", enc: "A256GCM", type: "RSA" });
  const rsa1 = await jose.importJWK(
    { ...m.ours.publicJwk, alg: "RSA-OAEP" } as jose.JWK,
    "RSA-OAEP",
  );
  for (const [alg, e] of [["RSA-OAEP", "A256GCM"], ["RSA-OAEP-256", "A128GCM"]]) {
    const key = alg === "RSA-OAEP" ? rsa1 : m.josePublic;
    const t = await new jose.CompactEncrypt(enc.encode("x")).setProtectedHeader({ alg, enc: e })
      .encrypt(key);
    await assert.rejects(
      openJwe(t, [m.ours]),
      (err) => isKeypebbleError(err) && err.code === "unsupported_algorithm",
    );
  }
});
