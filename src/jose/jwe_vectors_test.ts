/**
 * Known-answer tests of the JWE primitives and of decryption, from the RFCs' published examples:
 * RFC 7516 Appendix A (A.1 RSA-OAEP + A256GCM, A.2 RSA1_5 + A128CBC-HS256, A.3 A128KW +
 * A128CBC-HS256), RFC 7518 Appendix C (ECDH-ES Concat KDF), RFC 7520 §5.2, §5.4, §5.5, §5.6
 * (values as in the RFC and in the JOSE cookbook, github.com/ietf-jose/cookbook) and RFC 7748
 * §6.1 (X25519).
 *
 * Where an example uses an algorithm Keypebble does not offer (RSA-OAEP with SHA-1, RSA1_5,
 * A128KW, A128GCM, P-384), the primitive it exercises is tested instead: the A128CBC-HS256 or
 * AES-GCM content step, AES key wrap, the Concat KDF; the RSA or P-384 step is done here with
 * Web Crypto to get the CEK. The whole-token decryption vector is RFC 7520 §5.5 (ECDH-ES on
 * P-256 with A128CBC-HS256), which uses only offered algorithms.
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import { aesKeyUnwrap, aesKeyWrap } from "./aes_kw.ts";
import { b64uDecode, b64uEncode } from "./base64url.ts";
import { concatKdf } from "./concat_kdf.ts";
import {
  aesCbcHmacDecrypt,
  aesCbcHmacEncrypt,
  aesGcmDecrypt,
  aesGcmEncrypt,
} from "./content_encryption.ts";
import { sharedSecret } from "./ecdh.ts";
import { openJwe } from "./jwe.ts";
import { importJweDecryptionJwk } from "./jwe_keys.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (a: number[]) => new Uint8Array(a);
const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));

// RFC 7516 A.2/A.3 share the CEK, IV and plaintext.
const A3_CEK = bytes([
  4,
  211,
  31,
  197,
  84,
  157,
  252,
  254,
  11,
  100,
  157,
  250,
  63,
  170,
  106,
  206,
  107,
  124,
  212,
  45,
  111,
  107,
  9,
  219,
  200,
  177,
  0,
  240,
  143,
  156,
  44,
  207,
]);
const A3_IV = b64uDecode("AxY8DCtDaGlsbGljb3RoZQ");
const LIVE_LONG = "Live long and prosper.";

Deno.test("RFC 7516 A.3: AES key wrap of the CEK under A128KW gives the published encrypted key", async () => {
  const kek = b64uDecode("GawgguFyGrWKav7AX4VKUg");
  const wrapped = await aesKeyWrap(kek, A3_CEK);
  assert.equal(b64uEncode(wrapped), "6KB707dM9YTIgHtLvtgWQ8mKwboJW3of9locizkDTHzBC2IlrT1oOQ");
  assert.deepEqual(await aesKeyUnwrap(kek, wrapped), A3_CEK);
  const bad = wrapped.slice();
  bad[5] ^= 1;
  await assert.rejects(aesKeyUnwrap(kek, bad));
});

Deno.test("RFC 7516 A.3: A128CBC-HS256 encrypts to the published ciphertext and tag, and back", async () => {
  const aad = enc.encode("eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0");
  const { ciphertext, tag } = await aesCbcHmacEncrypt(A3_CEK, A3_IV, enc.encode(LIVE_LONG), aad);
  assert.equal(b64uEncode(ciphertext), "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY");
  assert.equal(b64uEncode(tag), "U0m_YmjN04DJvceFICbCVQ");
  assert.equal(dec.decode(await aesCbcHmacDecrypt(A3_CEK, A3_IV, ciphertext, tag, aad)), LIVE_LONG);
});

Deno.test("RFC 7516 A.2: the A128CBC-HS256 tag covers the header (RSA1_5 header, same CEK and IV)", async () => {
  const aad = enc.encode("eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0");
  const { ciphertext, tag } = await aesCbcHmacEncrypt(A3_CEK, A3_IV, enc.encode(LIVE_LONG), aad);
  assert.equal(b64uEncode(ciphertext), "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY");
  assert.equal(b64uEncode(tag), "9hH0vgRfYgPnAHOd8stkvw");
});

Deno.test("RFC 7516 A.1: A256GCM with the published CEK and IV gives the published ciphertext and tag", async () => {
  const header = '{"alg":"RSA-OAEP","enc":"A256GCM"}';
  const aad = enc.encode(b64uEncode(header));
  assert.equal(b64uEncode(header), "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ");
  const cek = bytes([
    177,
    161,
    244,
    128,
    84,
    143,
    225,
    115,
    63,
    180,
    3,
    255,
    107,
    154,
    212,
    246,
    138,
    7,
    110,
    91,
    112,
    46,
    34,
    105,
    47,
    130,
    203,
    46,
    122,
    234,
    64,
    252,
  ]);
  const iv = bytes([227, 197, 117, 252, 2, 219, 233, 68, 180, 225, 77, 219]);
  const text = "The true sign of intelligence is not knowledge but imagination.";
  const { ciphertext, tag } = await aesGcmEncrypt(cek, iv, enc.encode(text), aad);
  assert.equal(
    b64uEncode(ciphertext),
    "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A",
  );
  assert.equal(b64uEncode(tag), "XFBoMYUZodetZdvTiFvSkQ");
  assert.equal(dec.decode(await aesGcmDecrypt(cek, iv, ciphertext, tag, aad)), text);
});

// RFC 7518 Appendix C: Alice's ephemeral key and Bob's key.
const ALICE = {
  kty: "EC",
  crv: "P-256",
  x: "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
  y: "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
  d: "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo",
};
const BOB = {
  kty: "EC",
  crv: "P-256",
  x: "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
  y: "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
  d: "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw",
};

Deno.test("RFC 7518 C: ECDH-ES on P-256 gives the published Z, and the Concat KDF the published key", async () => {
  const params = { name: "ECDH", namedCurve: "P-256" };
  const alice = await crypto.subtle.importKey("jwk", ALICE, params, false, ["deriveBits"]);
  const { d: _d, ...bobPublic } = BOB;
  const bob = await crypto.subtle.importKey("jwk", bobPublic, params, false, []);
  const z = await sharedSecret(alice, bob, "P-256");
  assert.deepEqual(
    z,
    bytes([
      158,
      86,
      217,
      29,
      129,
      113,
      53,
      211,
      114,
      131,
      66,
      131,
      191,
      132,
      38,
      156,
      251,
      49,
      110,
      163,
      218,
      128,
      106,
      72,
      246,
      218,
      167,
      121,
      140,
      254,
      144,
      196,
    ]),
  );
  const key = concatKdf(z, 128, {
    algorithmId: "A128GCM",
    apu: enc.encode("Alice"),
    apv: enc.encode("Bob"),
  });
  assert.equal(b64uEncode(key), "VqqN6vgjbSBcIijNcacQGg");
});

Deno.test("RFC 7748 §6.1: X25519 key agreement gives the published shared secret", async () => {
  const b64 = (h: string) => b64uEncode(hex(h));
  const alice = await crypto.subtle.importKey(
    "jwk",
    {
      kty: "OKP",
      crv: "X25519",
      d: b64("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
      x: b64("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
    },
    { name: "X25519" },
    false,
    ["deriveBits"],
  );
  const bob = await crypto.subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "X25519", x: "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08" },
    { name: "X25519" },
    false,
    [],
  );
  assert.deepEqual(
    await sharedSecret(alice, bob, "X25519"),
    hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
  );
});

const FRODO =
  "You can trust us to stick with you through thick and thin\u2013to the bitter end. And you can trust us to keep any secret of yours\u2013closer than you keep it yourself. But you cannot trust us to let you face trouble alone, and go off without a word. We are your friends, Frodo.";

Deno.test("RFC 7520 §5.5: ECDH-ES (P-256) with A128CBC-HS256 decrypts with a key bound to that pair", async () => {
  const key = await importJweDecryptionJwk({
    kty: "EC",
    kid: "meriadoc.brandybuck@buckland.example",
    use: "enc",
    crv: "P-256",
    x: "Ze2loSV3wrroKUN_4zhwGhCqo3Xhu1td4QjeQ5wIVR0",
    y: "HlLtdXARY_f55A3fnzQbPcm6hgr34Mp8p-nuzQCE0Zw",
    d: "r_kHyZ-a06rmxM3yESK84r1otSg-aQcVStkRhA-iCM8",
  }, { alg: "ECDH-ES", enc: "A128CBC-HS256" });
  const token =
    "eyJhbGciOiJFQ0RILUVTIiwia2lkIjoibWVyaWFkb2MuYnJhbmR5YnVja0BidWNrbGFuZC5leGFtcGxlIiwiZXBrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoibVBVS1RfYkFXR0hJaGcwVHBqanFWc1AxclhXUXVfdndWT0hIdE5rZFlvQSIsInkiOiI4QlFBc0ltR2VBUzQ2ZnlXdzVNaFlmR1RUMElqQnBGdzJTUzM0RHY0SXJzIn0sImVuYyI6IkExMjhDQkMtSFMyNTYifQ..yc9N8v5sYyv3iGQT926IUg.BoDlwPnTypYq-ivjmQvAYJLb5Q6l-F3LIgQomlz87yW4OPKbWE1zSTEFjDfhU9IPIOSA9Bml4m7iDFwA-1ZXvHteLDtw4R1XRGMEsDIqAYtskTTmzmzNa-_q4F_evAPUmwlO-ZG45Mnq4uhM1fm_D9rBtWolqZSF3xGNNkpOMQKF1Cl8i8wjzRli7-IXgyirlKQsbhhqRzkv8IcY6aHl24j03C-AR2le1r7URUhArM79BY8soZU0lzwI-sD5PZ3l4NDCCei9XkoIAfsXJWmySPoeRb2Ni5UZL4mYpvKDiwmyzGd65KqVw7MsFfI_K767G9C9Azp73gKZD0DyUn1mn0WW5LmyX_yJ-3AROq8p1WZBfG-ZyJ6195_JGG2m9Csg.WCCkNa-x4BeB9hIDIfFuhg";
  const { plaintext, header } = await openJwe(token, [key]);
  assert.equal(dec.decode(plaintext), FRODO);
  assert.equal(header.kid, "meriadoc.brandybuck@buckland.example");
  // The same key bound to the other content encryption is not used for this token.
  const other = await importJweDecryptionJwk({
    ...key.publicJwk,
    d: "r_kHyZ-a06rmxM3yESK84r1otSg-aQcVStkRhA-iCM8",
  }, {
    alg: "ECDH-ES",
    enc: "A256GCM",
  });
  await assert.rejects(
    openJwe(token, [other]),
    (e) => isKeypebbleError(e) && e.code === "unknown_key",
  );
});

Deno.test("RFC 7520 §5.6: dir + A128GCM (not offered): the AES-GCM step with the shared key", async () => {
  const protectedB64 =
    "eyJhbGciOiJkaXIiLCJraWQiOiI3N2M3ZTJiOC02ZTEzLTQ1Y2YtODY3Mi02MTdiNWI0NTI0M2EiLCJlbmMiOiJBMTI4R0NNIn0";
  const plaintext = await aesGcmDecrypt(
    b64uDecode("XctOhJAkA-pD9Lh7ZgW_2A"),
    b64uDecode("refa467QzzKx6QAB"),
    b64uDecode(
      "JW_i_f52hww_ELQPGaYyeAB6HYGcR559l9TYnSovc23XJoBcW29rHP8yZOZG7YhLpT1bjFuvZPjQS-m0IFtVcXkZXdH_lr_FrdYt9HRUYkshtrMmIUAyGmUnd9zMDB2n0cRDIHAzFVeJUDxkUwVAE7_YGRPdcqMyiBoCO-FBdE-Nceb4h3-FtBP-c_BIwCPTjb9o0SbdcdREEMJMyZBH8ySWMVi1gPD9yxi-aQpGbSv_F9N4IZAxscj5g-NJsUPbjk29-s7LJAGb15wEBtXphVCgyy53CoIKLHHeJHXex45Uz9aKZSRSInZI-wjsY0yu3cT4_aQ3i1o-tiE-F8Ios61EKgyIQ4CWao8PFMj8TTnp",
    ),
    b64uDecode("vbb32Xvllea2OtmHAdccRQ"),
    enc.encode(protectedB64),
  );
  assert.equal(dec.decode(plaintext), FRODO);
  // The whole token is refused: A128GCM is not an offered content encryption.
  await assert.rejects(
    openJwe(`${protectedB64}..refa467QzzKx6QAB.AAAA.vbb32Xvllea2OtmHAdccRQ`, []),
    (e) => isKeypebbleError(e) && e.code === "unsupported_algorithm",
  );
});

Deno.test("RFC 7520 §5.2: RSA-OAEP (SHA-1, not offered) + A256GCM: our A256GCM step with the CEK", async () => {
  const rsa = await crypto.subtle.importKey(
    "jwk",
    RSA_5_2,
    { name: "RSA-OAEP", hash: "SHA-1" },
    false,
    [
      "decrypt",
    ],
  );
  const parts = COOKBOOK_5_2.split(".");
  const cek = new Uint8Array(
    await crypto.subtle.decrypt({ name: "RSA-OAEP" }, rsa, new Uint8Array(b64uDecode(parts[1]))),
  );
  assert.equal(b64uEncode(cek), "mYMfsggkTAm0TbvtlFh2hyoXnbEzJQjMxmgLN3d8xXA");
  const plaintext = await aesGcmDecrypt(
    cek,
    b64uDecode(parts[2]),
    b64uDecode(parts[3]),
    b64uDecode(parts[4]),
    enc.encode(parts[0]),
  );
  assert.equal(dec.decode(plaintext), FRODO);
  await assert.rejects(
    openJwe(COOKBOOK_5_2, []),
    (e) => isKeypebbleError(e) && e.code === "unsupported_algorithm",
  );
});

Deno.test("RFC 7520 §5.4: ECDH-ES+A128KW on P-384 (not offered): the Concat KDF, AES key unwrap and AES-GCM steps", async () => {
  const params = { name: "ECDH", namedCurve: "P-384" };
  const peregrin = await crypto.subtle.importKey(
    "jwk",
    {
      kty: "EC",
      crv: "P-384",
      x: "YU4rRUzdmVqmRtWOs2OpDE_T5fsNIodcG8G5FWPrTPMyxpzsSOGaQLpe2FpxBmu2",
      y: "A8-yxCHxkfBz3hKZfI1jUYMjUhsEveZ9THuwFjH2sCNdtksRJU7D5-SkgaFL1ETP",
      d: "iTx2pk7wW-GqJkHcEkFQb2EFyYcO7RugmaW3mRrQVAOUiPommT0IdnYK2xDlZh-j",
    },
    params,
    false,
    ["deriveBits"],
  );
  const epk = await crypto.subtle.importKey(
    "jwk",
    {
      kty: "EC",
      crv: "P-384",
      x: "uBo4kHPw6kbjx5l0xowrd_oYzBmaz-GKFZu4xAFFkbYiWgutEK6iuEDsQ6wNdNg3",
      y: "sp3p5SGhZVC2faXumI-e9JU2Mo8KpoYrFDr5yPNVtW4PgEwZOyQTA-JdaY8tb7E0",
    },
    params,
    false,
    [],
  );
  const z = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: epk }, peregrin, 384),
  );
  const kek = concatKdf(z, 128, { algorithmId: "ECDH-ES+A128KW" });
  const cek = await aesKeyUnwrap(kek, b64uDecode("0DJjBXri_kBcC46IkU5_Jk9BqaQeHdv2"));
  assert.equal(b64uEncode(cek), "Nou2ueKlP70ZXDbq9UrRwg");
  const protectedB64 =
    "eyJhbGciOiJFQ0RILUVTK0ExMjhLVyIsImtpZCI6InBlcmVncmluLnRvb2tAdHVja2Jvcm91Z2guZXhhbXBsZSIsImVwayI6eyJrdHkiOiJFQyIsImNydiI6IlAtMzg0IiwieCI6InVCbzRrSFB3Nmtiang1bDB4b3dyZF9vWXpCbWF6LUdLRlp1NHhBRkZrYllpV2d1dEVLNml1RURzUTZ3TmROZzMiLCJ5Ijoic3AzcDVTR2haVkMyZmFYdW1JLWU5SlUyTW84S3BvWXJGRHI1eVBOVnRXNFBnRXdaT3lRVEEtSmRhWTh0YjdFMCJ9LCJlbmMiOiJBMTI4R0NNIn0";
  const plaintext = await aesGcmDecrypt(
    cek,
    b64uDecode("mH-G2zVqgztUtnW_"),
    b64uDecode(
      "tkZuOO9h95OgHJmkkrfLBisku8rGf6nzVxhRM3sVOhXgz5NJ76oID7lpnAi_cPWJRCjSpAaUZ5dOR3Spy7QuEkmKx8-3RCMhSYMzsXaEwDdXta9Mn5B7cCBoJKB0IgEnj_qfo1hIi-uEkUpOZ8aLTZGHfpl05jMwbKkTe2yK3mjF6SBAsgicQDVCkcY9BLluzx1RmC3ORXaM0JaHPB93YcdSDGgpgBWMVrNU1ErkjcMqMoT_wtCex3w03XdLkjXIuEr2hWgeP-nkUZTPU9EoGSPj6fAS-bSz87RCPrxZdj_iVyC6QWcqAu07WNhjzJEPc4jVntRJ6K53NgPQ5p99l3Z408OUqj4ioYezbS6vTPlQ",
    ),
    b64uDecode("WuGzxmcreYjpHGJoa17EBg"),
    enc.encode(protectedB64),
  );
  assert.equal(dec.decode(plaintext), FRODO);
});

// RFC 7520 §5.2: the compact result.
const COOKBOOK_5_2 =
  "eyJhbGciOiJSU0EtT0FFUCIsImtpZCI6InNhbXdpc2UuZ2FtZ2VlQGhvYmJpdG9uLmV4YW1wbGUiLCJlbmMiOiJBMjU2R0NNIn0.rT99rwrBTbTI7IJM8fU3Eli7226HEB7IchCxNuh7lCiud48LxeolRdtFF4nzQibeYOl5S_PJsAXZwSXtDePz9hk-BbtsTBqC2UsPOdwjC9NhNupNNu9uHIVftDyucvI6hvALeZ6OGnhNV4v1zx2k7O1D89mAzfw-_kT3tkuorpDU-CpBENfIHX1Q58-Aad3FzMuo3Fn9buEP2yXakLXYa15BUXQsupM4A1GD4_H4Bd7V3u9h8Gkg8BpxKdUV9ScfJQTcYm6eJEBz3aSwIaK4T3-dwWpuBOhROQXBosJzS1asnuHtVMt2pKIIfux5BC6huIvmY7kzV7W7aIUrpYm_3H4zYvyMeq5pGqFmW2k8zpO878TRlZx7pZfPYDSXZyS0CfKKkMozT_qiCwZTSz4duYnt8hS4Z9sGthXn9uDqd6wycMagnQfOTs_lycTWmY-aqWVDKhjYNRf03NiwRtb5BE-tOdFwCASQj3uuAgPGrO2AWBe38UjQb0lvXn1SpyvYZ3WFc7WOJYaTa7A8DRn6MC6T-xDmMuxC0G7S2rscw5lQQU06MvZTlFOt0UvfuKBa03cxA_nIBIhLMjY2kOTxQMmpDPTr6Cbo8aKaOnx6ASE5Jx9paBpnNmOOKH35j_QlrQhDWUN6A2Gg8iFayJ69xDEdHAVCGRzN3woEI2ozDRs.-nBoKLH0YkLZPSI9.o4k2cnGN8rSSw3IDo1YuySkqeS_t2m1GXklSgqBdpACm6UJuJowOHC5ytjqYgRL-I-soPlwqMUf4UgRWWeaOGNw6vGW-xyM01lTYxrXfVzIIaRdhYtEMRBvBWbEwP7ua1DRfvaOjgZv6Ifa3brcAM64d8p5lhhNcizPersuhw5f-pGYzseva-TUaL8iWnctc-sSwy7SQmRkfhDjwbz0fz6kFovEgj64X1I5s7E6GLp5fnbYGLa1QUiML7Cc2GxgvI7zqWo0YIEc7aCflLG1-8BboVWFdZKLK9vNoycrYHumwzKluLWEbSVmaPpOslY2n525DxDfWaVFUfKQxMF56vn4B9QMpWAbnypNimbM8zVOw.UCGiqJxhBI3IFVdPalHHvA";

// RFC 7520 Figure 84: the RSA key of §5.2.
const RSA_5_2: JsonWebKey = {
  kty: "RSA",
  n: "wbdxI55VaanZXPY29Lg5hdmv2XhvqAhoxUkanfzf2-5zVUxa6prHRrI4pP1AhoqJRlZfYtWWd5mmHRG2pAHIlh0ySJ9wi0BioZBl1XP2e-C-FyXJGcTy0HdKQWlrfhTm42EW7Vv04r4gfao6uxjLGwfpGrZLarohiWCPnkNrg71S2CuNZSQBIPGjXfkmIy2tl_VWgGnL22GplyXj5YlBLdxXp3XeStsqo571utNfoUTU8E4qdzJ3U1DItoVkPGsMwlmmnJiwA7sXRItBCivR4M5qnZtdw-7v4WuR4779ubDuJ5nalMv2S66-RPcnFAzWSKxtBDnFJJDGIUe7Tzizjg1nms0Xq_yPub_UOlWn0ec85FCft1hACpWG8schrOBeNqHBODFskYpUc2LC5JA2TaPF2dA67dg1TTsC_FupfQ2kNGcE1LgprxKHcVWYQb86B-HozjHZcqtauBzFNV5tbTuB-TpkcvJfNcFLlH3b8mb-H_ox35FjqBSAjLKyoeqfKTpVjvXhd09knwgJf6VKq6UC418_TOljMVfFTWXUxlnfhOOnzW6HSSzD1c9WrCuVzsUMv54szidQ9wf1cYWf3g5qFDxDQKis99gcDaiCAwM3yEBIzuNeeCa5dartHDb1xEB_HcHSeYbghbMjGfasvKn0aZRsnTyC0xhWBlsolZE",
  e: "AQAB",
  d: "n7fzJc3_WG59VEOBTkayzuSMM780OJQuZjN_KbH8lOZG25ZoA7T4Bxcc0xQn5oZE5uSCIwg91oCt0JvxPcpmqzaJZg1nirjcWZ-oBtVk7gCAWq-B3qhfF3izlbkosrzjHajIcY33HBhsy4_WerrXg4MDNE4HYojy68TcxT2LYQRxUOCf5TtJXvM8olexlSGtVnQnDRutxEUCwiewfmmrfveEogLx9EA-KMgAjTiISXxqIXQhWUQX1G7v_mV_Hr2YuImYcNcHkRvp9E7ook0876DhkO8v4UOZLwA1OlUX98mkoqwc58A_Y2lBYbVx1_s5lpPsEqbbH-nqIjh1fL0gdNfihLxnclWtW7pCztLnImZAyeCWAG7ZIfv-Rn9fLIv9jZ6r7r-MSH9sqbuziHN2grGjD_jfRluMHa0l84fFKl6bcqN1JWxPVhzNZo01yDF-1LiQnqUYSepPf6X3a2SOdkqBRiquE6EvLuSYIDpJq3jDIsgoL8Mo1LoomgiJxUwL_GWEOGu28gplyzm-9Q0U0nyhEf1uhSR8aJAQWAiFImWH5W_IQT9I7-yrindr_2fWQ_i1UgMsGzA7aOGzZfPljRy6z-tY_KuBG00-28S_aWvjyUc-Alp8AUyKjBZ-7CWH32fGWK48j1t-zomrwjL_mnhsPbGs0c9WsWgRzI-K8gE",
  p: "7_2v3OQZzlPFcHyYfLABQ3XP85Es4hCdwCkbDeltaUXgVy9l9etKghvM4hRkOvbb01kYVuLFmxIkCDtpi-zLCYAdXKrAK3PtSbtzld_XZ9nlsYa_QZWpXB_IrtFjVfdKUdMz94pHUhFGFj7nr6NNxfpiHSHWFE1zD_AC3mY46J961Y2LRnreVwAGNw53p07Db8yD_92pDa97vqcZOdgtybH9q6uma-RFNhO1AoiJhYZj69hjmMRXx-x56HO9cnXNbmzNSCFCKnQmn4GQLmRj9sfbZRqL94bbtE4_e0Zrpo8RNo8vxRLqQNwIy85fc6BRgBJomt8QdQvIgPgWCv5HoQ",
  q: "zqOHk1P6WN_rHuM7ZF1cXH0x6RuOHq67WuHiSknqQeefGBA9PWs6ZyKQCO-O6mKXtcgE8_Q_hA2kMRcKOcvHil1hqMCNSXlflM7WPRPZu2qCDcqssd_uMbP-DqYthH_EzwL9KnYoH7JQFxxmcv5An8oXUtTwk4knKjkIYGRuUwfQTus0w1NfjFAyxOOiAQ37ussIcE6C6ZSsM3n41UlbJ7TCqewzVJaPJN5cxjySPZPD3Vp01a9YgAD6a3IIaKJdIxJS1ImnfPevSJQBE79-EXe2kSwVgOzvt-gsmM29QQ8veHy4uAqca5dZzMs7hkkHtw1z0jHV90epQJJlXXnH8Q",
  dp:
    "19oDkBh1AXelMIxQFm2zZTqUhAzCIr4xNIGEPNoDt1jK83_FJA-xnx5kA7-1erdHdms_Ef67HsONNv5A60JaR7w8LHnDiBGnjdaUmmuO8XAxQJ_ia5mxjxNjS6E2yD44USo2JmHvzeeNczq25elqbTPLhUpGo1IZuG72FZQ5gTjXoTXC2-xtCDEUZfaUNh4IeAipfLugbpe0JAFlFfrTDAMUFpC3iXjxqzbEanflwPvj6V9iDSgjj8SozSM0dLtxvu0LIeIQAeEgT_yXcrKGmpKdSO08kLBx8VUjkbv_3Pn20Gyu2YEuwpFlM_H1NikuxJNKFGmnAq9LcnwwT0jvoQ",
  dq:
    "S6p59KrlmzGzaQYQM3o0XfHCGvfqHLYjCO557HYQf72O9kLMCfd_1VBEqeD-1jjwELKDjck8kOBl5UvohK1oDfSP1DleAy-cnmL29DqWmhgwM1ip0CCNmkmsmDSlqkUXDi6sAaZuntyukyflI-qSQ3C_BafPyFaKrt1fgdyEwYa08pESKwwWisy7KnmoUvaJ3SaHmohFS78TJ25cfc10wZ9hQNOrIChZlkiOdFCtxDqdmCqNacnhgE3bZQjGp3n83ODSz9zwJcSUvODlXBPc2AycH6Ci5yjbxt4Ppox_5pjm6xnQkiPgj01GpsUssMmBN7iHVsrE7N2iznBNCeOUIQ",
  qi:
    "FZhClBMywVVjnuUud-05qd5CYU0dK79akAgy9oX6RX6I3IIIPckCciRrokxglZn-omAY5CnCe4KdrnjFOT5YUZE7G_Pg44XgCXaarLQf4hl80oPEf6-jJ5Iy6wPRx7G2e8qLxnh9cOdf-kRqgOS3F48Ucvw3ma5V6KGMwQqWFeV31XtZ8l5cVI-I3NzBS7qltpUVgz2Ju021eyc7IlqgzR98qKONl27DuEES0aK0WE97jnsyO27Yp88Wa2RiBrEocM89QZI1seJiGDizHRUP4UZxw9zsXww46wy0P6f9grnYp7t8LkyDDk8eoI4KX6SNMNVcyVS9IWjlq8EzqZEKIA",
};
