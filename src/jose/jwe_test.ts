/**
 * JWE round trips for every offered pair and curve, and the attacks kept as tests: tampered
 * header, encrypted key, IV, ciphertext, tag and `epk`; an off-curve `epk`; `zip`; `crit`;
 * another pair than the key's; the size cap; the tag checked before any CBC decryption.
 */

import assert from "node:assert/strict";
import { type ErrorCode, isKeypebbleError } from "../errors.ts";
import { b64uDecode, b64uEncode } from "./base64url.ts";
import { aesCbcHmacDecrypt } from "./content_encryption.ts";
import { isP256Point } from "./ec_point.ts";
import { decodeJwe, JweEncrypter, looksLikeJwe, MAX_JWE_LENGTH, openJwe } from "./jwe.ts";
import type { JweAlg, JweEnc } from "./jwe_algorithms.ts";
import {
  generateJweKeyPem,
  importJweDecryptionJwk,
  importJweDecryptionKeyPem,
  importJweRecipientJwk,
  importJweRecipientPem,
  type JweDecryptionKey,
  type JweKeyType,
  type JweRecipient,
} from "./jwe_keys.ts";

const dec = new TextDecoder();

function code(c: ErrorCode): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isKeypebbleError(e), String(e));
    assert.equal(e.code, c, e.message);
    return true;
  };
}

interface Pair {
  readonly alg: JweAlg;
  readonly enc: JweEnc;
  readonly type: JweKeyType | "oct";
}

const PAIRS: Pair[] = [];
for (const enc of ["A256GCM", "A128CBC-HS256"] as const) {
  PAIRS.push({ alg: "RSA-OAEP-256", enc, type: "RSA" });
  for (const type of ["P-256", "X25519"] as const) {
    PAIRS.push({ alg: "ECDH-ES", enc, type }, { alg: "ECDH-ES+A256KW", enc, type });
  }
  PAIRS.push({ alg: "dir", enc, type: "oct" });
}

const _keys = new Map<string, { key: JweDecryptionKey; to: JweRecipient }>();

async function keysFor(p: Pair): Promise<{ key: JweDecryptionKey; to: JweRecipient }> {
  const id = `${p.alg} ${p.enc} ${p.type}`;
  const have = _keys.get(id);
  if (have !== undefined) return have;
  let key: JweDecryptionKey;
  let to: JweRecipient;
  if (p.type === "oct") {
    const k = b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
    key = await importJweDecryptionJwk({ kty: "oct", k, kid: "shared" }, p);
    to = await importJweRecipientJwk({ kty: "oct", k, kid: "shared" }, p);
  } else {
    const pem = await generateJweKeyPem(p.type);
    key = await importJweDecryptionKeyPem(pem, p);
    to = await importJweRecipientPem(pem, p);
  }
  _keys.set(id, { key, to });
  return { key, to };
}

function name(p: Pair): string {
  return `${p.alg}/${p.enc}${p.type === "RSA" || p.type === "oct" ? "" : ` on ${p.type}`}`;
}

for (const p of PAIRS) {
  Deno.test(`JWE ${name(p)}: encrypts and decrypts, header as sent`, async () => {
    const { key, to } = await keysFor(p);
    const jwe = await (await JweEncrypter.create(to, { cty: "JWT" })).encrypt("a.b.c");
    assert.ok(looksLikeJwe(jwe));
    const { header, plaintext } = await openJwe(jwe, [key]);
    assert.equal(dec.decode(plaintext), "a.b.c");
    assert.equal(header.alg, p.alg);
    assert.equal(header.enc, p.enc);
    assert.equal(header.cty, "JWT");
    assert.equal(header.kid, to.kid);
    assert.equal(header.epk !== undefined, p.alg.startsWith("ECDH"));
    const segs = jwe.split(".");
    assert.equal(segs[1] === "", p.alg === "dir" || p.alg === "ECDH-ES");
  });

  Deno.test(`JWE ${name(p)}: every tampered segment is refused with one answer`, async () => {
    const { key, to } = await keysFor(p);
    const jwe = await (await JweEncrypter.create(to)).encrypt('{"sub":"x"}');
    const segs = jwe.split(".");
    const flip = (i: number) => {
      const b = b64uDecode(segs[i]);
      if (b.length === 0) return undefined;
      b[b.length - 1] ^= 1;
      const copy = [...segs];
      copy[i] = b64uEncode(b);
      return copy.join(".");
    };
    for (const i of [1, 2, 3, 4]) {
      const t = flip(i);
      if (t === undefined) continue;
      await assert.rejects(openJwe(t, [key]), (e) => {
        assert.ok(isKeypebbleError(e));
        assert.equal(e.code, "invalid_token");
        assert.equal(e.message, "Token could not be decrypted", `segment ${i}`);
        return true;
      });
    }
    // The header is the AAD: a changed header (here a new member) fails the tag.
    const header = JSON.parse(dec.decode(b64uDecode(segs[0])));
    const tampered = [b64uEncode(JSON.stringify({ ...header, x: 1 })), ...segs.slice(1)].join(".");
    await assert.rejects(openJwe(tampered, [key]), code("invalid_token"));
  });
}

Deno.test("JWE ECDH-ES: a tampered epk (another valid point, an off-curve point, a private member) is refused", async () => {
  const { key, to } = await keysFor({ alg: "ECDH-ES", enc: "A256GCM", type: "P-256" });
  const jwe = await (await JweEncrypter.create(to)).encrypt("hello");
  const [h, ...rest] = jwe.split(".");
  const header = JSON.parse(dec.decode(b64uDecode(h)));
  const withEpk = (epk: unknown) =>
    [b64uEncode(JSON.stringify({ ...header, epk })), ...rest].join(".");
  // Another point on the curve: the key agreement gives another CEK, so the tag fails.
  const other = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  const o = await crypto.subtle.exportKey("jwk", other.publicKey);
  await assert.rejects(
    openJwe(withEpk({ kty: "EC", crv: "P-256", x: o.x, y: o.y }), [key]),
    code("invalid_token"),
  );
  // Off the curve: y changed by one bit.
  const y = b64uDecode(header.epk.y);
  y[31] ^= 1;
  assert.equal(isP256Point(b64uDecode(header.epk.x), y), false);
  await assert.rejects(
    openJwe(withEpk({ ...header.epk, y: b64uEncode(y) }), [key]),
    (e) => isKeypebbleError(e) && e.code === "invalid_token" && /not on the curve/.test(e.message),
  );
  // Coordinates at or above p are not reduced: (x, y) = (p, y) is refused
  const p = new Uint8Array(32).fill(255);
  p.set([255, 255, 255, 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0);
  await assert.rejects(
    openJwe(withEpk({ ...header.epk, x: b64uEncode(p) }), [key]),
    code("invalid_token"),
  );
  // The wrong curve, a private member, a missing coordinate, not an object
  for (
    const bad of [
      { kty: "OKP", crv: "X25519", x: header.epk.x },
      { ...header.epk, d: header.epk.x },
      { kty: "EC", crv: "P-256", x: header.epk.x },
      "epk",
      null,
    ]
  ) {
    await assert.rejects(openJwe(withEpk(bad), [key]), code("invalid_token"));
  }
  assert.equal(isP256Point(b64uDecode(header.epk.x), b64uDecode(header.epk.y)), true);
});

Deno.test("JWE X25519: a low-order epk (all zero) is refused", async () => {
  const { key, to } = await keysFor({ alg: "ECDH-ES", enc: "A256GCM", type: "X25519" });
  const jwe = await (await JweEncrypter.create(to)).encrypt("hello");
  const [h, ...rest] = jwe.split(".");
  const header = JSON.parse(dec.decode(b64uDecode(h)));
  const zero = { kty: "OKP", crv: "X25519", x: b64uEncode(new Uint8Array(32)) };
  const t = [b64uEncode(JSON.stringify({ ...header, epk: zero })), ...rest].join(".");
  await assert.rejects(openJwe(t, [key]), code("invalid_token"));
});

Deno.test("JWE: one pair per key; the token's alg/enc must be the key's, and kid a lookup", async () => {
  const rsa = await keysFor({ alg: "RSA-OAEP-256", enc: "A256GCM", type: "RSA" });
  const cbc = await keysFor({ alg: "RSA-OAEP-256", enc: "A128CBC-HS256", type: "RSA" });
  const jwe = await (await JweEncrypter.create(rsa.to)).encrypt("x");
  await assert.rejects(openJwe(jwe, [cbc.key]), code("unknown_key"));
  const ecdh = await keysFor({ alg: "ECDH-ES", enc: "A256GCM", type: "P-256" });
  await assert.rejects(openJwe(jwe, [ecdh.key]), code("unknown_key"));
  // An ECDH key bound to ECDH-ES is not used for ECDH-ES+A256KW, nor the other way round.
  const kw = await keysFor({ alg: "ECDH-ES+A256KW", enc: "A256GCM", type: "P-256" });
  const toKwWithEsKey = await (await JweEncrypter.create({ ...ecdh.to, alg: "ECDH-ES+A256KW" }))
    .encrypt("x");
  await assert.rejects(
    openJwe(toKwWithEsKey, [ecdh.key, { ...kw.key, kid: ecdh.key.kid }]),
    code("invalid_token"),
  );
  await assert.rejects(openJwe(toKwWithEsKey, [ecdh.key]), code("unknown_key"));
  // kid: exact lookup
  const withKid = await (await JweEncrypter.create({ ...rsa.to, kid: "nobody" })).encrypt("x");
  await assert.rejects(openJwe(withKid, [rsa.key]), code("unknown_key"));
  // Without a kid every key of the pair is tried
  const { kid: _k, ...noKid } = rsa.to;
  const anon = await (await JweEncrypter.create(noKid as JweRecipient)).encrypt("x");
  assert.equal(
    dec.decode((await openJwe(anon, [cbc.key, { ...rsa.key, kid: "a" }])).plaintext),
    "x",
  );
});

Deno.test("JWE: zip, crit, unknown alg/enc, none and the wrong shape are refused before any key is used", async () => {
  const { key, to } = await keysFor({ alg: "dir", enc: "A256GCM", type: "oct" });
  const jwe = await (await JweEncrypter.create(to)).encrypt("x");
  const [h, ...rest] = jwe.split(".");
  const header = JSON.parse(dec.decode(b64uDecode(h)));
  const withHeader = (o: unknown) => [b64uEncode(JSON.stringify(o)), ...rest].join(".");
  await assert.rejects(
    openJwe(withHeader({ ...header, zip: "DEF" }), [key]),
    (e) => isKeypebbleError(e) && e.code === "invalid_token" && /zip/.test(e.message),
  );
  await assert.rejects(
    openJwe(withHeader({ ...header, crit: ["exp"], exp: 1 }), [key]),
    (e) => isKeypebbleError(e) && /crit/.test(e.message),
  );
  for (const alg of ["none", "RSA1_5", "RSA-OAEP", "A128KW", "PBES2-HS256+A128KW", "dir ", 1]) {
    await assert.rejects(
      openJwe(withHeader({ ...header, alg }), [key]),
      code("unsupported_algorithm"),
    );
  }
  for (const enc of ["A128GCM", "A256CBC-HS512", "a256gcm", undefined]) {
    await assert.rejects(
      openJwe(withHeader({ ...header, enc }), [key]),
      code("unsupported_algorithm"),
    );
  }
  await assert.rejects(openJwe(withHeader({ ...header, kid: 7 }), [key]), code("invalid_token"));
  await assert.rejects(openJwe(withHeader([header]), [key]), code("invalid_token"));
  await assert.rejects(openJwe(jwe + ".x", [key]), code("invalid_token"));
  await assert.rejects(openJwe(jwe.split(".").slice(0, 4).join("."), [key]), code("invalid_token"));
  await assert.rejects(openJwe(jwe.replace(".", ".="), [key]), code("invalid_token"));
  // A dir token with an encrypted key is malformed
  const withKey = [h, "AAAA", ...rest.slice(1)].join(".");
  await assert.rejects(openJwe(withKey, [key]), code("invalid_token"));
});

Deno.test("JWE: tokens longer than the cap are refused without decoding", async () => {
  const big = "a".repeat(MAX_JWE_LENGTH) + ".b.c.d.e";
  await assert.rejects(
    openJwe(big, []),
    (e) => isKeypebbleError(e) && /longer than/.test(e.message),
  );
  assert.throws(() => decodeJwe(""), code("invalid_token"));
});

Deno.test("A128CBC-HS256: a bad tag is refused before any AES-CBC decryption runs (no padding oracle)", async () => {
  const { key, to } = await keysFor({ alg: "dir", enc: "A128CBC-HS256", type: "oct" });
  const jwe = await (await JweEncrypter.create(to)).encrypt("some content");
  const [h, , iv, ct, tag] = jwe.split(".");
  const subtle = crypto.subtle;
  const original = subtle.decrypt;
  let calls = 0;
  // deno-lint-ignore no-explicit-any
  (subtle as any).decrypt = function (...args: Parameters<SubtleCrypto["decrypt"]>) {
    calls++;
    return original.apply(subtle, args);
  };
  try {
    const badTag = b64uDecode(tag);
    badTag[0] ^= 1;
    const badCt = b64uDecode(ct);
    badCt[badCt.length - 1] ^= 1; // the last block: what a padding oracle attack changes
    for (const [c, t] of [[b64uDecode(ct), badTag], [badCt, b64uDecode(tag)]]) {
      await assert.rejects(
        aesCbcHmacDecrypt(key.secret!, b64uDecode(iv), c, t, new TextEncoder().encode(h)),
      );
    }
    assert.equal(calls, 0, "AES-CBC ran on a token whose tag did not match");
    await aesCbcHmacDecrypt(
      key.secret!,
      b64uDecode(iv),
      b64uDecode(ct),
      b64uDecode(tag),
      new TextEncoder().encode(h),
    );
    assert.equal(calls, 1);
  } finally {
    // deno-lint-ignore no-explicit-any
    (subtle as any).decrypt = original;
  }
});

Deno.test("JWE keys: wrong key types, weak RSA, a signature JWK and a short dir key are refused", async () => {
  const rsa1024 = await crypto.subtle.generateKey(
    {
      name: "RSA-OAEP",
      hash: "SHA-256",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
    },
    true,
    ["encrypt", "decrypt"],
  ) as CryptoKeyPair;
  const weak = await crypto.subtle.exportKey("jwk", rsa1024.publicKey);
  await assert.rejects(
    importJweRecipientJwk({ kty: "RSA", n: weak.n, e: weak.e }),
    code("weak_key"),
  );
  const p256 = await generateJweKeyPem("P-256");
  await assert.rejects(
    importJweDecryptionKeyPem(p256, { alg: "RSA-OAEP-256" }),
    code("invalid_key"),
  );
  await assert.rejects(importJweDecryptionKeyPem(p256, { alg: "dir" }), code("invalid_key"));
  const { to } = await keysFor({ alg: "ECDH-ES", enc: "A256GCM", type: "P-256" });
  const pub = await crypto.subtle.exportKey("jwk", to.publicKey!);
  await assert.rejects(
    importJweRecipientJwk({ kty: "EC", crv: "P-256", x: pub.x, y: pub.y, use: "sig" }),
    code("invalid_key"),
  );
  await assert.rejects(
    importJweRecipientJwk({ kty: "EC", crv: "P-256", x: pub.x, y: pub.y, alg: "ECDH-ES" }, {
      alg: "ECDH-ES+A256KW",
    }),
    code("invalid_key"),
  );
  await assert.rejects(
    importJweRecipientJwk({ kty: "oct", k: b64uEncode(new Uint8Array(16)) }),
    code("invalid_key"),
  );
  await assert.rejects(
    importJweRecipientJwk({ kty: "EC", crv: "P-384", x: "a", y: "b" }),
    code("invalid_key"),
  );
  // A signing key's PEM (Ed25519) is not an encryption key
  const ed = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", ed.privateKey));
  const pem = `-----BEGIN PRIVATE KEY-----\n${
    btoa(String.fromCharCode(...der))
  }\n-----END PRIVATE KEY-----\n`;
  await assert.rejects(importJweDecryptionKeyPem(pem), code("invalid_key"));
});

Deno.test("JWE keys: a recipient from SPKI PEM and from the private key agree, kid is the RFC 7638 thumbprint", async () => {
  const pem = await generateJweKeyPem("RSA");
  const key = await importJweDecryptionKeyPem(pem);
  assert.equal(key.alg, "RSA-OAEP-256");
  assert.equal(key.enc, "A256GCM");
  const pub = await crypto.subtle.importKey(
    "jwk",
    key.publicJwk!,
    { name: "RSA-OAEP", hash: "SHA-256" },
    true,
    [
      "encrypt",
    ],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pub));
  const spkiPem = `-----BEGIN PUBLIC KEY-----\n${
    btoa(String.fromCharCode(...spki))
  }\n-----END PUBLIC KEY-----\n`;
  const a = await importJweRecipientPem(spkiPem);
  const b = await importJweRecipientPem(pem);
  assert.equal(a.kid, b.kid);
  assert.match(a.kid!, /^[A-Za-z0-9_-]{43}$/);
  const jwe = await (await JweEncrypter.create(a)).encrypt("to the spki");
  assert.equal(
    dec.decode((await openJwe(jwe, [{ ...key, kid: a.kid! }])).plaintext),
    "to the spki",
  );
});

Deno.test("JWE keys: an oct JWK naming its enc as alg (RFC 7520 §5.6 style) is a dir key for that enc", async () => {
  const k = b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
  const to = await importJweRecipientJwk({ kty: "oct", k, alg: "A128CBC-HS256" });
  assert.deepEqual([to.alg, to.enc], ["dir", "A128CBC-HS256"]);
  const key = await importJweDecryptionJwk({ kty: "oct", k, alg: "A128CBC-HS256" });
  const jwe = await (await JweEncrypter.create(to)).encrypt("shared");
  assert.equal(dec.decode((await openJwe(jwe, [key])).plaintext), "shared");
  await assert.rejects(
    importJweRecipientJwk({ kty: "oct", k, alg: "A256GCM" }, { enc: "A128CBC-HS256" }),
    code("invalid_key"),
  );
  await assert.rejects(
    importJweRecipientJwk({ kty: "oct", k, alg: "A256GCM" }, { alg: "ECDH-ES" }),
    code("invalid_key"),
  );
});
